/**
 * bbox splitting in O(1) per pixel. A bbox pixel spreads its value uniformly over its radius range
 * [t_lo, t_hi] (in bin units), so the sum over pixels is a piecewise-linear cumulative function
 *   C(t) = Σ_kinks s_k · (t − x_k)⁺,  with slope +v/span at t_lo and −v/span at t_hi,
 * and bin b receives C(b + 1) − C(b). Accumulating Σs and Σs·x per bin of the kink position and
 * prefix-summing gives C at every bin edge: C(b) = b·ΣA − ΣB over kinks below b. Two kinks per
 * pixel instead of one table entry per bin the pixel touches (≈ 8 at 400 bins on 144 px) — the same
 * numbers as the table gather up to rounding.
 *
 * This file lays out the per-geometry part for the kernel (integrate.wat): per row, the run of
 * pixels that reach the Q range, and per pixel of a run its kink coefficients and slot addresses.
 */
import type { EllipseMetric } from '../calib/geometry-model.ts';
import { radiusRangeOverBox } from '../calib/geometry-model.ts';
import type { BinSpec } from './pixel-table.ts';

/** Accumulator copies used in turn by consecutive pixels (see integrate.wat, `slots`). */
export const BANKS = 4;

export interface BboxKinks {
  /** Per row: first and one-past-last column of the run, index of its first kink, 0. */
  rows: Int32Array;
  /** Per kink: 1/span and t_lo/span (the weight's slope and offset), so a kink costs multiplies by v only. */
  coef: Float64Array;
  /**
   * Per kink: slot index of its low and high kink. Slot j holds kinks with t in [j − 1, j); slot
   * bins + 1 is a spare never read (kinks at or past the last edge, and pixels of a run that do not
   * take part: statically masked or outside the Q range).
   */
  slots: Int32Array;
  /** Per pixel: its kink, or −1 (not taking part): where a masked pixel's weight kinks are. */
  kinkOf: Int32Array;
  count: number;
}

export function bboxKinks(
  keep: Uint8Array,
  m: EllipseMetric,
  cx: number,
  cy: number,
  h: number,
  w: number,
  spec: BinSpec,
): BboxKinks {
  const { bins } = spec;
  const spare = bins + 1;
  const lo = new Float64Array(h * w);
  const hi = new Float64Array(h * w);
  const inRange = new Uint8Array(h * w);
  const rows = new Int32Array(4 * h);
  const range = new Float64Array(2);
  let n = 0;
  for (let y = 0; y < h; y++) {
    let x0 = w;
    let x1 = 0;
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      radiusRangeOverBox(m, x - 0.5 - cx, x + 0.5 - cx, y - 0.5 - cy, y + 0.5 - cy, range);
      lo[p] = (range[0] - spec.r0) / spec.dr;
      hi[p] = (range[1] - spec.r0) / spec.dr;
      if (hi[p] <= 0 || lo[p] >= bins) continue;
      inRange[p] = 1;
      if (x < x0) x0 = x;
      x1 = x + 1;
    }
    if (x1 <= x0) x0 = x1 = 0;
    rows.set([x0, x1, n, 0], 4 * y);
    n += x1 - x0;
  }
  const coef = new Float64Array(2 * n);
  const slots = new Int32Array(2 * n).fill(spare);
  const kinkOf = new Int32Array(h * w).fill(-1);
  for (let y = 0; y < h; y++) {
    const x0 = rows[4 * y];
    for (let x = x0; x < rows[4 * y + 1]; x++) {
      const p = y * w + x;
      if (!inRange[p] || !keep[p]) continue;
      const i = rows[4 * y + 2] + x - x0;
      kinkOf[p] = i;
      const inv = 1 / (hi[p] - lo[p]);
      coef[2 * i] = inv;
      coef[2 * i + 1] = lo[p] * inv;
      slots[2 * i] = lo[p] < 0 ? 0 : Math.floor(lo[p]) + 1;
      // A kink at or beyond the last edge never affects C(b ≤ bins): the spare slot.
      slots[2 * i + 1] = hi[p] >= bins ? spare : Math.floor(hi[p]) + 1;
    }
  }
  return { rows, coef, slots, kinkOf, count: n };
}

/**
 * Σw per bin in the kernel's own arithmetic (exact f64 weights, prefix form), not from the table's
 * float32 weights: the kernel takes masked pixels' weights out of this, and a bin whose pixels are
 * all masked must come out at zero (not float32 dust) to read as empty.
 */
export function kinkBinWeights(k: BboxKinks, bins: number): Float64Array {
  const A = new Float64Array(bins + 2);
  const B = new Float64Array(bins + 2);
  for (let i = 0; i < k.count; i++) {
    const lo = k.slots[2 * i];
    const hi = k.slots[2 * i + 1];
    A[lo] += k.coef[2 * i];
    B[lo] += k.coef[2 * i + 1];
    A[hi] -= k.coef[2 * i];
    B[hi] -= k.coef[2 * i + 1] + 1;
  }
  const fullW = new Float64Array(bins);
  let a = 0;
  let b = 0;
  let prev = 0;
  for (let e = 0; e <= bins; e++) {
    a += A[e];
    b += B[e];
    const c = e * a - b;
    if (e > 0) fullW[e - 1] = c - prev;
    prev = c;
  }
  return fullW;
}

/** Per bin Σw²/Σw (the mean pixel weight, for the effective count of sigma), walking each pixel's bins. */
export function kinkWeightRatio(k: BboxKinks, bins: number): Float64Array {
  const sw = new Float64Array(bins);
  const sw2 = new Float64Array(bins);
  for (let i = 0; i < k.count; i++) {
    const inv = k.coef[2 * i];
    if (inv === 0) continue;
    const lo = k.coef[2 * i + 1] / inv;
    const hi = lo + 1 / inv;
    for (let b = Math.max(0, Math.floor(lo)), e = Math.min(bins - 1, Math.floor(hi)); b <= e; b++) {
      const wt = (Math.min(hi, b + 1) - Math.max(lo, b)) * inv;
      if (!(wt > 0)) continue;
      sw[b] += wt;
      sw2[b] += wt * wt;
    }
  }
  const ratio = new Float64Array(bins);
  for (let b = 0; b < bins; b++) ratio[b] = sw[b] > 0 ? sw2[b] / sw[b] : 1;
  return ratio;
}
