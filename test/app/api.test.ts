/**
 * The public API (`import { openGraph, plan, run } from 'snem'`) on the toy ops: plan, run with
 * progress events per node and per chunk, reading a node's cached value (whole or one chunk), and
 * an abort that keeps the chunks finished before it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openGraph, plan, RunAborted, type GraphDoc, type ProgressEvent } from 'snem';

const root = path.resolve(__dirname, '../..');
const toyGraph: GraphDoc = JSON.parse(
  fs.readFileSync(path.join(root, 'test/fixtures/toy-graph.json'), 'utf8'),
);

let work: string;
beforeAll(() => {
  // Toy ops reach the chunk workers the way user plugins do.
  process.env.SNEM_OPS = path.join(root, 'test/fixtures/toy-ops.ts');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-api-'));
});

describe('openGraph', () => {
  it('plans, runs with progress events, then reads values whole and per chunk', async () => {
    const cache = path.join(work, 'cache-a');
    const g = await openGraph(structuredClone(toyGraph), { cache });
    try {
      expect(g.scan).toEqual({ ny: 8, nx: 8 });
      expect(g.chunks.length).toBe(4);
      expect(g.registry.has('toy.sum')).toBe(true);
      const before = await g.plan();
      // An uncached source (re-read, not stored) plans as cached.
      expect(before.entries.map((e) => `${e.node}:${e.status}`)).toEqual([
        'src:cached',
        'scale:will run',
        'sum:will run',
        'mean:will run',
      ]);
      expect(await g.read('sum')).toBeNull();

      const events: ProgressEvent[] = [];
      const { runDir, manifest } = await g.run({
        out: path.join(work, 'run-a'),
        workers: 1,
        quiet: true,
        noReport: true,
        onProgress: (e) => events.push(e),
      });
      expect(fs.existsSync(path.join(runDir, 'sum.npy'))).toBe(true);
      expect(manifest.nodes.sum.status).toBe('computed');
      expect(events.find((e) => e.type === 'pass')).toEqual({
        type: 'pass',
        nodes: ['src', 'scale', 'sum'],
        total: 4,
        cached: 0,
      });
      const chunks = events.filter((e) => e.type === 'chunk');
      expect(chunks.map((e) => e.type === 'chunk' && [e.chunk, e.done, e.total])).toEqual([
        [0, 1, 4],
        [1, 2, 4],
        [2, 3, 4],
        [3, 4, 4],
      ]);
      expect(
        events.filter((e) => e.type === 'node').map((e) => e.type === 'node' && `${e.node}:${e.status}`),
      ).toEqual(['src:cached', 'scale:computed', 'sum:computed', 'mean:computed']);
      expect(events.some((e) => e.type === 'node-start' && e.node === 'mean')).toBe(true);

      // sum over j of 2·p·(j+1) = 20·p at position p.
      const sum = (await g.read('sum'))!;
      expect(sum.fields.s.shape).toEqual([8, 8]);
      expect(Array.from(sum.fields.s.data)).toEqual(Array.from({ length: 64 }, (_, p) => 20 * p));
      const chunk1 = (await g.read('sum', { chunk: 1 }))!;
      expect(chunk1.fields.s.shape).toEqual([16]);
      expect(chunk1.fields.s.data[0]).toBe(20 * 16);
      expect((await g.read('mean'))!.fields.mean.data[0]).toBeCloseTo(20 * 31.5, 10);
      await expect(g.read('nope')).rejects.toThrow(/no node 'nope'/);

      const after = await g.plan();
      expect(after.entries.every((e) => e.status === 'cached')).toBe(true);
    } finally {
      await g.close();
    }
  });

  it('an abort stops the run, keeps the chunks finished before it, and a later run resumes', async () => {
    const cache = path.join(work, 'cache-b');
    const doc = structuredClone(toyGraph);
    doc.chunkSize = 8;
    doc.nodes.scale.params = { gain: 2, slowMs: 150 };
    const g = await openGraph(doc, { cache });
    const controller = new AbortController();
    try {
      const run = g.run({
        out: path.join(work, 'run-b'),
        workers: 2,
        quiet: true,
        noReport: true,
        signal: controller.signal,
        onProgress: (e) => e.type === 'chunk' && controller.abort(),
      });
      await expect(run).rejects.toBeInstanceOf(RunAborted);
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await g.close();
    }
    const p = await plan(doc, { cache });
    const scale = p.entries.find((e) => e.node === 'scale')!;
    expect(scale.status).toBe('will run');
    expect(scale.chunks!.total).toBe(8);
    expect(scale.chunks!.cached).toBeGreaterThanOrEqual(1);
    expect(scale.chunks!.cached).toBeLessThan(8);
    expect(scale.why).toMatch(/interrupted run resumes here/);

    const again = await openGraph(doc, { cache });
    try {
      const events: ProgressEvent[] = [];
      await again.run({
        out: path.join(work, 'run-c'),
        workers: 1,
        quiet: true,
        noReport: true,
        onProgress: (e) => events.push(e),
      });
      expect(events.find((e) => e.type === 'pass')).toEqual({
        type: 'pass',
        nodes: ['src', 'scale', 'sum'],
        total: 8,
        cached: scale.chunks!.cached,
      });
      expect(Array.from((await again.read('sum'))!.fields.s.data)).toEqual(
        Array.from({ length: 64 }, (_, i) => 20 * i),
      );
    } finally {
      await again.close();
    }
  });
});
