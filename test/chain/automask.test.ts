import { describe, expect, it } from 'vitest';
import { ellipseMetric } from '../../nodes/calib/geometry-model.ts';
import { getBit, packedBytes } from '../../nodes/mask/bits.ts';
import {
  buildRingTable,
  RingOutlierMasker,
  type OutlierOptions,
  type RingTable,
} from '../../nodes/mask/ring-outliers.ts';
import { amorphousProfile, poisson, renderRings, rng } from './synth.ts';

/**
 * The definition, written as plainly as possible: while some survivor deviates from the survivors'
 * mean by more than α σ (population σ), reject the single worst one. Deviations and σ compared as
 * (n·v − Σv)² > α²(n·Σv² − (Σv)²), recomputed from scratch each time. Ties: larger deviation, then
 * higher value, then the extreme of (value, pixel index) order.
 */
function bruteForceMean(values: number[], pixels: number[], alpha: number): Set<number> {
  const alive = values.map(() => true);
  const rejected = new Set<number>();
  for (;;) {
    let n = 0;
    let S = 0;
    let S2 = 0;
    values.forEach((v, i) => {
      if (alive[i]) {
        n++;
        S += v;
        S2 += v * v;
      }
    });
    if (n < 2) break;
    let worst = -1;
    let worstDev = -1;
    for (let i = 0; i < values.length; i++) {
      if (!alive[i]) continue;
      const dev = Math.abs(n * values[i] - S);
      let better = dev > worstDev;
      if (dev === worstDev && worst >= 0) {
        const v = values[i];
        const wv = values[worst];
        if (v !== wv) better = v > wv;
        else better = n * v - S > 0 ? pixels[i] > pixels[worst] : pixels[i] < pixels[worst];
      }
      if (better) {
        worst = i;
        worstDev = dev;
      }
    }
    if (!(worstDev * worstDev > alpha * alpha * (n * S2 - S * S))) break;
    alive[worst] = false;
    rejected.add(pixels[worst]);
  }
  return rejected;
}

function singleRingTable(n: number): RingTable {
  return {
    rings: 1,
    ringStart: Int32Array.of(0, n),
    ringPix: Int32Array.from({ length: n }, (_, i) => i),
    maxRing: n,
  };
}

const OPTS: OutlierOptions = {
  strategy: 'mean',
  alpha: 3.5,
  lowerThresh: -Infinity,
  upperThresh: Infinity,
  minRingPixels: 2,
  integerData: true,
};

describe('mask.auto: mean strategy equals the brute-force definition exactly', () => {
  it('on 3000 small random integer rings with outliers and many ties', () => {
    const rand = rng(42);
    let totalRejected = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const n = 3 + Math.floor(rand() * 60);
      const base = Math.floor(rand() * 50);
      const spread = 1 + Math.floor(rand() * 10);
      const vals = Array.from({ length: n }, () => base + Math.floor(rand() * spread));
      // Outliers on both sides, sometimes several equal ones (ties).
      const k = Math.floor(rand() * 6);
      for (let j = 0; j < k; j++)
        vals[Math.floor(rand() * n)] =
          rand() < 0.7
            ? base + spread * (3 + Math.floor(rand() * 20))
            : Math.max(0, base - spread * Math.floor(rand() * 8));
      const alpha = [1, 1.5, 2, 2.5, 3.5][trial % 5];
      const masker = new RingOutlierMasker(singleRingTable(n), { ...OPTS, alpha });
      const bits = new Uint8Array(packedBytes(n));
      const got = masker.maskFrame(Uint16Array.from(vals), 0, bits, 0);
      const want = bruteForceMean(
        vals,
        vals.map((_, i) => i),
        alpha,
      );
      const gotSet = new Set<number>();
      for (let p = 0; p < n; p++) if (getBit(bits, 0, p)) gotSet.add(p);
      expect([...gotSet].sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
      expect(got).toBe(want.size);
      totalRejected += want.size;
    }
    // The comparison must have exercised rejection, not just clean rings.
    expect(totalRejected).toBeGreaterThan(3000);
  });

  it('with the comparator path (float data flag) too', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 500; trial++) {
      const n = 5 + Math.floor(rand() * 40);
      const vals = Array.from({ length: n }, () => Math.floor(rand() * 8));
      for (let j = 0; j < 3; j++) vals[Math.floor(rand() * n)] = 30 + Math.floor(rand() * 3);
      const masker = new RingOutlierMasker(singleRingTable(n), { ...OPTS, alpha: 2, integerData: false });
      const bits = new Uint8Array(packedBytes(n));
      masker.maskFrame(Float64Array.from(vals), 0, bits, 0);
      const want = bruteForceMean(
        vals,
        vals.map((_, i) => i),
        2,
      );
      for (let p = 0; p < n; p++) expect(getBit(bits, 0, p)).toBe(want.has(p) ? 1 : 0);
    }
  });
});

describe('mask.auto: median strategy', () => {
  it('counting (integer data) and sorting (float data flag) find the same median and mask', () => {
    const rand = rng(11);
    for (let trial = 0; trial < 1000; trial++) {
      const n = 3 + Math.floor(rand() * 80);
      // Narrow ranges (counted) and a few wide ones (sorted either way).
      const spread = trial % 10 === 0 ? 5000 : 1 + Math.floor(rand() * 40);
      const vals = Array.from({ length: n }, () => Math.floor(rand() * spread));
      for (let j = 0; j < 3; j++) vals[Math.floor(rand() * n)] = spread * (2 + Math.floor(rand() * 5));
      const masks = [true, false].map((integerData) => {
        const bits = new Uint8Array(packedBytes(n));
        new RingOutlierMasker(singleRingTable(n), {
          ...OPTS,
          strategy: 'median',
          alpha: 1.5,
          integerData,
        }).maskFrame(Float64Array.from(vals), 0, bits, 0);
        return Array.from(bits);
      });
      expect(masks[0]).toEqual(masks[1]);
    }
  });
});

describe('mask.auto: Bragg spots on a Poisson amorphous ring', () => {
  const h = 144;
  const w = 144;
  const cx = 71.4;
  const cy = 72.6;
  const clean = renderRings({
    h,
    w,
    cx,
    cy,
    axisRatio: 1,
    angleDeg: 0,
    profile: amorphousProfile({ beam: 250, bg: 40, ring: 60, ringR: 40, ringSigma: 4 }),
    supersample: 2,
  });
  const rand = rng(2024);
  const spotMask = new Uint8Array(h * w);
  const nearSpot = new Uint8Array(h * w);
  const expected = Float64Array.from(clean);
  // 12 disc-shaped spots (radius 2 px) at the ring, 60–200 counts above it.
  for (let s = 0; s < 12; s++) {
    const ang = (2 * Math.PI * (s + rand() * 0.5)) / 12;
    const rad = 40 + (rand() - 0.5) * 10;
    const sx = cx + rad * Math.cos(ang);
    const sy = cy + rad * Math.sin(ang);
    const amp = 60 + rand() * 140;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const d = Math.hypot(x - sx, y - sy);
        if (d <= 2) {
          expected[y * w + x] += amp;
          spotMask[y * w + x] = 1;
        }
        if (d <= 4) nearSpot[y * w + x] = 1;
      }
    }
  }
  const frame = Uint8Array.from(expected, (v) => Math.min(255, poisson(v, rand)));
  const table = buildRingTable(ellipseMetric(1, 0), cx, cy, h, w, 1, null);
  const ringRegion = (p: number) => {
    const r = Math.hypot((p % w) - cx, Math.floor(p / w) - cy);
    return r > 28 && r < 52;
  };

  // The median strategy is one pass with σ of the whole ring (spots included, per SCIENCE.md), so
  // it is the weaker detector: it must still catch most spot pixels without false positives.
  for (const [strategy, minHit] of [
    ['mean', 0.95],
    ['median', 0.6],
  ] as const) {
    it(`${strategy}: ≥ ${minHit * 100} % of spot pixels masked, < 1 % of spot-free ring pixels`, () => {
      const masker = new RingOutlierMasker(table, { ...OPTS, strategy, lowerThresh: 1, minRingPixels: 10 });
      const bits = new Uint8Array(packedBytes(h * w));
      masker.maskFrame(frame, 0, bits, 0);
      let spots = 0;
      let spotsHit = 0;
      let free = 0;
      let freeHit = 0;
      for (let p = 0; p < h * w; p++) {
        if (spotMask[p]) {
          spots++;
          spotsHit += getBit(bits, 0, p);
        } else if (!nearSpot[p] && ringRegion(p)) {
          free++;
          freeHit += getBit(bits, 0, p);
        }
      }
      expect(spots).toBeGreaterThan(100);
      expect(free).toBeGreaterThan(3000);
      expect(spotsHit / spots).toBeGreaterThanOrEqual(minHit);
      expect(freeHit / free).toBeLessThan(0.01);
    });
  }

  it('thresholds mask pixels before the statistics', () => {
    const masker = new RingOutlierMasker(table, {
      ...OPTS,
      lowerThresh: 1,
      upperThresh: 100,
      minRingPixels: 10,
    });
    const bits = new Uint8Array(packedBytes(h * w));
    masker.maskFrame(frame, 0, bits, 0);
    for (let p = 0; p < h * w; p++) if (frame[p] > 100 || frame[p] < 1) expect(getBit(bits, 0, p)).toBe(1);
  });
});

describe('mask.auto: non-finite pixels', () => {
  it.each(['mean', 'median'] as const)(
    '+Inf, −Inf and NaN are masked before the statistics, even with thresholds ±∞ (%s)',
    (strategy) => {
      const n = 40;
      const clean = Array.from({ length: n }, (_, i) => 10 + (i % 5));
      const vals = Float64Array.from(clean);
      vals[3] = Infinity;
      vals[11] = -Infinity;
      vals[27] = NaN;
      const masker = new RingOutlierMasker(singleRingTable(n), { ...OPTS, strategy, integerData: false });
      const bits = new Uint8Array(packedBytes(n));
      masker.maskFrame(vals, 0, bits, 0);
      const masked = Array.from({ length: n }, (_, p) => getBit(bits, 0, p));
      expect([3, 11, 27].map((p) => masked[p])).toEqual([1, 1, 1]);
      // the rest is judged on its own values: the clean ring (10 … 14) keeps every pixel
      expect(masked.filter((b, p) => b && ![3, 11, 27].includes(p))).toEqual([]);
    },
  );
});
