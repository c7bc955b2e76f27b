import { describe, expect, it } from 'vitest';
import { f64 } from '../../engine/ndarray.ts';
import type { Value } from '../../engine/types.ts';
import { calibGeometry } from '../../nodes/calib/geometry.ts';
import { ellipseMetric } from '../../nodes/calib/geometry-model.ts';
import { packMask } from '../../nodes/mask/bits.ts';
import { TableIntegrator } from '../../nodes/integrate/apply-table.ts';
import { integrateAzimuthal } from '../../nodes/integrate/azimuthal.ts';
import { polygonDiscArea } from '../../nodes/integrate/disc-overlap.ts';
import { buildPixelTable, type BinSpec } from '../../nodes/integrate/pixel-table.ts';
import { WasmIntegrator } from '../../nodes/integrate/wasm-integrator.ts';
import { runDataset, runFrame } from './harness.ts';
import { addPoisson, renderRings, rng } from './synth.ts';

const h = 144;
const w = 144;

/** The op's kernel on one image. */
function integrateImage(
  img: Float64Array,
  cx: number,
  cy: number,
  ratio: number,
  angle: number,
  spec: BinSpec,
  split: 'none' | 'bbox' | 'full',
  mask: Uint8Array | null = null,
) {
  const m = ellipseMetric(ratio, angle);
  const t = new WasmIntegrator(
    split === 'bbox'
      ? { bbox: { m, cx, cy, h, w, spec } }
      : { table: buildPixelTable(m, cx, cy, h, w, spec, split) },
    null,
  );
  const I = new Float32Array(spec.bins);
  const s = new Float32Array(spec.bins);
  const c = new Float32Array(spec.bins);
  t.integrate(img, 0, mask ? packMask(mask) : null, 0, I, s, c, 0);
  return { I, s, c };
}

describe('disc overlap', () => {
  it('is exact for a unit square against discs of any radius', () => {
    const xs = [2, 3, 3, 2];
    const ys = [0, 0, 1, 1];
    expect(polygonDiscArea(xs, ys, 4, 1.9)).toBeCloseTo(0, 14);
    expect(polygonDiscArea(xs, ys, 4, 10)).toBeCloseTo(1, 14);
    // Square [−1,1]² against r = 1: the whole disc, π.
    expect(polygonDiscArea([-1, 1, 1, -1], [-1, -1, 1, 1], 4, 1)).toBeCloseTo(Math.PI, 12);
    // r = √2·0.9: π r² minus four circular segments outside the square.
    const r = Math.SQRT2 * 0.9;
    const half = Math.acos(1 / r);
    const seg = r * r * half - Math.sqrt(r * r - 1);
    expect(polygonDiscArea([-1, 1, 1, -1], [-1, -1, 1, 1], 4, r)).toBeCloseTo(Math.PI * r * r - 4 * seg, 12);
  });
});

// A smooth amorphous-like profile: a decaying background and two broad rings.
const profileF = (r: number) =>
  20 +
  100 * Math.exp(-r / 20) +
  50 * Math.exp(-((r - 38) ** 2) / (2 * 8 * 8)) +
  20 * Math.exp(-((r - 62) ** 2) / (2 * 7 * 7));

describe('integration kernel (WASM) against the plain table gather', () => {
  // Random uint8 frames (several in one buffer, read at offsets) and a float64 one; per-frame masks
  // from none to sparse to a dense block; a static mask; a full Q range and an offset one.
  const cx = 70.4;
  const cy = 73.2;
  const m = ellipseMetric(0.975, 33);
  const rand = rng(7);
  const nFrames = 4;
  const u8 = new Uint8Array(nFrames * h * w);
  const ring = renderRings({
    h,
    w,
    cx,
    cy,
    axisRatio: 0.975,
    angleDeg: 33,
    profile: (r) => 30 + 80 * Math.exp(-r / 20),
    supersample: 2,
  });
  for (let i = 0; i < nFrames; i++)
    for (let p = 0; p < h * w; p++)
      u8[i * h * w + p] =
        i === 0 ? Math.floor(rand() * 256) : Math.min(255, Math.round(ring[p] * (0.5 + rand())));
  const f64 = Float64Array.from(ring, (v) => v * (0.5 + rand()));
  const stat = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p += 97) stat[p] = 1;
  const nb = (h * w + 7) >> 3;
  const bits = new Uint8Array(nFrames * nb);
  for (let p = 0; p < h * w; p++) {
    if (rand() < 0.05) bits[nb + (p >> 3)] |= 1 << (p & 7);
    const y = Math.floor(p / w);
    const x = p % w;
    if (rand() < 0.3 || (x > 80 && y > 60 && y < 100) || (x - cx) ** 2 + (y - cy) ** 2 < 256)
      bits[2 * nb + (p >> 3)] |= 1 << (p & 7);
    if (p % 13 === 3) bits[3 * nb + (p >> 3)] |= 1 << (p & 7);
  }
  const out = (bins: number) => ({
    I: new Float32Array(2 * bins),
    s: new Float32Array(2 * bins),
    c: new Float32Array(2 * bins),
  });

  for (const split of ['none', 'bbox', 'full'] as const) {
    it(`${split}: same I, sigma, count on random frames and masks`, () => {
      for (const spec of [
        { r0: 0, dr: 70 / 400, bins: 400 },
        { r0: 12.3, dr: 0.37, bins: 150 },
      ]) {
        const table = buildPixelTable(m, cx, cy, h, w, spec, split);
        const ref = new TableIntegrator(table, stat);
        const kern = new WasmIntegrator(
          split === 'bbox' ? { bbox: { m, cx, cy, h, w, spec } } : { table },
          stat,
        );
        // bbox: the kernel uses exact f64 weights, the table float32 ones.
        const tol = split === 'bbox' ? { I: 1e-6, s: 1e-4, c: 1e-5 } : { I: 1e-6, s: 2e-5, c: 1e-6 };
        const cases: [Uint8Array | Float64Array, number, Uint8Array | null][] = [
          [f64, 0, null],
          [f64, 0, bits.subarray(nb)],
        ];
        for (let i = 0; i < nFrames; i++)
          cases.push([u8, i * h * w, i === 0 ? null : bits], [u8, i * h * w, bits]);
        let compared = 0;
        let nan = 0;
        const first = out(spec.bins);
        for (const [frame, off, mask] of cases) {
          const x = out(spec.bins);
          const y = out(spec.bins);
          const mOff = mask === bits ? (off / (h * w)) * nb : 0;
          ref.integrate(frame, off, mask, mOff, x.I, x.s, x.c, spec.bins);
          kern.integrate(frame, off, mask, mOff, y.I, y.s, y.c, spec.bins);
          if (compared === 0) kern.integrate(frame, off, mask, mOff, first.I, first.s, first.c, 0);
          for (let k = spec.bins; k < 2 * spec.bins; k++) {
            expect(Math.abs(y.c[k] - x.c[k])).toBeLessThanOrEqual(tol.c * Math.max(1, x.c[k]));
            if (Number.isNaN(x.I[k])) {
              expect(y.I[k]).toBeNaN();
              nan++;
              continue;
            }
            expect(Math.abs(y.I[k] / x.I[k] - 1)).toBeLessThan(tol.I);
            if (x.c[k] > 2) expect(Math.abs(y.s[k] / x.s[k] - 1)).toBeLessThan(tol.s);
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(cases.length * spec.bins * 0.9);
        expect(nan).toBeGreaterThan(0); // the dense mask empties the central bins
        // Accumulators are cleared between frames: the first case again gives the same numbers.
        const again = out(spec.bins);
        kern.integrate(cases[0][0], cases[0][1], cases[0][2], 0, again.I, again.s, again.c, 0);
        expect(Array.from(again.I.subarray(0, spec.bins))).toEqual(
          Array.from(first.I.subarray(0, spec.bins)),
        );
        expect(Array.from(again.s.subarray(0, spec.bins))).toEqual(
          Array.from(first.s.subarray(0, spec.bins)),
        );
      }
    });
  }
});

describe('integrate: analytic radial profile', () => {
  // Pixel-area-integrated image of a smooth profile with an elliptical distortion.
  const cx = 71.37;
  const cy = 72.81;
  const ratio = 0.97;
  const angle = 25;
  const f = profileF;
  const img = renderRings({ h, w, cx, cy, axisRatio: ratio, angleDeg: angle, profile: f, supersample: 12 });
  const spec: BinSpec = { r0: 0, dr: 70 / 400, bins: 400 };

  // Centres on a pixel centre and on a pixel corner are the worst case (lattice aliasing).
  const cases = [
    { cx, cy, ratio, angle, im: img },
    {
      cx: 71,
      cy: 71,
      ratio: 1,
      angle: 0,
      im: renderRings({ h, w, cx: 71, cy: 71, axisRatio: 1, angleDeg: 0, profile: f, supersample: 12 }),
    },
    {
      cx: 71.5,
      cy: 70.5,
      ratio: 0.98,
      angle: -40,
      im: renderRings({
        h,
        w,
        cx: 71.5,
        cy: 70.5,
        axisRatio: 0.98,
        angleDeg: -40,
        profile: f,
        supersample: 12,
      }),
    },
  ];
  for (const split of ['bbox', 'full'] as const) {
    it(`${split}: within 0.5 % of the profile in every bin with ≥ 20 pixels`, () => {
      for (const k of cases) {
        const { I, c } = integrateImage(k.im, k.cx, k.cy, k.ratio, k.angle, spec, split);
        let checked = 0;
        let worst = 0;
        for (let b = 0; b < spec.bins; b++) {
          if (c[b] < 20) continue;
          // The profile averaged over the bin's annulus (area-weighted: ∝ r dr).
          const r0 = b * spec.dr;
          let num = 0;
          let den = 0;
          for (let j = 0; j < 20; j++) {
            const r = r0 + ((j + 0.5) / 20) * spec.dr;
            num += f(r) * r;
            den += r;
          }
          worst = Math.max(worst, Math.abs(I[b] / (num / den) - 1));
          checked++;
        }
        expect(checked).toBeGreaterThan(280);
        expect(worst).toBeLessThan(0.005);
      }
    });
  }

  it("full splitting distributes each pixel's whole area; bin counts match annulus areas", () => {
    const { c } = integrateImage(img, cx, cy, ratio, angle, spec, 'full');
    // Bins entirely on the detector: area of the annulus π(r1² − r0²) in corrected space (det = 1).
    for (const b of [50, 150, 300, 399]) {
      const r0 = b * spec.dr;
      const r1 = r0 + spec.dr;
      expect(c[b]).toBeCloseTo(Math.PI * (r1 * r1 - r0 * r0), 3);
    }
  });

  it('masking half the detector leaves the noisy profile unchanged within its standard error', () => {
    const noisy = addPoisson(img, 11);
    const full = integrateImage(noisy, cx, cy, ratio, angle, spec, 'bbox');
    const left = new Uint8Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w / 2; x++) left[y * w + x] = 1;
    const half = integrateImage(noisy, cx, cy, ratio, angle, spec, 'bbox', left);
    let z2 = 0;
    let n = 0;
    let outliers = 0;
    for (let b = 80; b < spec.bins; b++) {
      // The half is a subset of the whole: var(diff) = sem_half² − sem_full².
      const sd = Math.sqrt(half.s[b] ** 2 - full.s[b] ** 2);
      const z = (half.I[b] - full.I[b]) / sd;
      z2 += z * z;
      n++;
      if (Math.abs(z) > 4) outliers++;
      expect(Math.abs(half.c[b] / full.c[b] - 0.5)).toBeLessThan(0.1);
    }
    // Neighbouring bins share pixels, so z is correlated but still unit-variance on average.
    expect(z2 / n).toBeGreaterThan(0.5);
    expect(z2 / n).toBeLessThan(2);
    expect(outliers).toBeLessThanOrEqual(2);
  });
});

describe('integrate.azimuthal op: Q axis in both pixel-size units', () => {
  // A sharp ring at d = 2.0 Å (Q = π Å⁻¹) for a calibration of 0.0319 Å⁻¹ per pixel in g = 1/d.
  const gPerPixel = 0.0319;
  const qPerPixel = 2 * Math.PI * gPerPixel;
  const dSpacing = 2.0;
  const rRing = (2 * Math.PI) / dSpacing / qPerPixel;
  const img = renderRings({
    h,
    w,
    cx: 71.5,
    cy: 70.5,
    axisRatio: 1,
    angleDeg: 0,
    profile: (r) => 5 + 200 * Math.exp(-((r - rRing) ** 2) / (2 * 0.8 ** 2)),
    supersample: 6,
  });
  const frames: Value = { fields: { frames: { dtype: 'float64', shape: [1, h, w], data: img } } };

  for (const calib of [{ qPerPixel }, { gPerPixel }, { dSpacing, radiusPx: rRing }]) {
    it(`${Object.keys(calib).join(' + ')}: ring at Q = 2π/d`, async () => {
      const geom = await runDataset(
        calibGeometry,
        { center: [71.5, 70.5], beamEnergyKeV: 200, detectorShape: [h, w], ...calib },
        {},
      );
      expect(geom.fields.qPerPixel.data[0]).toBeCloseTo(qPerPixel, 12);
      const out = await runFrame(
        integrateAzimuthal,
        { bins: 400, qMin: 0, qMax: 8 },
        { geometry: geom },
        { frames },
        1,
      );
      const q = out.axes!.q.data;
      const I = out.fields.I.data;
      let best = 0;
      for (let b = 1; b < q.length; b++) if (I[b] > I[best]) best = b;
      // Parabolic vertex for sub-bin precision.
      const d = (I[best - 1] - I[best + 1]) / (2 * (I[best - 1] - 2 * I[best] + I[best + 1]));
      const qPeak = q[best] + d * (q[1] - q[0]);
      expect(Math.abs(qPeak - (2 * Math.PI) / dSpacing)).toBeLessThan(0.005);
      expect(out.meta!.axisOf).toEqual({ I: 'q', sigma: 'q', count: 'q' });
      expect(q[0]).toBeCloseTo(0.01, 6);
    });
  }

  it('reports wavelength, camera length and the corner error', async () => {
    const geom = await runDataset(
      calibGeometry,
      { center: [71.5, 70.5], qPerPixel, beamEnergyKeV: 200, detectorShape: [h, w] },
      {},
    );
    const lambda = geom.fields.wavelength.data[0];
    expect(lambda).toBeCloseTo(0.02508, 5);
    const L = geom.fields.cameraLengthPx.data[0];
    expect(L).toBeCloseTo((2 * Math.PI) / (qPerPixel * lambda), 6);
    // Farthest detector corner from (71.5, 70.5): 72 px along columns, 73 px along rows.
    const rCorner = Math.hypot(72, 73);
    const theta = (rCorner * qPerPixel * lambda) / (4 * Math.PI);
    expect(geom.fields.cornerErrorQ.data[0]).toBeCloseTo(
      (4 * Math.PI * (Math.sin(theta) - theta)) / lambda,
      12,
    );
    expect(geom.fields.cornerErrorQ.data[0]).toBeLessThan(0);
  });

  it('rejects a centre off the detector and an empty Q range, naming node and param', async () => {
    await expect(
      runDataset(
        calibGeometry,
        { center: [200, 10], qPerPixel, detectorShape: [h, w] },
        {},
        undefined,
        'geom',
      ),
    ).rejects.toThrow(/node 'geom', param 'center'/);
    const geom = await runDataset(
      calibGeometry,
      { center: [71.5, 70.5], qPerPixel, detectorShape: [h, w] },
      {},
    );
    await expect(
      runFrame(
        integrateAzimuthal,
        { qMin: 5, qMax: 4 },
        { geometry: geom },
        { frames },
        1,
        0,
        undefined,
        'iq',
      ),
    ).rejects.toThrow(/node 'iq', param 'qMax'.*empty Q range/);
  });
});

describe('integrate.azimuthal op: descan', () => {
  it('follows a per-position centre shift', async () => {
    const base = { h, w, axisRatio: 1, angleDeg: 0, profile: profileF, supersample: 8 };
    const a = renderRings({ ...base, cx: 71, cy: 71 });
    const b = renderRings({ ...base, cx: 73.5, cy: 69.25 });
    const data = new Float64Array(2 * h * w);
    data.set(a, 0);
    data.set(b, h * w);
    const frames: Value = { fields: { frames: { dtype: 'float64', shape: [2, h, w], data } } };
    const shifts: Value = { fields: { dx: f64([1, 2], [0, 2.5]), dy: f64([1, 2], [0, -1.75]) } };
    const geom = await runDataset(
      calibGeometry,
      { center: [71, 71], qPerPixel: 0.1, detectorShape: [h, w] },
      { shifts },
      { ny: 1, nx: 2 },
    );
    expect(Array.from(geom.fields.dx.data)).toEqual([0, 2.5]);
    const out = await runFrame(
      integrateAzimuthal,
      { bins: 200, qMax: 6 },
      { geometry: geom },
      { frames },
      2,
      0,
      { ny: 1, nx: 2 },
    );
    const I = out.fields.I.data;
    const q = out.axes!.q.data;
    let checked = 0;
    for (let k = 0; k < 200; k++) {
      if (out.fields.count.data[200 + k] < 20) continue;
      // Both positions reproduce the profile about their own centre (bin-centre value; bins are 0.3 px).
      const want = base.profile(q[k] / 0.1);
      expect(Math.abs(I[k] / want - 1)).toBeLessThan(0.005);
      expect(Math.abs(I[200 + k] / want - 1)).toBeLessThan(0.005);
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });
});

describe('non-finite pixels (issue #17: one +Inf made 178 of 400 bins NaN with bbox splitting)', () => {
  it.each(['bbox', 'full', 'none'] as const)(
    '+Inf, −Inf and NaN pixels of a float frame are left out like masked ones (%s)',
    (split) => {
      const cx = 70.4;
      const cy = 73.2;
      const img = renderRings({
        h,
        w,
        cx,
        cy,
        axisRatio: 0.98,
        angleDeg: 20,
        profile: profileF,
        supersample: 2,
      });
      const spec: BinSpec = { r0: 0, dr: 70 / 400, bins: 400 };
      const bad = [
        [80, 90, Infinity],
        [60, 40, -Infinity],
        [100, 100, NaN],
      ] as const;
      const poisoned = Float64Array.from(img);
      const mask = new Uint8Array(h * w);
      for (const [y, x, v] of bad) {
        poisoned[y * w + x] = v;
        mask[y * w + x] = 1;
      }
      const got = integrateImage(poisoned, cx, cy, 0.98, 20, spec, split);
      const want = integrateImage(img, cx, cy, 0.98, 20, spec, split, mask);
      expect(Array.from(got.I)).toEqual(Array.from(want.I));
      expect(Array.from(got.c)).toEqual(Array.from(want.c));
      // with a mask of its own as well: both apply
      const other = new Uint8Array(h * w);
      other[70 * w + 70] = 1;
      const both = Uint8Array.from(mask, (v, p) => v | other[p]);
      expect(Array.from(integrateImage(poisoned, cx, cy, 0.98, 20, spec, split, other).I)).toEqual(
        Array.from(integrateImage(img, cx, cy, 0.98, 20, spec, split, both).I),
      );
      expect(got.I.filter((v) => Number.isNaN(v)).length).toBe(want.I.filter((v) => Number.isNaN(v)).length);
    },
  );
});
