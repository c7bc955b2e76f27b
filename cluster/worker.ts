/**
 * `snem worker --cluster redis://HOST:PORT`: takes chunk jobs from the BullMQ queue and runs them
 * in this machine's worker threads (engine/pool.ts), against the shared store. The threads keep the
 * event loop free, so BullMQ renews job locks while a chunk computes; a worker killed with -9 stops
 * renewing, and another worker's stalled-job check hands its chunk on.
 */
import fs from 'node:fs';
import os from 'node:os';
import { Worker, type Job } from 'bullmq';
import type { ChunkNodeResult } from '../engine/chunk-pipeline.ts';
import { initHash } from '../engine/hash.ts';
import type { PipelineSetup } from '../engine/pipeline-env.ts';
import { WorkerPool } from '../engine/pool.ts';
import { engineWiring } from '../app/wiring.ts';
import { setupId, versionProblem, QUEUE, type ChunkJobData } from './jobs.ts';
import { startHeartbeat } from './heartbeat.ts';
import { checkRedis, connect, parseRedisUrl } from './redis-url.ts';
import { checkPersistence } from './redis-persistence.ts';
import { SharedStore } from './shared-store.ts';

export interface WorkerOptions {
  url: string;
  storeDir?: string | null;
  /** Chunks computed at once (worker threads). */
  concurrency: number;
  /** Seconds after which a chunk of a silent (dead) worker goes to another one (default 30). */
  stalledAfter?: number;
  /** Refuse a Redis that would lose the action table on restart (default: warn). */
  requirePersistence?: boolean;
  log?: (m: string) => void;
}

export interface RunningWorker {
  /** Chunks this process has computed or taken from the store. */
  done: number;
  close(): Promise<void>;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  await initHash();
  const wiring = await engineWiring();
  const target = parseRedisUrl(o.url);
  await checkRedis(target);
  // Opens (and checks) the store the way the threads will: a wrong --store fails here, once.
  const probe = await SharedStore.open({ url: o.url, storeDir: o.storeDir });
  const storeSpec = {
    module: new URL('./shared-store.ts', import.meta.url).href,
    spec: { url: target.url, storeDir: probe.blobDir?.dir ?? null },
  };
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  try {
    await checkPersistence(probe.redis, {
      url: target.url,
      blobsInRedis: !probe.blobDir,
      require: o.requirePersistence,
      warn: log,
    });
  } finally {
    await probe.close();
  }
  const host = os.hostname();

  /** One thread pool per graph set-up; a new set-up replaces pools with nothing running. */
  const pools = new Map<string, { pool: WorkerPool; running: number }>();
  const poolFor = (setup: PipelineSetup) => {
    const id = setupId(setup);
    let entry = pools.get(id);
    if (!entry) {
      for (const [k, e] of pools) {
        if (e.running === 0) {
          pools.delete(k);
          void e.pool.close();
        }
      }
      entry = { pool: new WorkerPool({ ...setup, store: storeSpec }, o.concurrency, log), running: 0 };
      pools.set(id, entry);
    }
    return { id, entry };
  };

  const state = { done: 0 };
  const processor = async (job: Job<ChunkJobData>): Promise<Record<string, ChunkNodeResult>> => {
    const d = job.data;
    const refused = versionProblem(d, wiring.registry);
    if (refused) throw new Error(refused);
    const ds = d.setup.dataset?.path;
    if (ds) {
      try {
        fs.accessSync(ds, fs.constants.R_OK);
      } catch (e) {
        throw new Error(
          `worker ${host} cannot open the dataset ${ds} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); every worker needs it at the same path (shared storage)`,
        );
      }
    }
    const { id, entry } = poolFor({ ...d.setup, wiringModule: wiring.module });
    entry.running++;
    try {
      const r = await entry.pool.run(d.job);
      state.done++;
      return r;
    } catch (e) {
      // A thread that failed leaves its pool unusable: the next job starts a fresh one.
      if (pools.get(id) === entry) pools.delete(id);
      void entry.pool.close();
      throw new Error(`worker ${host}: ${(e as Error).message}`);
    } finally {
      entry.running--;
    }
  };

  const beatConn = connect(target);
  beatConn.on('error', () => {});
  const stopBeat = startHeartbeat(beatConn, { concurrency: o.concurrency });
  const stalledMs = Math.round((o.stalledAfter ?? 30) * 1000);
  const worker = new Worker<ChunkJobData>(QUEUE, processor, {
    connection: connect(target),
    concurrency: o.concurrency,
    name: `snem ${host} ${process.pid}`,
    lockDuration: stalledMs,
    stalledInterval: Math.max(500, Math.round(stalledMs / 2)),
    maxStalledCount: 3,
  });
  // While Redis is away every reconnection attempt fails: say so once, and when it is back.
  let lastError = '';
  worker.on('error', (e) => {
    if (e.message !== lastError) log(`worker: ${e.message} (retrying)`);
    lastError = e.message;
  });
  worker.on('ready', () => {
    if (lastError) log('worker: connected again');
    lastError = '';
  });
  worker.on(
    'failed',
    (job, e) =>
      job &&
      log(
        `chunk ${job.data.job.chunk.index} of ${job.data.job.nodes.join(', ')} failed (attempt ${job.attemptsMade}): ${e.message}`,
      ),
  );
  await worker.waitUntilReady();
  return {
    get done() {
      return state.done;
    },
    close: async () => {
      await worker.close();
      await stopBeat();
      await beatConn.quit().catch(() => beatConn.disconnect());
      await Promise.all([...pools.values()].map((e) => e.pool.close()));
      pools.clear();
    },
  };
}
