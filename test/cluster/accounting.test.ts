/**
 * The coordinator's job accounting (issue 15: "a chunk is never queued twice"), in process against
 * a private Redis with no worker, so every job stays waiting: N chunk jobs are N jobs in the queue
 * and N counted, even with the slow poll reading their state while the adds are in flight; a job
 * asked for again while pending is not added again; one that vanished from Redis is queued again
 * and counted as such, not as a new chunk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterRunner } from '../../cluster/coordinator.ts';
import { QUEUE } from '../../cluster/jobs.ts';
import type { ChunkJob } from '../../engine/chunk-pipeline.ts';
import type { ResolvedGraph } from '../../engine/graph.ts';
import { initHash } from '../../engine/hash.ts';
import type { PipelineSetup } from '../../engine/pipeline-env.ts';
import { sleep, TestRedis } from './redis-harness.ts';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

let work: string;
let redis: TestRedis;

beforeAll(async () => {
  if (!hasRedis) return;
  await initHash();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-cluster-accounting-'));
  redis = await TestRedis.start(path.join(work, 'redis'));
});
afterAll(async () => {
  await redis?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A job of no node over chunk i (its id depends on the chunk alone). */
const job = (i: number): ChunkJob => ({
  chunk: { index: i, start: 4 * i, count: 4 },
  nodes: [],
  known: {},
  datasetValues: {},
});
const setup = {
  graphDoc: { name: 'accounting' },
  sets: [],
  datasetHash: 'd',
  fileHashes: {},
  scan: { ny: 8, nx: 20 },
  cacheDir: '',
} as unknown as PipelineSetup;
const graph = { nodes: new Map() } as unknown as ResolvedGraph;

async function waiting(q: Queue, n: number): Promise<number> {
  for (let i = 0; i < 100 && (await q.getWaitingCount()) < n; i++) await sleep(50);
  return q.getWaitingCount();
}

describe.skipIf(!hasRedis)('cluster coordinator accounting', () => {
  it('N chunks are N queued jobs, polls mid-add included; a vanished job is counted as queued again', async () => {
    const N = 40;
    const runner = await ClusterRunner.open({ url: redis.url });
    const q = new Queue(QUEUE, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      for (let i = 0; i < N; i++) void runner.run(job(i), { setup, graph });
      // The slow poll firing while the adds are in flight (as at a pass's start after a long
      // dataset phase), at once and a little later.
      runner.poll();
      setTimeout(() => runner.poll(), 5);
      await sleep(20);
      runner.poll();
      expect(await waiting(q, N)).toBe(N);
      await sleep(200);
      expect(runner.enqueued).toBe(N);
      expect(runner.requeued).toBe(0);
      // The same chunk job asked for again while pending: followed, not added.
      void runner.run(job(3), { setup, graph });
      await sleep(200);
      expect(runner.enqueued).toBe(N);
      // A job Redis lost (a restart that kept nothing): the poll queues it again.
      const [lost] = await q.getWaiting(0, 0);
      await lost.remove();
      expect(await q.getWaitingCount()).toBe(N - 1);
      runner.poll();
      expect(await waiting(q, N)).toBe(N);
      await sleep(200);
      expect(runner.enqueued).toBe(N);
      expect(runner.requeued).toBe(1);
    } finally {
      await q.close();
      await runner.close();
    }
  });
});
