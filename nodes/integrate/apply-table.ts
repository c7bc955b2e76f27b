/**
 * Applying a pixel table to one frame with that frame's mask: per bin, the weighted mean intensity
 * of unmasked pixels, its standard error and the effective pixel count. The mask only changes the
 * weights (w·keep), so nothing geometric is rebuilt per frame.
 *
 * With weights u = w·keep: count = Σu (bin area in unmasked pixels), I = Σu·v / Σu,
 * variance s² = Σu·v²/Σu − I², effective independent count n_eff = (Σu)²/Σu² (Kish),
 * sigma = sqrt(s² / (n_eff − 1)) (standard error of the mean; NaN when n_eff ≤ 1).
 *
 * Cost per frame: one pass over the pixels (value × keep), one gather over the table's entries for
 * Σu·v and Σu·v², and Σu, Σu² as "all pixels minus the masked ones" — masks are sparse, so the
 * mask-dependent sums touch only the masked pixels' entries.
 */
import type { PixelTable } from './pixel-table.ts';

export class TableIntegrator {
  /** Table without statically masked pixels (bin-major). */
  private readonly binStart: Int32Array;
  private readonly binPix: Int32Array;
  private readonly binW: Float64Array;
  /** Σw and Σw² per bin over all statically unmasked pixels. */
  private readonly fullW: Float64Array;
  private readonly fullW2: Float64Array;
  private readonly vk: Float64Array;
  private readonly su: Float64Array;
  private readonly suu: Float64Array;
  private readonly staticKeep: Uint8Array;

  constructor(
    readonly table: PixelTable,
    /** Byte-per-pixel static mask (1 = excluded), or null. */
    staticMask: Uint8Array | null,
  ) {
    const { bins, pixels } = table;
    this.staticKeep = new Uint8Array(pixels).fill(1);
    if (staticMask) for (let p = 0; p < pixels; p++) if (staticMask[p]) this.staticKeep[p] = 0;
    const keep = this.staticKeep;
    let n = 0;
    for (let k = 0; k < table.binPix.length; k++) if (keep[table.binPix[k]]) n++;
    this.binStart = new Int32Array(bins + 1);
    this.binPix = new Int32Array(n);
    this.binW = new Float64Array(n);
    this.fullW = new Float64Array(bins);
    this.fullW2 = new Float64Array(bins);
    let j = 0;
    for (let b = 0; b < bins; b++) {
      for (let k = table.binStart[b]; k < table.binStart[b + 1]; k++) {
        const p = table.binPix[k];
        if (!keep[p]) continue;
        const wt = table.binW[k];
        this.binPix[j] = p;
        this.binW[j] = wt;
        this.fullW[b] += wt;
        this.fullW2[b] += wt * wt;
        j++;
      }
      this.binStart[b + 1] = j;
    }
    this.vk = new Float64Array(pixels);
    this.su = new Float64Array(bins);
    this.suu = new Float64Array(bins);
  }

  /**
   * Integrate frame `frame[frameOffset …]`; `bits[bitsOffset …]` is its packed mask or null.
   * Writes `bins` values at `outOffset` of I, sigma, count.
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
    const { vk, su, suu, staticKeep } = this;
    const { pixels, bins, pixStart, pixBin, pixW } = this.table;
    su.set(this.fullW);
    suu.set(this.fullW2);
    if (!bits) {
      for (let p = 0; p < pixels; p++) vk[p] = frame[frameOffset + p];
    } else {
      const nBytes = (pixels + 7) >> 3;
      for (let B = 0; B < nBytes; B++) {
        const byte = bits[bitsOffset + B];
        const p0 = B << 3;
        const p1 = p0 + 8 < pixels ? p0 + 8 : pixels;
        if (byte === 0) {
          for (let p = p0; p < p1; p++) vk[p] = frame[frameOffset + p];
          continue;
        }
        for (let p = p0; p < p1; p++) {
          if ((byte >> (p - p0)) & 1) {
            vk[p] = 0;
            // Masked this frame (and not already out statically): remove its weights.
            if (staticKeep[p]) {
              for (let k = pixStart[p], e = pixStart[p + 1]; k < e; k++) {
                const wt = pixW[k];
                su[pixBin[k]] -= wt;
                suu[pixBin[k]] -= wt * wt;
              }
            }
          } else vk[p] = frame[frameOffset + p];
        }
      }
    }
    const { binStart, binPix, binW } = this;
    for (let b = 0; b < bins; b++) {
      let suv = 0;
      let suvv = 0;
      for (let k = binStart[b], e = binStart[b + 1]; k < e; k++) {
        const v = vk[binPix[k]];
        const wv = binW[k] * v;
        suv += wv;
        suvv += wv * v;
      }
      const o = outOffset + b;
      // Subtraction leaves rounding dust where everything is masked.
      const s0 = su[b] > 1e-9 ? su[b] : 0;
      count[o] = s0;
      if (s0 > 0) {
        const mean = suv / s0;
        I[o] = mean;
        const neff = (s0 * s0) / suu[b];
        const s2 = Math.max(0, suvv / s0 - mean * mean);
        sigma[o] = neff > 1 ? Math.sqrt(s2 / (neff - 1)) : NaN;
      } else {
        I[o] = NaN;
        sigma[o] = NaN;
      }
    }
  }
}
