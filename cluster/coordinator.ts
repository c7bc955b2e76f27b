/**
 * The coordinating side of `snem run --cluster`: the engine plans and probes as for a local run;
 * every chunk job of a frame pass that missed in the shared store becomes a BullMQ job named by its
 * action key, and its results come back when a worker (any machine) has stored them.
 *
 * Completion is followed through QueueEvents, with a slow poll of the jobs still pending as a
 * safety net (an event lost while Redis restarted, or a job that vanished with a Redis that kept
 * nothing: it is queued again). Losing Redis for longer than the grace period stops the run with a
 * message; finished chunks stay in the store, so the next `snem run` resumes.
 */
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChunkJob, ChunkNodeResult } from '../engine/chunk-pipeline.ts';
import { UserError } from '../engine/errors.ts';
import { failedNodeOf } from '../engine/node-failure.ts';
import type { ChunkRunner } from '../engine/executor.ts';
import type { ResolvedGraph } from '../engine/graph.ts';
import type { PipelineSetup } from '../engine/pipeline-env.ts';
import type { RunBackend } from '../app/run.ts';
import { jobData, jobId, QUEUE, type ChunkJobData } from './jobs.ts';
import { liveWorkers } from './heartbeat.ts';
import { connect, parseRedisUrl } from './redis-url.ts';
import { checkPersistence } from './redis-persistence.ts';
import { SharedStore } from './shared-store.ts';

type Results = Record<string, ChunkNodeResult>;

export interface ClusterOptions {
  url: string;
  storeDir?: string | null;
  /** Seconds without Redis before the run stops (default 30). */
  redisTimeout?: number;
  /** Attempts per chunk before the run fails (default 3). */
  attempts?: number;
  /** Refuse a Redis that would lose the action table on restart (default: warn). */
  requirePersistence?: boolean;
  log?: (m: string) => void;
  /** Warnings (shown even where `log` is quiet); default stderr. */
  warn?: (m: string) => void;
}

interface Pending {
  data: ChunkJobData;
  resolve: (r: Results) => void;
  reject: (e: Error) => void;
}

const POLL_MS = 3000;

export class ClusterRunner implements ChunkRunner {
  private readonly pending = new Map<string, Pending>();
  private liveWorkers = 0;
  private lastEvent = Date.now();
  private timer: NodeJS.Timeout;
  private lostSince: number | null = null;
  /** Distinct chunk jobs this runner put in the queue (the rest were already there, or cached). */
  enqueued = 0;
  /** Adds of a job this runner had queued already, because it vanished from Redis (not new chunks). */
  requeued = 0;
  private readonly added = new Set<string>();
  /** Adds in flight: a poll must not read such a job's state half-way and queue it a second time. */
  private readonly enqueuing = new Map<string, Promise<void>>();
  /** Wall time with at least one chunk job outstanding (the part of the run the workers do). */
  private busyMs = 0;
  private busySince = 0;

  get busySeconds(): number {
    return (this.busyMs + (this.pending.size ? performance.now() - this.busySince : 0)) / 1000;
  }

  private constructor(
    private readonly o: Required<Pick<ClusterOptions, 'url' | 'redisTimeout' | 'attempts'>> & ClusterOptions,
    private readonly conn: Redis,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly eventsConn: Redis,
  ) {
    events.on('completed', ({ jobId: id, returnvalue }) => {
      this.lastEvent = Date.now();
      const p = this.pending.get(id);
      if (p)
        this.settle(id, {
          state: 'completed',
          returnvalue: (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as Results,
        });
    });
    events.on('failed', ({ jobId: id }) => {
      this.lastEvent = Date.now();
      if (this.pending.has(id)) void this.check(id);
    });
    conn.on('close', () => (this.lostSince ??= Date.now()));
    conn.on('ready', () => (this.lostSince = null));
    this.timer = setInterval(() => void this.tick(), 1000);
    this.timer.unref();
  }

  static async open(o: ClusterOptions): Promise<ClusterRunner> {
    const target = parseRedisUrl(o.url);
    const conn = connect(target);
    conn.on('error', () => {});
    const queue = new Queue(QUEUE, { connection: conn });
    const eventsConn = connect(target);
    eventsConn.on('error', () => {});
    const events = new QueueEvents(QUEUE, { connection: eventsConn });
    queue.on('error', () => {});
    events.on('error', () => {});
    await events.waitUntilReady();
    const r = new ClusterRunner(
      { redisTimeout: 30, attempts: 3, ...o, url: target.url },
      conn,
      queue,
      events,
      eventsConn,
    );
    r.liveWorkers = await liveWorkers(conn);
    if (!r.liveWorkers)
      o.log?.(
        `no snem worker is connected to ${target.url} yet: chunks wait in the queue until one starts (snem worker --cluster ${target.url})`,
      );
    return r;
  }

  status(): string {
    return `${this.liveWorkers} worker${this.liveWorkers === 1 ? '' : 's'}`;
  }

  run(job: ChunkJob, ctx: { setup: PipelineSetup; graph: ResolvedGraph }): Promise<Results> {
    const data = jobData(ctx.graph, ctx.setup, job);
    const id = jobId(data);
    const existing = this.pending.get(id);
    if (existing)
      return new Promise((resolve, reject) =>
        this.pending.set(id, {
          data,
          resolve: (r) => (existing.resolve(r), resolve(r)),
          reject: (e) => (existing.reject(e), reject(e)),
        }),
      );
    return new Promise<Results>((resolve, reject) => {
      if (!this.pending.size) this.busySince = performance.now();
      this.pending.set(id, { data, resolve, reject });
      this.enqueue(id, data).catch((e) => this.fail(id, e as Error));
    });
  }

  /** Queue the job unless it is there already; then look at it once (another coordinator's may be done). */
  private enqueue(id: string, data: ChunkJobData): Promise<void> {
    const inFlight = this.enqueuing.get(id);
    if (inFlight) return inFlight;
    const p = this.add(id, data).finally(() => this.enqueuing.delete(id));
    this.enqueuing.set(id, p);
    p.then(
      () => void this.check(id),
      () => {},
    );
    return p;
  }

  private async add(id: string, data: ChunkJobData): Promise<void> {
    const state = await this.queue.getJobState(id);
    // A job of an earlier run that failed for good, or completed but whose results are no longer in
    // the store (the probe missed): queue it afresh. One waiting or active (another coordinator's)
    // is simply followed.
    if (state === 'failed' || state === 'completed') await this.queue.remove(id).catch(() => {});
    if (state === 'unknown' || state === 'failed' || state === 'completed') {
      await this.queue.add('chunk', data, {
        jobId: id,
        attempts: this.o.attempts,
        backoff: { type: 'fixed', delay: 500 },
        removeOnComplete: { age: 3600 },
        removeOnFail: { age: 24 * 3600 },
      });
      if (this.added.has(id)) this.requeued++;
      else {
        this.added.add(id);
        this.enqueued++;
      }
    }
  }

  /** Look a pending job up directly (missed event, restarted Redis, another coordinator's job). */
  private async check(id: string): Promise<void> {
    try {
      await this.checkOnce(id);
    } catch {
      // Redis unreachable: the next poll (or the grace period) decides.
    }
  }

  private async checkOnce(id: string): Promise<void> {
    if (!this.pending.has(id) || this.enqueuing.has(id)) return;
    const state = await this.queue.getJobState(id);
    if (state === 'completed') {
      const job = await this.queue.getJob(id);
      if (job) this.settle(id, { state, returnvalue: job.returnvalue as Results });
    } else if (state === 'failed') {
      const job = await this.queue.getJob(id);
      this.settle(id, {
        state,
        reason: job?.failedReason ?? 'unknown error',
        attempts: job?.attemptsMade ?? 0,
      });
    } else if (state === 'unknown') {
      // Gone (a Redis restarted without persistence lost the queue): queue it again.
      await this.enqueue(id, this.pending.get(id)!.data);
    }
  }

  private settle(
    id: string,
    r: { state: 'completed'; returnvalue: Results } | { state: 'failed'; reason: string; attempts: number },
  ) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.idleCheck();
    if (r.state === 'completed') return p.resolve(r.returnvalue);
    const { chunk, nodes } = p.data.job;
    const where = `chunk ${chunk.index} (positions ${chunk.start}–${chunk.start + chunk.count - 1})`;
    const attempts = `after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}`;
    // The worker's message names the op's own node when an op threw (engine failedInNode).
    const failed = failedNodeOf(r.reason);
    p.reject(
      new UserError(
        failed && nodes.includes(failed.node)
          ? `cluster: node '${failed.node}' (${failed.op}) failed on ${where} ${attempts} (one job with node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')}): ${r.reason}`
          : `cluster: ${where} of node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')} failed ${attempts}: ${r.reason}`,
      ),
    );
  }

  private idleCheck() {
    if (!this.pending.size) this.busyMs += performance.now() - this.busySince;
  }

  private fail(id: string, e: Error) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.idleCheck();
    p?.reject(e);
  }

  private tick() {
    if (this.lostSince !== null && Date.now() - this.lostSince > this.o.redisTimeout * 1000) {
      const e = new UserError(
        `lost the connection to Redis at ${this.o.url} for more than ${this.o.redisTimeout} s; the chunks finished so far are kept in the shared store: run the same command again once Redis is back to resume`,
      );
      for (const id of [...this.pending.keys()]) this.fail(id, e);
      return;
    }
    if (this.lostSince !== null) return;
    void liveWorkers(this.conn)
      .then((n) => (this.liveWorkers = n))
      .catch(() => {});
    if (this.pending.size && Date.now() - this.lastEvent > POLL_MS) {
      this.lastEvent = Date.now();
      this.poll();
    }
  }

  /** Look every pending job up now (the slow poll's safety net). */
  poll(): void {
    for (const id of this.pending.keys()) void this.check(id);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // Interrupt QueueEvents' blocking read (up to 10 s) rather than wait for it.
    this.eventsConn.disconnect();
    await this.events.close().catch(() => {});
    await this.queue.close().catch(() => {});
    for (const c of [this.conn, this.eventsConn]) await c.quit().catch(() => c.disconnect());
  }
}

/** The RunBackend of `snem run --cluster`: the shared store and the queue. */
export async function clusterBackend(o: ClusterOptions): Promise<RunBackend & { runner: ClusterRunner }> {
  const store = await SharedStore.open({ url: o.url, storeDir: o.storeDir });
  let runner: ClusterRunner;
  try {
    await checkPersistence(store.redis, {
      url: store.url,
      blobsInRedis: !store.blobDir,
      require: o.requirePersistence,
      warn: o.warn ?? ((m) => process.stderr.write(`${m}\n`)),
    });
    runner = await ClusterRunner.open(o);
  } catch (e) {
    await store.close();
    throw e;
  }
  return {
    store,
    runner,
    setupStore: {
      module: new URL('./shared-store.ts', import.meta.url).href,
      spec: { url: o.url, storeDir: store.blobDir?.dir ?? null },
    },
    close: async () => {
      await runner.close();
      await store.close();
    },
  };
}
