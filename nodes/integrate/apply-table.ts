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
 *
 * Cost per frame: one pass over the pixels (value × keep); Σu as "all pixels minus this frame's
 * masked ones" (masks are sparse, so only masked pixels' entries are touched); Σu·v and Σu·v² by
 * a subclass: a gather over the table (TableIntegrator) or, for bbox splitting, the prefix-sum form
 * that costs O(1) per pixel (BboxIntegrator in bbox-integrator.ts).
 */
import type { PixelTable } from './pixel-table.ts';

export interface Integrator {
  /**
   * Integrate frame `frame[frameOffset …]`; `bits[bitsOffset …]` is its packed mask or null.
   * Writes `bins` values at `outOffset` of I, sigma, count.
   */
  integrate(frame: ArrayLike<number>, frameOffset: number, bits: Uint8Array | null, bitsOffset: number, I: Float32Array, sigma: Float32Array, count: Float32Array, outOffset: number): void;
}

export abstract class MaskedIntegrator implements Integrator {
  /** Σw per bin over all statically unmasked pixels, and Σw²/Σw (the bin's mean pixel weight). */
  protected readonly fullW: Float64Array;
  protected readonly weightRatio: Float64Array;
  /** This frame's values, 0 where masked. */
  protected readonly vk: Float64Array;
  protected readonly staticKeep: Uint8Array;
  protected readonly su: Float64Array;
  protected readonly suv: Float64Array;
  protected readonly suvv: Float64Array;

  constructor(
    readonly table: PixelTable,
    /** Byte-per-pixel static mask (1 = excluded), or null. */
    staticMask: Uint8Array | null,
  ) {
    const { bins, pixels } = table;
    this.staticKeep = new Uint8Array(pixels).fill(1);
    if (staticMask) for (let p = 0; p < pixels; p++) if (staticMask[p]) this.staticKeep[p] = 0;
    this.fullW = new Float64Array(bins);
    this.weightRatio = new Float64Array(bins);
    for (let b = 0; b < bins; b++) {
      let w2 = 0;
      for (let k = table.binStart[b]; k < table.binStart[b + 1]; k++) {
        if (!this.staticKeep[table.binPix[k]]) continue;
        const wt = table.binW[k];
        this.fullW[b] += wt;
        w2 += wt * wt;
      }
      this.weightRatio[b] = this.fullW[b] > 0 ? w2 / this.fullW[b] : 1;
    }
    this.vk = new Float64Array(pixels);
    this.su = new Float64Array(bins);
    this.suv = new Float64Array(bins);
    this.suvv = new Float64Array(bins);
    this.maskValues = this.makeMaskValues();
  }

  /** Fill suv, suvv (Σu·v, Σu·v² per bin) from vk. */
  protected abstract sumValues(): void;

  integrate(frame: ArrayLike<number>, frameOffset: number, bits: Uint8Array | null, bitsOffset: number, I: Float32Array, sigma: Float32Array, count: Float32Array, outOffset: number): void {
    // Small separate steps, each optimised with complete type feedback.
    this.su.set(this.fullW);
    this.maskValues(frame, frameOffset, bits, bitsOffset);
    this.sumValues();
    this.finish(I, sigma, count, outOffset);
  }

  /**
   * vk = frame value, or 0 where masked; Σu loses the weights of this frame's masked pixels. A
   * closure over the arrays (V8 then treats them as constants: much faster than field reads).
   */
  private readonly maskValues: (frame: ArrayLike<number>, frameOffset: number, bits: Uint8Array | null, bitsOffset: number) => void;

  private makeMaskValues() {
    const { vk, su, staticKeep } = this;
    const { pixels, pixStart, pixBin, pixW } = this.table;
    const nBytes = (pixels + 7) >> 3;
    return (frame: ArrayLike<number>, frameOffset: number, bits: Uint8Array | null, bitsOffset: number): void => {
      if (bits === null) {
        for (let p = 0; p < pixels; p++) vk[p] = staticKeep[p] ? frame[frameOffset + p] : 0;
        return;
      }
      for (let B = 0; B < nBytes; B++) {
        const byte = bits[bitsOffset + B];
        const p0 = B << 3;
        const p1 = p0 + 8 < pixels ? p0 + 8 : pixels;
        if (byte === 0) {
          for (let p = p0; p < p1; p++) vk[p] = staticKeep[p] ? frame[frameOffset + p] : 0;
          continue;
        }
        for (let p = p0; p < p1; p++) {
          if (!staticKeep[p]) vk[p] = 0;
          else if ((byte >> (p - p0)) & 1) {
            vk[p] = 0;
            // Masked this frame (and not already out statically): remove its weights.
            for (let k = pixStart[p], e = pixStart[p + 1]; k < e; k++) su[pixBin[k]] -= pixW[k];
          } else vk[p] = frame[frameOffset + p];
        }
      }
    };
  }

  /** Per-bin mean, standard error and count from su, suv, suvv. */
  protected finish(I: Float32Array, sigma: Float32Array, count: Float32Array, outOffset: number): void {
    const { su, suv, suvv, weightRatio } = this;
    for (let b = 0; b < this.table.bins; b++) {
      const o = outOffset + b;
      // Subtraction leaves rounding dust where everything is masked.
      const s0 = su[b] > 1e-9 ? su[b] : 0;
      count[o] = s0;
      if (s0 > 0) {
        const mean = suv[b] / s0;
        I[o] = mean;
        const neff = s0 / weightRatio[b];
        const s2 = Math.max(0, suvv[b] / s0 - mean * mean);
        sigma[o] = neff > 1 ? Math.sqrt(s2 / (neff - 1)) : NaN;
      } else {
        I[o] = NaN;
        sigma[o] = NaN;
      }
    }
  }
}

/** Any split: a gather over the bin-major table (statically masked pixels left out). */
export class TableIntegrator extends MaskedIntegrator {
  private readonly binStart: Int32Array;
  private readonly binPix: Int32Array;
  private readonly binW: Float64Array;

  constructor(table: PixelTable, staticMask: Uint8Array | null) {
    super(table, staticMask);
    const keep = this.staticKeep;
    let n = 0;
    for (let k = 0; k < table.binPix.length; k++) if (keep[table.binPix[k]]) n++;
    this.binStart = new Int32Array(table.bins + 1);
    this.binPix = new Int32Array(n);
    this.binW = new Float64Array(n);
    let j = 0;
    for (let b = 0; b < table.bins; b++) {
      for (let k = table.binStart[b]; k < table.binStart[b + 1]; k++) {
        if (!keep[table.binPix[k]]) continue;
        this.binPix[j] = table.binPix[k];
        this.binW[j] = table.binW[k];
        j++;
      }
      this.binStart[b + 1] = j;
    }
    this.gather = this.makeGather();
  }

  protected sumValues(): void {
    this.gather();
  }

  /** Σw·v and Σw·v² per bin, as a closure over the table (see maskValues). */
  private readonly gather: () => void;

  private makeGather() {
    const { binStart, binPix, binW, vk, suv, suvv } = this;
    const bins = this.table.bins;
    return (): void => {
      for (let b = 0; b < bins; b++) {
        let s1 = 0;
        let s2 = 0;
        for (let k = binStart[b], e = binStart[b + 1]; k < e; k++) {
          const v = vk[binPix[k]];
          const wv = binW[k] * v;
          s1 += wv;
          s2 += wv * v;
        }
        suv[b] = s1;
        suvv[b] = s2;
      }
    };
  }
}
