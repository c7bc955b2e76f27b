/**
 * ROI → mean curves: `POST /api/curve/mean` against the per-position curves the run stored (read
 * one position at a time through `/api/curve`), in the studio and in `snem serve RUN_DIR`; the
 * NaN-aware statistics against hand-computed values; bad requests named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CurveStats } from '../../studio/server/curve-stats.ts';
import { listen } from '../../studio/server/server.ts';
import { ReadonlyRun } from '../../studio/server/readonly.ts';
import { client } from './client.ts';
import { NX, startStudio, type StudioHarness } from './fixture.ts';

let studio: StudioHarness['studio'];
let api: StudioHarness['api'];

let harness: StudioHarness;

beforeAll(async () => {
  harness = await startStudio();
  ({ studio, api } = harness);
}, 120_000);

afterAll(() => harness?.close());

const f32 = (a: { b64: string }) => new Float32Array(new Uint8Array(Buffer.from(a.b64, 'base64')).buffer);
const i32 = (a: { b64: string }) => new Int32Array(new Uint8Array(Buffer.from(a.b64, 'base64')).buffer);

/** Mean and population σ per bin of the positions' curves, NaN skipped (the reference). */
function reference(curves: Float32Array[]) {
  const n = curves[0].length;
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  const count = new Int32Array(n);
  for (let b = 0; b < n; b++) {
    const v = curves.map((c) => c[b]).filter(Number.isFinite);
    count[b] = v.length;
    mean[b] = v.reduce((s, x) => s + x, 0) / v.length;
    std[b] = Math.sqrt(v.reduce((s, x) => s + (x - mean[b]) ** 2, 0) / v.length);
  }
  return { mean, std, count };
}

describe('CurveStats', () => {
  it('mean, σ, min, max and count per bin, NaN bins skipped, an all-NaN curve counted as failed', () => {
    const st = new CurveStats(3);
    st.add([1, NaN, 5], 0);
    st.add([0, 0, 3, 2, NaN, 7], 3);
    st.add([NaN, NaN, NaN], 0);
    const r = st.result();
    expect(Array.from(st.count)).toEqual([2, 0, 2]);
    expect(Array.from(r.mean)).toEqual([1.5, NaN, 6]);
    expect(Array.from(r.std)).toEqual([0.5, NaN, 1]);
    expect(Array.from(r.min)).toEqual([1, NaN, 5]);
    expect(Array.from(r.max)).toEqual([2, NaN, 7]);
    expect([st.curves, st.empty]).toEqual([3, 1]);
  });

  it('σ stays accurate for a small spread on a large mean (where Σx² − n·mean² would cancel)', () => {
    const st = new CurveStats(1);
    for (let i = 0; i < 1000; i++) st.add([1e6 + (i % 2 ? 0.25 : -0.25)], 0);
    expect(st.result().std[0]).toBeCloseTo(0.25, 6);
  });
});

describe('POST /api/curve/mean', () => {
  it('before any run: 409 naming the node', async () => {
    const r = await api.post('/api/curve/mean', { node: 'pdf', field: 'G', roi: { rect: [0, 0, 2, 2] } });
    expect(r.status).toBe(409);
    expect(r.json().error).toMatch(/'pdf'.*run/);
  });

  it('equals the per-position curves averaged by hand (rect and lasso ROIs spanning chunks)', async () => {
    await api.post('/api/run', {});
    await studio.runs.settle();
    // Rows 1..3, cols 2..7: 18 positions over chunks of 16 positions.
    const rect: [number, number, number, number] = [1, 2, 4, 8];
    for (const [node, field] of [
      ['pdf', 'G'],
      ['iq', 'I'],
    ] as const) {
      const r = await api.post('/api/curve/mean', { node, field, roi: { rect } });
      expect(r.status).toBe(200);
      const m = r.json();
      expect(m.positions).toBe(18);
      expect(m.axisName).toBe(field === 'G' ? 'r' : 'q');
      const curves: Float32Array[] = [];
      let x: Float32Array | null = null;
      for (let iy = rect[0]; iy < rect[2]; iy++)
        for (let ix = rect[1]; ix < rect[3]; ix++) {
          const c = (await api.get(`/api/curve?node=${node}&field=${field}&iy=${iy}&ix=${ix}`)).json();
          curves.push(f32(c.y));
          x ??= f32(c.x);
        }
      const ref = reference(curves);
      const mean = f32(m.mean);
      const std = f32(m.std);
      expect(Array.from(f32(m.x))).toEqual(Array.from(x!));
      expect(Array.from(i32(m.count))).toEqual(Array.from(ref.count));
      let spread = 0;
      for (let b = 0; b < mean.length; b++) {
        if (!ref.count[b]) {
          expect(mean[b]).toBeNaN();
          continue;
        }
        expect(Math.abs(mean[b] - ref.mean[b])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref.mean[b])));
        expect(Math.abs(std[b] - ref.std[b])).toBeLessThanOrEqual(1e-5 * (1 + ref.std[b]));
        spread += ref.std[b];
      }
      // Different positions of the simulated laminate do differ: the band is not empty.
      expect(spread).toBeGreaterThan(0);
    }
    // A lasso ROI: listed positions (unsorted, repeated) = the same set.
    const lasso = [3 * NX + 1, 0, 5 * NX + 9, 0];
    const a = (
      await api.post('/api/curve/mean', { node: 'pdf', field: 'G', roi: { positions: lasso } })
    ).json();
    expect(a.positions).toBe(3);
    const single = (
      await api.post('/api/curve/mean', { node: 'pdf', field: 'G', roi: { positions: [5 * NX + 9] } })
    ).json();
    const c = (await api.get(`/api/curve?node=pdf&field=G&iy=5&ix=9`)).json();
    expect(Array.from(f32(single.mean))).toEqual(Array.from(f32(c.y)));
    expect(Array.from(f32(single.std)).every((v) => v === 0 || Number.isNaN(v))).toBe(true);
  }, 180_000);

  it('bad requests: a map field, an unknown field or node, a bad ROI → 4xx naming it', async () => {
    const map = await api.post('/api/curve/mean', {
      node: 'r1',
      field: 'position',
      roi: { rect: [0, 0, 1, 1] },
    });
    expect(map.status).toBe(400);
    expect(map.json().error).toMatch(/scalar per position/);
    const nf = await api.post('/api/curve/mean', { node: 'pdf', field: 'nope', roi: { rect: [0, 0, 1, 1] } });
    expect(nf.status).toBe(404);
    expect(nf.json().error).toMatch(/no field 'nope'/);
    expect(
      (await api.post('/api/curve/mean', { node: 'zzz', field: 'G', roi: { rect: [0, 0, 1, 1] } })).status,
    ).toBe(404);
    const roi = await api.post('/api/curve/mean', { node: 'pdf', field: 'G', roi: { rect: [0, 0] } });
    expect(roi.status).toBe(400);
    expect(roi.json().field).toBe('roi');
    expect(
      (await api.post('/api/curve/mean', { field: 'G', roi: { rect: [0, 0, 1, 1] } })).json().field,
    ).toBe('node');
  });

  it('snem serve RUN_DIR answers the same mean from the run directory files', async () => {
    const runDir = studio.runs.history.find((h) => h.runDir)!.runDir!;
    const ro = await ReadonlyRun.open(runDir);
    const srv2 = await listen(ro, { port: 0 });
    try {
      const body = { node: 'pdf', field: 'G', roi: { rect: [1, 2, 4, 8] } };
      const a = (await api.post('/api/curve/mean', body)).json();
      const b = (await client(srv2.port).post('/api/curve/mean', body)).json();
      expect(b.positions).toBe(18);
      const ma = f32(a.mean);
      const mb = f32(b.mean);
      for (let i = 0; i < ma.length; i++)
        expect(Math.abs(ma[i] - mb[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ma[i])));
    } finally {
      await srv2.close();
    }
  });
});

describe("POST /api/preview with roi: the chain on the ROI's mean pattern", () => {
  it("a one-position ROI gives that position's chain; a larger one a different, finite I(Q) and G(r)", async () => {
    const at = (await api.post('/api/preview', { iy: 2, ix: 3 })).json();
    const one = (await api.post('/api/preview', { iy: 0, ix: 0, roi: { positions: [2 * NX + 3] } })).json();
    expect(one.roi).toEqual({ count: 1 });
    for (const [node, field] of [
      ['iq', 'I'],
      ['pdf', 'G'],
    ]) {
      const a = f32(at.nodes[node].fields[field]);
      const b = f32(one.nodes[node].fields[field]);
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++)
        if (Number.isFinite(a[i]))
          expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(a[i])));
    }
    const many = (await api.post('/api/preview', { iy: 2, ix: 3, roi: { rect: [0, 0, 4, 6] } })).json();
    expect(many.roi).toEqual({ count: 24 });
    const I = f32(many.nodes.iq.fields.I);
    const a = f32(at.nodes.iq.fields.I);
    expect(I.some((v, i) => Number.isFinite(v) && Math.abs(v - a[i]) > 1e-3 * (1 + Math.abs(a[i])))).toBe(
      true,
    );
    expect(f32(many.nodes.pdf.fields.G).every(Number.isFinite)).toBe(true);
    expect((await api.post('/api/preview', { iy: 0, ix: 0, roi: { rect: [0, 0] } })).json().field).toBe(
      'roi',
    );
  }, 120_000);
});
