/**
 * Ring-binned outlier rejection (SCIENCE.md, automatic mask): pixels are grouped into rings of
 * constant corrected radius; in each ring, among pixels not yet masked, those with
 * |I − centre| > α·σ are rejected.
 *
 * - `median`: one pass; centre = median of the ring, σ = population standard deviation of the ring.
 * - `mean`: iterative; recompute mean and σ (population) of the survivors and reject the single worst
 *   survivor until none exceeds α·σ. The worst survivor is always the current minimum or maximum, so
 *   with running sums each step only needs the next extreme: a linear scan for the first few
 *   rejections, then one sort and two pointers — O(n log n) per ring at worst, and one pass for the
 *   (common) rings whose extremes already pass. Integer data of a small range (detector counts) is
 *   sorted, and its median found, by counting: O(n + range).
 *
 * Exactness: the test compares (n·I − ΣI)² > α²·(n·ΣI² − (ΣI)²), the same criterion multiplied by n²,
 * so for integer-valued data (detector counts) every quantity is an exact integer in double precision
 * and the result equals the brute-force loop bit for bit. Ties: the larger deviation is rejected; equal
 * deviations on both sides reject the higher value; among equal values the one at the extreme of
 * (value, pixel index) order (highest index at the top, lowest at the bottom).
 */
import { correctedRadius, type EllipseMetric } from '../calib/geometry-model.ts';
import { setBit } from './bits.ts';

export interface RingTable {
  rings: number;
  /** CSR: pixels of ring k are ringPix[ringStart[k] … ringStart[k+1]), ascending pixel index. */
  ringStart: Int32Array;
  ringPix: Int32Array;
  maxRing: number;
}

/** Rings of width `ringWidth` px (corrected radius) about (cx, cy); `excluded` pixels are left out. */
export function buildRingTable(
  m: EllipseMetric,
  cx: number,
  cy: number,
  h: number,
  w: number,
  ringWidth: number,
  excluded: Uint8Array | null,
): RingTable {
  const ringOf = new Int32Array(h * w);
  let rings = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      if (excluded?.[p]) {
        ringOf[p] = -1;
        continue;
      }
      const k = Math.floor(correctedRadius(m, x - cx, y - cy) / ringWidth);
      ringOf[p] = k;
      if (k + 1 > rings) rings = k + 1;
    }
  }
  const ringStart = new Int32Array(rings + 1);
  for (let p = 0; p < h * w; p++) if (ringOf[p] >= 0) ringStart[ringOf[p] + 1]++;
  let maxRing = 0;
  for (let k = 0; k < rings; k++) {
    maxRing = Math.max(maxRing, ringStart[k + 1]);
    ringStart[k + 1] += ringStart[k];
  }
  const fill = ringStart.slice(0, rings);
  const ringPix = new Int32Array(ringStart[rings]);
  for (let p = 0; p < h * w; p++) if (ringOf[p] >= 0) ringPix[fill[ringOf[p]]++] = p;
  return { rings, ringStart, ringPix, maxRing };
}

/** Rejections found by linear scans before a ring is sorted. */
const SCAN_LIMIT = 6;

export interface OutlierOptions {
  strategy: 'mean' | 'median';
  alpha: number;
  /** Pixels below this are masked before the statistics. */
  lowerThresh: number;
  /** Pixels above this are masked before the statistics. */
  upperThresh: number;
  /** Rings with fewer surviving pixels are not tested (σ would be meaningless). */
  minRingPixels: number;
  /** Integer-valued data: sort with packed numeric keys instead of a comparator. */
  integerData: boolean;
}

/** Per-frame outlier rejection with scratch buffers sized once for the table. */
export class RingOutlierMasker {
  private readonly vals: Float64Array;
  private readonly pix: Int32Array;
  private readonly keys: Float64Array;
  private readonly order: Uint32Array;
  private readonly dead: Uint8Array;
  /** Counting-sort buckets: rings whose values span fewer than this many integers are sorted by counting. */
  private readonly counts: Int32Array;
  /** Number of distinct integers from the minimum to the maximum, as found by countable(). */
  private span = 0;

  constructor(
    readonly table: RingTable,
    readonly opts: OutlierOptions,
  ) {
    const n = Math.max(1, table.maxRing);
    this.vals = new Float64Array(n);
    this.pix = new Int32Array(n);
    this.keys = new Float64Array(n);
    this.order = new Uint32Array(n);
    this.dead = new Uint8Array(n);
    this.counts = new Int32Array(Math.max(257, 2 * n) + 1);
    this.maskFrame = this.makeMaskFrame();
  }

  /**
   * Set the bits of threshold-masked and rejected pixels of the frame at `frame[frameOffset …]` into
   * `bits[bitsOffset …]` (already holding the static bits). Returns how many pixels the ring test rejected.
   */
  readonly maskFrame: (
    frame: ArrayLike<number>,
    frameOffset: number,
    bits: Uint8Array,
    bitsOffset: number,
  ) => number;

  /**
   * The per-frame pass as a closure over this masker's tables and scratch arrays: V8 then knows
   * them as constants, which makes the loop about twice as fast as reading them from fields.
   */
  private makeMaskFrame() {
    const { ringStart, ringPix, rings } = this.table;
    const { lowerThresh: lower, upperThresh: upper, minRingPixels } = this.opts;
    const median = this.opts.strategy === 'median';
    const a2 = this.opts.alpha * this.opts.alpha;
    const vals = this.vals;
    const pix = this.pix;
    return (frame: ArrayLike<number>, frameOffset: number, bits: Uint8Array, bitsOffset: number): number => {
      let rejected = 0;
      for (let k = 0; k < rings; k++) {
        let n = 0;
        let S = 0;
        let S2 = 0;
        let vmin = Infinity;
        let vmax = -Infinity;
        let iMin = 0;
        let iMax = 0;
        for (let j = ringStart[k], e = ringStart[k + 1]; j < e; j++) {
          const p = ringPix[j];
          const v = frame[frameOffset + p];
          // finite values within the thresholds only (v − v is NaN for NaN and ±Inf: never a
          // measurement, even with thresholds ±∞)
          if (!(v >= lower && v <= upper && v - v === 0)) {
            bits[bitsOffset + (p >> 3)] |= 1 << (p & 7);
            continue;
          }
          vals[n] = v;
          pix[n] = p;
          n++;
          S += v;
          S2 += v * v;
          // Ties: the lowest pixel index at the bottom, the highest at the top.
          if (v < vmin) {
            vmin = v;
            iMin = n - 1;
          }
          if (v >= vmax) {
            vmax = v;
            iMax = n - 1;
          }
        }
        if (n < minRingPixels || n < 2) continue;
        if (median) {
          rejected += this.medianRing(n, S, S2, a2, bits, bitsOffset);
          continue;
        }
        // Fast path: the first iteration of the loop, on the extremes only.
        const devHi = n * vmax - S;
        const devLo = S - n * vmin;
        const worst = devHi >= devLo ? devHi : devLo;
        if (worst * worst <= a2 * (n * S2 - S * S)) continue;
        rejected += this.meanRing(n, S, S2, a2, iMin, iMax, bits, bitsOffset);
      }
      return rejected;
    };
  }

  /** Integer data whose survivors span fewer values than there are buckets: the minimum (span set), else null. */
  private countable(n: number): number | null {
    if (!this.opts.integerData) return null;
    const vals = this.vals;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (vals[i] < lo) lo = vals[i];
      if (vals[i] > hi) hi = vals[i];
    }
    this.span = hi - lo + 1;
    return this.span < this.counts.length ? lo : null;
  }

  /** Sort survivors by (value, pixel index) into `order`, ascending. */
  private sortRing(n: number): void {
    const { vals, order } = this;
    const lo = this.countable(n);
    if (lo !== null) {
      // Detector counts span a small range: a counting sort, O(n + range). Survivors are in
      // ascending pixel order and the placement pass keeps it, so ties break as required.
      const counts = this.counts;
      const range = this.span;
      counts.fill(0, 0, range + 1);
      for (let i = 0; i < n; i++) counts[vals[i] - lo + 1]++;
      for (let v = 0; v < range; v++) counts[v + 1] += counts[v];
      for (let i = 0; i < n; i++) order[counts[vals[i] - lo]++] = i;
      return;
    }
    if (this.opts.integerData && n < 65536) {
      // Survivors are in ascending pixel order, so the local index breaks ties the same way.
      const keys = this.keys.subarray(0, n);
      for (let i = 0; i < n; i++) keys[i] = vals[i] * 65536 + i;
      keys.sort();
      for (let i = 0; i < n; i++) order[i] = keys[i] - Math.floor(keys[i] / 65536) * 65536;
    } else {
      const o = order.subarray(0, n);
      for (let i = 0; i < n; i++) o[i] = i;
      o.sort((a, b) => vals[a] - vals[b] || a - b);
    }
  }

  /**
   * The iterative loop. The first few rejections find the next extreme by a linear scan of the
   * survivors (rings usually lose a handful of pixels); past SCAN_LIMIT it sorts once and continues
   * with two pointers. Both follow the same tie rules, so the result does not depend on the switch.
   */
  private meanRing(
    n: number,
    S: number,
    S2: number,
    a2: number,
    iMin: number,
    iMax: number,
    bits: Uint8Array,
    off: number,
  ): number {
    const { vals, pix, dead } = this;
    dead.fill(0, 0, n);
    let cnt = n;
    let out = 0;
    while (cnt >= 2) {
      const vLo = vals[iMin];
      const vHi = vals[iMax];
      const devHi = cnt * vHi - S;
      const devLo = S - cnt * vLo;
      const lim = a2 * (cnt * S2 - S * S);
      const top = devHi >= devLo;
      const dev = top ? devHi : devLo;
      if (!(dev * dev > lim)) return out;
      const i = top ? iMax : iMin;
      const v = vals[i];
      dead[i] = 1;
      setBit(bits, off, pix[i]);
      S -= v;
      S2 -= v * v;
      cnt--;
      out++;
      if (cnt < 2) return out;
      if (out >= SCAN_LIMIT) return out + this.sortedLoop(n, S, S2, cnt, a2, bits, off);
      // Only the side that lost its extreme needs a new one.
      if (top) {
        let best = -Infinity;
        for (let j = 0; j < n; j++) {
          if (!dead[j] && vals[j] >= best) {
            best = vals[j];
            iMax = j;
          }
        }
      } else {
        let best = Infinity;
        for (let j = 0; j < n; j++) {
          if (!dead[j] && vals[j] < best) {
            best = vals[j];
            iMin = j;
          }
        }
      }
    }
    return out;
  }

  /** Continue the loop on the survivors (dead[] marks the rejected) after one sort. */
  private sortedLoop(
    n: number,
    S: number,
    S2: number,
    cnt: number,
    a2: number,
    bits: Uint8Array,
    off: number,
  ): number {
    const { vals, pix, dead } = this;
    // Compact survivors, keeping ascending pixel order (the tie rule relies on it).
    let k = 0;
    for (let j = 0; j < n; j++) {
      if (dead[j]) continue;
      vals[k] = vals[j];
      pix[k] = pix[j];
      k++;
    }
    this.sortRing(k);
    const order = this.order;
    let lo = 0;
    let hi = k - 1;
    let out = 0;
    while (cnt >= 2) {
      const vLo = vals[order[lo]];
      const vHi = vals[order[hi]];
      const devHi = cnt * vHi - S;
      const devLo = S - cnt * vLo;
      const lim = a2 * (cnt * S2 - S * S);
      let v: number;
      if (devHi >= devLo) {
        if (!(devHi * devHi > lim)) break;
        v = vHi;
        setBit(bits, off, pix[order[hi]]);
        hi--;
      } else {
        if (!(devLo * devLo > lim)) break;
        v = vLo;
        setBit(bits, off, pix[order[lo]]);
        lo++;
      }
      S -= v;
      S2 -= v * v;
      cnt--;
      out++;
    }
    return out;
  }

  /** Median of vals[0 … n): by counting for integer data of a small range, else by a sort. */
  private ringMedian(n: number): number {
    const vals = this.vals;
    const lo = this.countable(n);
    if (lo !== null) {
      const counts = this.counts;
      counts.fill(0, 0, this.span);
      for (let i = 0; i < n; i++) counts[vals[i] - lo]++;
      // The values of rank (n − 1) >> 1 and n >> 1 (equal for odd n).
      const r0 = (n - 1) >> 1;
      const r1 = n >> 1;
      let below = 0;
      let v0 = NaN;
      for (let v = 0; ; v++) {
        below += counts[v];
        if (Number.isNaN(v0) && below > r0) v0 = v + lo;
        if (below > r1) return 0.5 * (v0 + v + lo);
      }
    }
    const sorted = this.keys.subarray(0, n);
    sorted.set(vals.subarray(0, n));
    sorted.sort();
    return n & 1 ? sorted[n >> 1] : 0.5 * (sorted[(n >> 1) - 1] + sorted[n >> 1]);
  }

  private medianRing(n: number, S: number, S2: number, a2: number, bits: Uint8Array, off: number): number {
    const { vals, pix } = this;
    const med = this.ringMedian(n);
    // |v − med| > α σ with σ² = (n ΣI² − (ΣI)²) / n².
    const lim = (a2 * (n * S2 - S * S)) / (n * n);
    let out = 0;
    for (let i = 0; i < n; i++) {
      const d = vals[i] - med;
      if (d * d > lim) {
        setBit(bits, off, pix[i]);
        out++;
      }
    }
    return out;
  }
}
