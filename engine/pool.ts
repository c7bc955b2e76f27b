/**
 * A fixed pool of chunk workers. Each worker takes the next chunk as soon as it is free, so both
 * cores stay busy however uneven the chunks are.
 */
import { Worker } from 'node:worker_threads';
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
  private queue: { id: number; job: ChunkJob }[] = [];
  private nextId = 0;
  private failed: Error | null = null;

  constructor(setup: PipelineSetup, size: number, log: (m: string) => void) {
    const entry = new URL('./worker-entry.js', import.meta.url);
    for (let i = 0; i < size; i++) {
      const w = new Worker(entry, { workerData: setup });
      this.workers.push(w);
      this.ready.push(
        new Promise((resolve, reject) => {
          w.once('error', reject);
          w.on('message', (m) => {
            if (m.type === 'ready') {
              this.idle.push(w);
              resolve();
              this.pump();
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
    this.idle.push(w);
    if (p) {
      if (m.type === 'done') p.resolve(m.results!);
      else {
        const e = m.user ? new UserError(m.message!) : new Error(m.message);
        if (!m.user) e.stack = m.stack;
        p.reject(e);
      }
    }
    this.pump();
  }

  private pump() {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.shift()!;
      const { id, job } = this.queue.shift()!;
      this.busy.set(w, id);
      w.postMessage({ type: 'job', id, job });
    }
  }

  run(job: ChunkJob): Promise<Record<string, ChunkNodeResult>> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, job });
      this.pump();
    });
  }

  /** Reject every job not yet handed to a worker (jobs in a worker run to the end). */
  dropQueued(e: Error): void {
    for (const { id } of this.queue.splice(0)) {
      this.pending.get(id)?.reject(e);
      this.pending.delete(id);
    }
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
