/**
 * Applying a pixel table to one frame with that frame's mask: per bin, the weighted mean intensity
 * of unmasked pixels, its standard error and the effective pixel count. The mask only changes the
 * weights (w·keep), so nothing geometric is rebuilt per frame.
 *
 * With weights u = w·keep: count = Σu (bin area in unmasked pixels), I = Σu·v / Σu,
 * variance s² = Σu·v²/Σu − I², effective independent count n_eff = (Σu)²/Σu² (Kish),
 * sigma = sqrt(s² / (n_eff − 1)) (standard error of the mean; NaN when n_eff ≤ 1).
 */
import type { PixelTable } from './pixel-table.ts';

export class TableIntegrator {
  private readonly keep: Float32Array;
  private readonly vk: Float32Array;

  constructor(
    readonly table: PixelTable,
    /** Byte-per-pixel static mask (1 = excluded), or null. */
    readonly staticMask: Uint8Array | null,
  ) {
    this.keep = new Float32Array(table.pixels);
    this.vk = new Float32Array(table.pixels);
  }

  /**
   * Integrate frame `frame[frameOffset …]`; `bits[bitsOffset …]` is its packed mask or null.
   * Writes bins values at `outOffset` of I, sigma, count.
   */
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
    const { keep, vk, staticMask } = this;
    const npx = this.table.pixels;
    if (bits) {
      for (let p = 0; p < npx; p++) keep[p] = 1 - ((bits[bitsOffset + (p >> 3)] >> (p & 7)) & 1);
    } else keep.fill(1);
    if (staticMask) for (let p = 0; p < npx; p++) if (staticMask[p]) keep[p] = 0;
    for (let p = 0; p < npx; p++) vk[p] = keep[p] * frame[frameOffset + p];
    const { bins, binStart, binPix, binW } = this.table;
    for (let b = 0; b < bins; b++) {
      let su = 0;
      let suv = 0;
      let suvv = 0;
      let suu = 0;
      for (let k = binStart[b], e = binStart[b + 1]; k < e; k++) {
        const p = binPix[k];
        const wt = binW[k];
        const u = wt * keep[p];
        const v = vk[p];
        su += u;
        suu += u * wt;
        suv += wt * v;
        suvv += wt * v * v;
      }
      const o = outOffset + b;
      count[o] = su;
      if (su > 0) {
        const mean = suv / su;
        I[o] = mean;
        const neff = (su * su) / suu;
        const s2 = Math.max(0, suvv / su - mean * mean);
        sigma[o] = neff > 1 ? Math.sqrt(s2 / (neff - 1)) : NaN;
      } else {
        I[o] = NaN;
        sigma[o] = NaN;
      }
    }
  }
}
