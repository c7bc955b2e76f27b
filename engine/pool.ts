/**
 * A fixed pool of chunk workers. Each worker takes the next chunk as soon as it is free, so both
 * cores stay busy however uneven the chunks are. The queue of chunks waiting for a worker is
 * p-limit's (at most one job per worker in flight); each job dispatched takes an idle worker.
 */
import { Worker } from 'node:worker_threads';
import pLimit, { type LimitFunction } from 'p-limit';
import { UserError } from './errors.ts';
import type { ChunkJob, ChunkNodeResult } from './chunk-pipeline.ts';
import type { PipelineSetup } from './pipeline-env.ts';

interface Pending {
  resolve: (r: Record<string, ChunkNodeResult>) => void;
  reject: (e: Error) => void;
}

export class WorkerPool {
  private workers: Worker[] = [];
  private ready: Promise<void>[] = [];
  private pending = new Map<number, Pending>();
  private idle: Worker[] = [];
  /** Dispatches waiting for a worker to start (only before every worker is ready). */
  private waiting: { resolve: (w: Worker) => void; reject: (e: Error) => void }[] = [];
  private readonly limit: LimitFunction;
  /** Why the queued jobs were dropped (they are rejected with it). */
  private dropped: Error | null = null;
  private nextId = 0;
  private failed: Error | null = null;

  constructor(setup: PipelineSetup, size: number, log: (m: string) => void) {
    this.limit = pLimit({ concurrency: size, rejectOnClear: true });
    const entry = new URL('./worker-entry.js', import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = new Worker(entry, { workerData: setup });
      this.workers.push(w);
      this.ready.push(
        new Promise((resolve, reject) => {
          w.once('error', reject);
          w.on('message', (m) => {
            if (m.type === 'ready') {
              this.release(w);
              resolve();
            } else if (m.type === 'log') log(m.msg);
            else this.settle(w, m);
          });
        }),
      );
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new Error(`chunk worker exited with code ${code}`));
      });
    }
  }

  private closing = false;
  private busy = new Map<Worker, number>();

  private fail(e: Error) {
    this.failed ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    for (const d of this.waiting.splice(0)) d.reject(e);
  }

  /** A worker is free: to the dispatch waiting for one, else idle. */
  private release(w: Worker) {
    const d = this.waiting.shift();
    if (d) d.resolve(w);
    else this.idle.push(w);
  }

  private settle(
    w: Worker,
    m: {
      type: string;
      id: number;
      results?: Record<string, ChunkNodeResult>;
      message?: string;
      stack?: string;
      user?: boolean;
    },
  ) {
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    this.busy.delete(w);
    this.release(w);
    if (p) {
      if (m.type === 'done') p.resolve(m.results!);
      else {
        const e = m.user ? new UserError(m.message!) : new Error(m.message);
        if (!m.user) e.stack = m.stack;
        p.reject(e);
      }
    }
  }

  run(job: ChunkJob): Promise<Record<string, ChunkNodeResult>> {
    if (this.failed) return Promise.reject(this.failed);
    return this.limit(() => this.dispatch(job)).catch((e: Error) => {
      throw e.name === 'AbortError' && this.dropped ? this.dropped : e;
    });
  }

  /** Hand the job to a free worker (p-limit lets at most one job per worker through). */
  private async dispatch(job: ChunkJob): Promise<Record<string, ChunkNodeResult>> {
    if (this.failed) throw this.failed;
    const w =
      this.idle.shift() ??
      (await new Promise<Worker>((resolve, reject) => this.waiting.push({ resolve, reject })));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.busy.set(w, id);
      w.postMessage({ type: 'job', id, job });
    });
  }

  /** Reject every job not yet handed to a worker with `e` (jobs in a worker run to the end). */
  dropQueued(e: Error): void {
    this.dropped = e;
    this.limit.clearQueue();
  }

  async started(): Promise<void> {
    await Promise.all(this.ready);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.postMessage({ type: 'close' });
            setTimeout(() => void w.terminate(), 5000).unref();
          }),
      ),
    );
  }
}
