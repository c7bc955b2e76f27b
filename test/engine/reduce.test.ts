/**
 * Reduce-scope ops (calib.geometry's dataset pattern, mask.static's pixel statistics) on a simulated
 * tiny scan: partials computed in the frame pass and cached per chunk, merged in chunk order (same
 * bits for any worker count or chunking of integer data), shared between nodes, resumed after an
 * abort, shown by plan; and the dataset pattern against a direct per-pixel mean / median.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGraph, RunAborted, type GraphDoc, type ProgressEvent } from '../../app/index.ts';
import {
  medianPositions,
  mergePatternPartials,
  patternOf,
  patternPartial,
} from '../../nodes/calib/dataset-pattern.ts';
import type { Manifest } from '../../engine/run-types.ts';
import type { NDArray, Value } from '../../engine/types.ts';
import { makeChunks } from '../../engine/executor.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { simulateToDir } from '../../sim/write.ts';

let work: string;
let doc: GraphDoc;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-reduce-'));
  await simulateToDir({ outDir: path.join(work, 'data'), params: resolveSimParams('tiny', {}), workers: 0 });
  const sim = JSON.parse(fs.readFileSync(path.join(work, 'data', 'graph.json'), 'utf8'));
  doc = {
    snem: 1,
    name: 'reduce',
    dataset: { path: path.join(work, 'data', 'frames.npy') },
    chunkSize: 16,
    nodes: {
      frames: { op: 'source.frames' },
      geometry: sim.nodes.geometry,
      geometryMean: { ...sim.nodes.geometry, params: { ...sim.nodes.geometry.params, pattern: 'mean' } },
      static: { op: 'mask.static', in: { frames: 'frames', geometry: 'geometry' } },
      strict: {
        op: 'mask.static',
        in: { frames: 'frames', geometry: 'geometry' },
        params: { hotFactor: 1.2 },
      },
    },
    outputs: ['geometry', 'geometryMean', 'static', 'strict'],
  } as GraphDoc;
}, 120_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function runOnce(
  name: string,
  opts: {
    workers: number;
    chunkSize?: number;
    sets?: string[];
    cache?: string;
    signal?: AbortSignal;
    onProgress?: (e: ProgressEvent) => void;
  },
) {
  const g = await openGraph(structuredClone(doc), {
    cache: opts.cache ?? path.join(work, `cache-${name}`),
    chunkSize: opts.chunkSize,
    sets: opts.sets,
  });
  const events: ProgressEvent[] = [];
  const out = path.join(work, `run-${name}-${Math.random().toString(36).slice(2)}`);
  try {
    await g.run({
      out,
      workers: opts.workers,
      quiet: true,
      noReport: true,
      signal: opts.signal,
      onProgress: (e) => (events.push(e), opts.onProgress?.(e)),
    });
    const values: Record<string, Value> = {};
    for (const id of doc.outputs) values[id] = (await g.read(id))!;
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    return { events, manifest, read: (node: string, field: string) => values[node].fields[field] };
  } finally {
    await g.close();
  }
}

const nodeEvent = (events: ProgressEvent[], node: string) =>
  events.find((e) => e.type === 'node' && e.node === node) as Extract<ProgressEvent, { type: 'node' }>;
const bytes = (a: NDArray) =>
  Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).toString('hex');

describe('reduce ops in the engine', () => {
  it('give the same bits for 1 or 2 workers and any chunking; partials are computed in one pass and shared', async () => {
    const one = await runOnce('w1', { workers: 1 });
    const two = await runOnce('w2', { workers: 2 });
    const odd = await runOnce('c37', { workers: 2, chunkSize: 37 });
    for (const [node, field] of [
      ['geometry', 'center'],
      ['geometry', 'ellipse'],
      ['geometryMean', 'center'],
      ['static', 'mask'],
      ['strict', 'mask'],
    ]) {
      expect(bytes(two.read(node, field)), node).toBe(bytes(one.read(node, field)));
      expect(bytes(odd.read(node, field)), node).toBe(bytes(one.read(node, field)));
    }
    // the fit found the simulated beam near the detector middle, and the two patterns differ
    const [c, cm] = [one.read('geometry', 'center').data, one.read('geometryMean', 'center').data];
    expect(Math.abs(c[0] - 32) + Math.abs(c[1] - 32)).toBeLessThan(4);
    expect(Array.from(cm)).not.toEqual(Array.from(c));
    // one pass over the frames carries every partial (both geometries and the masks: none waits for the geometry)
    const passes = one.events.filter((e) => e.type === 'pass') as Extract<ProgressEvent, { type: 'pass' }>[];
    expect(passes.map((p) => p.nodes)).toEqual([['frames', 'geometry', 'geometryMean', 'static', 'strict']]);
    // 128 positions in 8 chunks; the second mask finds the first one's partials (same frames, same partial params)
    expect(nodeEvent(one.events, 'static').chunks).toEqual({ computed: 8, total: 8 });
    expect(nodeEvent(one.events, 'strict').chunks).toEqual({ computed: 0, total: 8 });
    expect(nodeEvent(one.events, 'strict').status).toBe('computed');
    // the stricter hot threshold masks at least what the default one does
    const [m, s] = [Array.from(one.read('static', 'mask').data), Array.from(one.read('strict', 'mask').data)];
    expect(m.every((v, i) => !v || s[i])).toBe(true);
    expect(s.reduce((t, v) => t + v, 0)).toBeGreaterThan(m.reduce((t, v) => t + v, 0));
    // manifest seconds are wall time (a pass's nodes share its wall; finishes and dataset ops run in
    // turn), so they add up to at most the run's; the ops' time summed over chunks and workers is cpuSeconds
    for (const { manifest: mf } of [one, two]) {
      const nodes = Object.values(mf.nodes);
      expect(nodes.reduce((t, n) => t + n.seconds, 0)).toBeLessThanOrEqual(mf.seconds + 0.01);
      for (const id of ['geometry', 'static', 'frames'])
        expect(mf.nodes[id].cpuSeconds, id).toBeGreaterThanOrEqual(0);
      expect(mf.nodes.static.cpuSeconds).toBeGreaterThan(0);
    }
  }, 180_000);

  it('a finish-only param change reads no frames; an abort resumes from the cached partials; plan shows partials', async () => {
    const cache = path.join(work, 'cache-resume');
    const ctl = new AbortController();
    let chunks = 0;
    await expect(
      runOnce('abort', {
        workers: 1,
        cache,
        signal: ctl.signal,
        onProgress: (e) => e.type === 'chunk' && ++chunks === 3 && ctl.abort(),
      }),
    ).rejects.toBeInstanceOf(RunAborted);

    const g = await openGraph(structuredClone(doc), { cache });
    const plan = await g.plan();
    await g.close();
    const entry = plan.entries.find((e) => e.node === 'static')!;
    expect(entry.status).toBe('will run');
    expect(entry.partials).toEqual({ total: 8, cached: 3 });
    expect(entry.why).toMatch(/5 of 8 chunk partials to compute/);

    const resumed = await runOnce('resume', { workers: 1, cache });
    expect(nodeEvent(resumed.events, 'static').chunks).toEqual({ computed: 5, total: 8 });
    expect(nodeEvent(resumed.events, 'geometry').chunks).toEqual({ computed: 5, total: 8 });

    const edited = await runOnce('edit', { workers: 1, cache, sets: ['static.hotFactor=4'] });
    expect(edited.events.some((e) => e.type === 'pass')).toBe(false);
    expect(nodeEvent(edited.events, 'static')).toMatchObject({
      status: 'computed',
      chunks: { computed: 0, total: 8 },
    });
    expect(nodeEvent(edited.events, 'geometry').status).toBe('cached');
  }, 180_000);
});

describe('the dataset pattern from chunk partials', () => {
  const [ny, nx, h, w] = [5, 9, 6, 7];
  const n = ny * nx;
  const px = h * w;
  const rand = (i: number) => (((Math.sin(i * 12.9898) * 43758.5453) % 1) + 1) % 1;

  function reduced(frames: NDArray, kind: 'mean' | 'median', chunkSize: number): ArrayLike<number> {
    const spec =
      kind === 'mean'
        ? ({ kind: 'mean' } as const)
        : ({ kind: 'sampled', positions: medianPositions(n) } as const);
    let acc: Value | null = null;
    for (const c of makeChunks(n, chunkSize)) {
      const sub: NDArray = {
        dtype: frames.dtype,
        shape: [c.count, h, w],
        data: frames.data.subarray(c.start * px, (c.start + c.count) * px),
      };
      const part = patternPartial(spec, sub, c);
      acc = acc ? mergePatternPartials(acc, part) : part;
    }
    return patternOf(acc!, h, w, 'test').data;
  }

  it('equals the direct per-pixel mean and median: exactly for counts, to rounding for float32', () => {
    const u8: NDArray = {
      dtype: 'uint8',
      shape: [n, h, w],
      data: Uint8Array.from({ length: n * px }, (_, i) => Math.floor(rand(i) * 256)),
    };
    const f32: NDArray = {
      dtype: 'float32',
      shape: [n, h, w],
      data: Float32Array.from({ length: n * px }, (_, i) => rand(i) * 1e4 * 10 ** (3 * rand(i + 7))),
    };
    for (const frames of [u8, f32]) {
      const mean = new Float64Array(px);
      const median = new Float64Array(px);
      for (let i = 0; i < px; i++) {
        const vals = Array.from({ length: n }, (_, p) => frames.data[p * px + i]);
        mean[i] = vals.reduce((s, v) => s + v, 0) / n;
        const s = vals.sort((a, b) => a - b);
        median[i] = n & 1 ? s[n >> 1] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
      }
      for (const chunkSize of [1, 4, 16, n]) {
        expect(Array.from(reduced(frames, 'median', chunkSize))).toEqual(Array.from(median));
        const got = reduced(frames, 'mean', chunkSize);
        if (frames.dtype === 'uint8') expect(Array.from(got)).toEqual(Array.from(mean));
        else for (let i = 0; i < px; i++) expect(Math.abs(got[i] - mean[i]) / mean[i]).toBeLessThan(1e-14);
      }
    }
  });
});
