/**
 * Applying a pixel table to one frame with that frame's mask: per bin, the weighted mean intensity
 * of unmasked pixels, its standard error and the effective pixel count. The mask only changes the
 * weights (w·keep), so nothing geometric is rebuilt per frame.
 *
 * With weights u = w·keep: count = Σu (bin area in unmasked pixels), I = Σu·v / Σu,
 * variance s² = Σu·v²/Σu − I², effective independent count n_eff = (Σu)²/Σu² (Kish),
 * sigma = sqrt(s² / (n_eff − 1)) (standard error of the mean; NaN when n_eff ≤ 1). Σu² is taken as
 * Σu · (Σw²/Σw over the bin's unmasked-by-geometry pixels): exact without a per-frame mask (and
 * always for split none), and within rounding of the sigma estimate when a few pixels are masked.
 * Σu is "all pixels minus this frame's masked ones" (masks are sparse, so only masked pixels'
 * weights are touched).
 *
 * The op runs the WASM kernel (wasm-integrator.ts: a gather for none / full, the O(1)-per-pixel
 * prefix-sum form for bbox). TableIntegrator here is the plain definition, kept as the reference
 * the kernel is tested against.
 */
import type { TypedArray } from '../../engine/types.ts';
import type { PixelTable } from './pixel-table.ts';

export interface Integrator {
  /**
   * Integrate frame `frame[frameOffset …]`; `bits[bitsOffset …]` is its packed mask or null.
   * Writes `bins` values at `outOffset` of I, sigma, count.
   */
  integrate(
    frame: FrameData,
    frameOffset: number,
    bits: Uint8Array | null,
    bitsOffset: number,
    I: Float32Array,
    sigma: Float32Array,
    count: Float32Array,
    outOffset: number,
  ): void;
}

/** Frame values: any typed array (the kernel reads uint8 directly, converts the rest). */
export type FrameData = TypedArray;

/** 1 where a pixel takes part (not in the byte-per-pixel static mask, 1 = excluded). */
export function staticKeepOf(staticMask: Uint8Array | null, pixels: number): Uint8Array {
  const keep = new Uint8Array(pixels).fill(1);
  if (staticMask) for (let p = 0; p < pixels; p++) if (staticMask[p]) keep[p] = 0;
  return keep;
}

/** Per bin: Σw over the statically kept pixels (Σu without a frame mask) and Σw²/Σw (mean weight). */
export function binWeights(
  table: PixelTable,
  keep: Uint8Array,
): { fullW: Float64Array; weightRatio: Float64Array } {
  const fullW = new Float64Array(table.bins);
  const weightRatio = new Float64Array(table.bins);
  for (let b = 0; b < table.bins; b++) {
    let w2 = 0;
    for (let k = table.binStart[b]; k < table.binStart[b + 1]; k++) {
      if (!keep[table.binPix[k]]) continue;
      const wt = table.binW[k];
      fullW[b] += wt;
      w2 += wt * wt;
    }
    weightRatio[b] = fullW[b] > 0 ? w2 / fullW[b] : 1;
  }
  return { fullW, weightRatio };
}

/** Bin b's outputs at index o from Σu, Σu·v, Σu·v² (the definition above). */
export function finishBin(
  su: number,
  suv: number,
  suvv: number,
  weightRatio: number,
  I: Float32Array,
  sigma: Float32Array,
  count: Float32Array,
  o: number,
): void {
  // Subtraction leaves rounding dust where everything is masked.
  const s0 = su > 1e-9 ? su : 0;
  count[o] = s0;
  if (s0 > 0) {
    const mean = suv / s0;
    I[o] = mean;
    const neff = s0 / weightRatio;
    const s2 = Math.max(0, suvv / s0 - mean * mean);
    sigma[o] = neff > 1 ? Math.sqrt(s2 / (neff - 1)) : NaN;
  } else {
    I[o] = NaN;
    sigma[o] = NaN;
  }
}

/** Reference: any split, a gather over the bin-major table, each pixel's mask bit read directly. */
export class TableIntegrator implements Integrator {
  private readonly keep: Uint8Array;
  private readonly weightRatio: Float64Array;

  constructor(
    readonly table: PixelTable,
    /** Byte-per-pixel static mask (1 = excluded), or null. */
    staticMask: Uint8Array | null,
  ) {
    this.keep = staticKeepOf(staticMask, table.pixels);
    this.weightRatio = binWeights(table, this.keep).weightRatio;
  }

  integrate(
    frame: ArrayLike<number>,
    frameOffset: number,
    bits: Uint8Array | null,
    bitsOffset: number,
    I: Float32Array,
    sigma: Float32Array,
    count: Float32Array,
    outOffset: number,
  ): void {
    const { table, keep } = this;
    for (let b = 0; b < table.bins; b++) {
      let su = 0;
      let suv = 0;
      let suvv = 0;
      for (let k = table.binStart[b]; k < table.binStart[b + 1]; k++) {
        const p = table.binPix[k];
        if (!keep[p] || (bits !== null && (bits[bitsOffset + (p >> 3)] >> (p & 7)) & 1)) continue;
        const v = frame[frameOffset + p];
        const wv = table.binW[k] * v;
        su += table.binW[k];
        suv += wv;
        suvv += wv * v;
      }
      finishBin(su, suv, suvv, this.weightRatio[b], I, sigma, count, outOffset + b);
    }
  }
}
