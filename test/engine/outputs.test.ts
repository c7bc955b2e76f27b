import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeChunks } from '../../engine/executor.ts';
import { concatFirst, FirstAxisGather, nd } from '../../engine/ndarray.ts';
import { streamFrameOutputs, writeNodeOutputs } from '../../app/outputs.ts';
import type { ChunkInfo, Value } from '../../engine/types.ts';

const scan = { ny: 5, nx: 7 };
const dirs: string[] = [];
const tmp = (tag: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `snem-out-${tag}-`));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A frame node's chunk: float64 curves with an axis, an int32 map, a float32 map. */
function chunkValue(c: ChunkInfo): Value {
  const n = 6;
  const curve = Float64Array.from({ length: c.count * n }, (_, i) => Math.sin(c.start * n + i) * 1e3 + 1 / 3);
  return {
    fields: {
      G: nd(curve, [c.count, n]),
      count: nd(
        Int32Array.from({ length: c.count }, (_, i) => (c.start + i) * 7 - 11),
        [c.count],
      ),
      r1: nd(
        Float32Array.from({ length: c.count }, (_, i) => (c.start + i) / 9),
        [c.count],
      ),
    },
    axes: {
      r: nd(
        Float64Array.from({ length: n }, (_, i) => i * 0.01),
        [n],
      ),
    },
    meta: { axisOf: { G: 'r' }, units: { G: 'Å⁻²' } },
  };
}

describe('streamed outputs', () => {
  it('write the same files, byte for byte, as the concatenated value', async () => {
    const chunks = makeChunks(scan.ny * scan.nx, 8); // 8, 8, 8, 8, 3
    const src = { node: 'pdf', op: 'pdf.reduce', scope: 'frame' as const, key: 'k', valueHash: 'v' };
    const a = tmp('a');
    const b = tmp('b');
    const values = chunks.map(chunkValue);
    const whole: Value = {
      fields: Object.fromEntries(
        Object.keys(values[0].fields).map((f) => [f, concatFirst(values.map((v) => v.fields[f]))]),
      ),
      axes: values[0].axes,
      meta: values[0].meta,
    };
    const gathered = writeNodeOutputs(a, { ...src, value: whole }, scan);
    let reads = 0;
    const streamed = await streamFrameOutputs(
      b,
      src,
      chunks,
      async (i) => (reads++, chunkValue(chunks[i])),
      scan,
    );
    expect(streamed).toEqual(gathered);
    expect(reads).toBe(chunks.length);
    const files = fs.readdirSync(a).sort();
    expect(fs.readdirSync(b).sort()).toEqual(files);
    expect(files).toEqual(['pdf.G.axis.npy', 'pdf.G.npy', 'pdf.count.npy', 'pdf.r1.npy']);
    for (const f of files)
      expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f)))).toBe(true);
  });

  it('decline (null, nothing left behind) when a chunk is not one row per position', async () => {
    const chunks = makeChunks(scan.ny * scan.nx, 8);
    const dir = tmp('c');
    const odd = (i: number): Value =>
      i === 2
        ? { fields: { s: nd(Float32Array.of(1), [1]) } }
        : { fields: { s: nd(new Float32Array(chunks[i].count), [chunks[i].count]) } };
    const got = await streamFrameOutputs(
      dir,
      { node: 'x', op: 'o', scope: 'frame', key: 'k', valueHash: 'v' },
      chunks,
      async (i) => odd(i),
      scan,
    );
    expect(got).toBeNull();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('FirstAxisGather equals concatFirst, also when parts stop matching the chunks', () => {
    const parts = [
      nd(Float32Array.of(1, 2, 3, 4), [2, 2]),
      nd(Float64Array.of(5.5, 6), [1, 2]),
      nd(Float32Array.of(7, 8, 9, 10), [2, 2]),
    ];
    for (const expected of [
      [2, 1, 2],
      [2, 2, 2],
      [1, 1, 2],
    ]) {
      const g = new FirstAxisGather(5);
      parts.forEach((p, i) => {
        g.add(p, expected[i]);
      });
      const got = g.result();
      const want = concatFirst(parts);
      expect(got.shape).toEqual(want.shape);
      expect(got.dtype).toBe(want.dtype);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
    }
  });
});
