import { describe, expect, it } from 'vitest';
import { f64, nd } from '../../engine/ndarray.ts';
import { frameStat, inArc, shapeIndices } from '../../nodes/qoi/detector-masks.ts';
import { parabolicVertex } from '../../nodes/qoi/peak-find.ts';
import { qoiPeak } from '../../nodes/qoi/peak.ts';
import { qoiVirtual } from '../../nodes/qoi/virtual.ts';

const picture = (idx: Int32Array, h: number, w: number) => {
  const rows: string[] = [];
  for (let r = 0; r < h; r++) {
    let s = '';
    for (let c = 0; c < w; c++) s += idx.includes(r * w + c) ? '#' : '.';
    rows.push(s);
  }
  return rows;
};

describe('virtual detector masks', () => {
  it('disc, annulus and sector cover the expected pixels of a 5×5 detector', () => {
    expect(picture(shapeIndices({ kind: 'disc', radius: 1 }, 5, 5, 2, 2), 5, 5)).toEqual([
      '.....',
      '..#..',
      '.###.',
      '..#..',
      '.....',
    ]);
    expect(picture(shapeIndices({ kind: 'annulus', inner: 1.2, outer: 2 }, 5, 5, 2, 2), 5, 5)).toEqual([
      '..#..',
      '.#.#.',
      '#...#',
      '.#.#.',
      '..#..',
    ]);
    // first quadrant as displayed: right and up (smaller rows)
    expect(
      picture(
        shapeIndices({ kind: 'sector', inner: 0.5, outer: 2, startDeg: 0, endDeg: 90 }, 5, 5, 2, 2),
        5,
        5,
      ),
    ).toEqual(['..#..', '..##.', '...##', '.....', '.....']);
  });

  it('sector arcs wrap through 360°', () => {
    expect(inArc(350, 300, 30)).toBe(true);
    expect(inArc(10, 300, 30)).toBe(true);
    expect(inArc(100, 300, 30)).toBe(false);
  });

  it('statistics, saturation exclusion and descan shifts', () => {
    const frame = Uint8Array.from([0, 1, 2, 3, 255, 5, 6, 7, 8]); // 3×3, saturated centre
    const disc = shapeIndices({ kind: 'disc', radius: 1 }, 3, 3, 1, 1); // 1, 3, 4, 5, 7
    expect(frameStat(frame, 0, disc, 3, 3, 0, 0, Infinity, 'sum')).toBe(1 + 3 + 255 + 5 + 7);
    expect(frameStat(frame, 0, disc, 3, 3, 0, 0, 255, 'sum')).toBe(16);
    expect(frameStat(frame, 0, disc, 3, 3, 0, 0, 255, 'max')).toBe(7);
    expect(frameStat(frame, 0, disc, 3, 3, 0, 0, 255, 'mean')).toBe(4);
    expect(frameStat(frame, 0, disc, 3, 3, 0, 0, 255, 'std')).toBeCloseTo(Math.sqrt((9 + 1 + 1 + 9) / 4), 12);
    // shifted one column right: pixels 2, 4(sat), 5, 8 (col 3 is off the detector)
    expect(frameStat(frame, 0, disc, 3, 3, 0, 1, 255, 'sum')).toBe(2 + 5 + 8);
  });

  it('the op: VBF with the saturated core excluded, centred on the geometry centre', async () => {
    const h = 9,
      w = 9;
    const frames = new Uint8Array(2 * h * w).fill(1);
    frames[4 * w + 4] = 255; // position 0: saturated core
    frames[h * w + 4 * w + 4] = 100; // position 1: bright but not saturated
    const params = {
      shape: 'disc',
      radius: 1,
      inner: null,
      outer: null,
      startDeg: 0,
      endDeg: 90,
      unit: 'px',
      stat: 'sum',
      excludeSaturated: true,
      center: null,
      maskFile: null,
    } as const;
    const geometry = { fields: { center: f64([2], [4, 4]), qPerPixel: f64([1], [0.2]) } };
    const base = { node: 'vbf', scan: { ny: 1, nx: 2 }, dataset: null, log: () => {}, params: { ...params } };
    const state = await qoiVirtual.prepare!({ ...base, inputs: { geometry } });
    const out = await qoiVirtual.process!({
      ...base,
      chunk: { index: 0, start: 0, count: 2 },
      inputs: { frames: { fields: { frames: nd(frames, [2, h, w]) } } },
      state,
    });
    expect(Array.from(out.fields.value.data)).toEqual([4, 104]);
    // radius in Q: 0.2 Å⁻¹ = 1 px
    const qState = await qoiVirtual.prepare!({
      ...base,
      params: { ...params, radius: 0.2, unit: 'q' },
      inputs: { geometry },
    });
    expect(qState.indices(h, w).length).toBe(5);
  });
});

describe('qoi.peak', () => {
  it('parabolic vertex is exact for a parabola', () => {
    const f = (x: number) => 3 - 2 * (x - 2.73) ** 2;
    const [xv, yv] = parabolicVertex(2.7, f(2.7), 2.71, f(2.71), 2.72, f(2.72));
    expect(xv).toBeCloseTo(2.715, 10); // clamped to half a step from the middle sample
    const [xw, yw] = parabolicVertex(2.72, f(2.72), 2.73, f(2.73), 2.74, f(2.74));
    expect(xw).toBeCloseTo(2.73, 10);
    expect(yw).toBeCloseTo(3, 10);
    expect(yv).toBeLessThan(3);
  });

  it('finds the sub-grid maximum of a Gaussian peak and the first ring of an I(Q)', async () => {
    const n = 200;
    const r = f64(
      [n],
      Array.from({ length: n }, (_, i) => i * 0.05),
    );
    const G = new Float32Array(n);
    for (let i = 0; i < n; i++)
      G[i] = 5 * Math.exp(-((r.data[i] - 2.737) ** 2) / (2 * 0.15 ** 2)) + (i === 10 ? 50 : 0);
    const base = {
      node: 'r1',
      scan: { ny: 1, nx: 1 },
      dataset: null,
      log: () => {},
      state: undefined,
      chunk: { index: 0, start: 0, count: 1 },
    };
    const value = { fields: { G: nd(G, [1, n]) }, axes: { r: r }, meta: { axisOf: { G: 'r' } } };
    const out = await qoiPeak.process!({
      ...base,
      params: { range: [2.2, 3.0], mode: 'max', field: null },
      inputs: { curve: value },
    });
    expect(Math.abs(out.fields.position.data[0] - 2.737)).toBeLessThan(0.005);
    expect(out.fields.height.data[0]).toBeCloseTo(5, 1);
    // I(Q): steep direct-beam tail + ring at 2.6 Å⁻¹; the window's global max is its first sample
    const I = new Float32Array(n);
    for (let i = 0; i < n; i++)
      I[i] = 100 * Math.exp(-r.data[i] / 0.4) + 3 * Math.exp(-((r.data[i] - 2.6) ** 2) / (2 * 0.3 ** 2));
    const iv = { fields: { I: nd(I, [1, n]) }, axes: { q: r }, meta: { axisOf: { I: 'q' } } };
    const ring = await qoiPeak.process!({
      ...base,
      params: { range: [1.0, 6.0], mode: 'firstRing', field: null },
      inputs: { curve: iv },
    });
    const mx = await qoiPeak.process!({
      ...base,
      params: { range: [1.0, 6.0], mode: 'max', field: null },
      inputs: { curve: iv },
    });
    expect(Math.abs(ring.fields.position.data[0] - 2.6)).toBeLessThan(0.1);
    expect(mx.fields.position.data[0]).toBeLessThan(1.1);
  });
});
