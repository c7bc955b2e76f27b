/**
 * The live virtual detector's polar summary as a cached node: the first session computes it
 * (every chunk), a second session on the same cache reads it back (no chunk computed) with the
 * same values, a centre edit computes a new one; the images equal a direct per-cell computation
 * from the raw patterns, and a detector made of whole cells equals the exact qoi.virtual pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Studio } from '../../studio/server/studio.ts';
import { polarLayout } from '../../nodes/summary/polar-layout.ts';
import { SUMMARY_SECTORS } from '../../studio/server/polar-summary.ts';
import { makeFixture, NX, NY, type StudioFixture } from './fixture.ts';

let fx: StudioFixture;
const CHUNKS = Math.ceil((NY * NX) / 16);
const ring = { shape: 'annulus', inner: 10.4, outer: 27.6, unit: 'px', stat: 'sum' };
const sector = {
  shape: 'sector',
  inner: 5,
  outer: 40.2,
  startDeg: 30,
  endDeg: 130,
  unit: 'px',
  stat: 'mean',
};

beforeAll(async () => {
  fx = await makeFixture();
}, 120_000);

afterAll(() => fx?.cleanup());

/** The summary's image from its definition: per position, Σ_cells (covered / pixels) · Σ_cell pixels. */
function direct(studio: Studio, center: [number, number], idx: Int32Array, stat: string): Float32Array {
  const ds = studio.ctx.dataset!;
  const [h, w] = ds.frameShape;
  const l = polarLayout(center, h, w, SUMMARY_SECTORS);
  const covered = new Float64Array(l.cells);
  for (const i of idx) covered[l.cellOf[i]]++;
  const out = new Float32Array(NY * NX);
  const frames = ds.read(0, NY * NX).data;
  for (let p = 0; p < NY * NX; p++) {
    const cellSum = new Float64Array(l.cells);
    for (let i = 0; i < h * w; i++) cellSum[l.cellOf[i]] += frames[p * h * w + i];
    let acc = 0;
    for (let c = 0; c < l.cells; c++) if (covered[c]) acc += (covered[c] / l.cellPixels[c]) * cellSum[c];
    out[p] = stat === 'mean' ? acc / idx.length : acc;
  }
  return out;
}

async function summaryImage(studio: Studio, body: Record<string, unknown>) {
  await studio.virtual.image(body); // starts the summary (computed or read back)
  await studio.virtual.summaryReady();
  const v = await studio.virtual.image(body);
  expect(v.header.exact).toBe(false);
  return v;
}

describe('polar summary in the cache', () => {
  it('first session computes it, a second one reads it back, a centre edit computes a new one', async () => {
    const a = await Studio.open({ target: fx.graphFile, cacheDir: fx.cacheDir });
    let first: Float32Array;
    let center: [number, number];
    try {
      // Nothing cached yet: the start-up prefetch computes nothing.
      await a.virtual.prefetch();
      expect(a.virtual.builds).toEqual([]);
      const v = await summaryImage(a, ring);
      expect(a.virtual.builds).toHaveLength(1);
      expect(a.virtual.builds[0]).toMatchObject({ computedChunks: CHUNKS, cachedChunks: 0 });
      center = a.virtual.builds[0].center;
      first = v.array.data as Float32Array;
      // The same numbers as summing the raw patterns per cell here (cut cells weighted by coverage).
      const exact = await a.virtual.image({ ...ring, exact: true });
      expect(exact.header.pixels).toBe(pixelsOf(a, ring, center).length);
      const exactRing = exact.array.data as Float32Array;
      expect(exactRing).not.toEqual(first); // cut cells: approximate indeed
      const s = await summaryImage(a, sector);
      const pix = pixelsOf(a, sector, center);
      expect(Array.from(s.array.data)).toEqual(Array.from(direct(a, center, pix, 'mean')));
      expect(Array.from(first)).toEqual(Array.from(direct(a, center, pixelsOf(a, ring, center), 'sum')));
      // A detector of whole cells (everything) is exact.
      const all = { shape: 'disc', radius: 500, unit: 'px', stat: 'sum' };
      expect(Array.from((await a.virtual.image(all)).array.data)).toEqual(
        Array.from((await a.virtual.image({ ...all, exact: true })).array.data),
      );
    } finally {
      await a.close();
    }

    const b = await Studio.open({ target: fx.graphFile, cacheDir: fx.cacheDir });
    try {
      // Cached: the start-up prefetch reads it back, and the first drag is answered from it.
      await b.virtual.prefetch();
      expect(b.virtual.builds).toEqual([
        expect.objectContaining({ center, computedChunks: 0, cachedChunks: CHUNKS }),
      ]);
      const v = await b.virtual.image(ring);
      expect(v.header.exact).toBe(false);
      expect(Array.from(v.array.data)).toEqual(Array.from(first));

      // A centre edit: a new summary, computed; the image about the new centre differs.
      b.session.edit([
        { op: 'set', node: 'geometry', param: 'center', value: [center[0] + 3, center[1] - 2] },
      ]);
      expect((await b.virtual.image(ring)).header.exact).toBe(true); // while the new one computes
      const moved = await summaryImage(b, ring);
      expect(b.virtual.builds).toHaveLength(2);
      expect(b.virtual.builds[1]).toMatchObject({
        center: [center[0] + 3, center[1] - 2],
        computedChunks: CHUNKS,
      });
      expect(Array.from(moved.array.data)).not.toEqual(Array.from(first));
      // Back to the old centre: read back again, nothing computed.
      b.session.undo();
      await summaryImage(b, ring);
      expect(b.virtual.builds[2]).toMatchObject({ center, computedChunks: 0, cachedChunks: CHUNKS });
    } finally {
      await b.close();
    }
  }, 120_000);
});

/** The detector's pixels as qoi.virtual lists them (same centre). */
function pixelsOf(studio: Studio, d: Record<string, unknown>, center: [number, number]): Int32Array {
  const [h, w] = studio.ctx.dataset!.frameShape;
  const [cx, cy] = center;
  const out: number[] = [];
  for (let row = 0; row < h; row++)
    for (let col = 0; col < w; col++) {
      const r = Math.hypot(col - cx, row - cy);
      let keep = r >= (d.inner as number) && r <= (d.outer as number);
      if (d.shape === 'sector') {
        let a = (Math.atan2(-(row - cy), col - cx) * 180) / Math.PI;
        if (a < 0) a += 360;
        keep &&= a >= (d.startDeg as number) && a <= (d.endDeg as number);
      }
      if (keep) out.push(row * w + col);
    }
  return Int32Array.from(out);
}
