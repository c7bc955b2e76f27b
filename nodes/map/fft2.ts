/**
 * A 2-D complex FFT on a power-of-two grid (rows, then columns, with fft.js), and the real-valued
 * cross-correlation of pairs of images it exists for: C[a, b](d) = Σ_x a(x) · b(x + d), every
 * shift d at once. Two real images travel in one complex transform (a + i·b), so correlating
 * three pairs takes three forward and three inverse transforms.
 */
import FFT from 'fft.js';

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return Math.max(p, 2);
}

export class Fft2 {
  private readonly rowFft: FFT;
  private readonly colFft: FFT;
  private readonly bufIn: number[];
  private readonly bufOut: number[];

  constructor(
    readonly h: number,
    readonly w: number,
  ) {
    this.rowFft = new FFT(w);
    this.colFft = new FFT(h);
    this.bufIn = this.colFft.createComplexArray() as number[];
    this.bufOut = this.colFft.createComplexArray() as number[];
  }

  /** In place on an interleaved complex [h, w] grid; `inverse` includes the 1/(h·w). */
  transform(z: Float64Array, inverse = false): void {
    const { h, w } = this;
    const row = this.rowFft.createComplexArray() as number[];
    const out = this.rowFft.createComplexArray() as number[];
    for (let y = 0; y < h; y++) {
      const o = 2 * y * w;
      for (let k = 0; k < 2 * w; k++) row[k] = z[o + k];
      if (inverse) this.rowFft.inverseTransform(out, row);
      else this.rowFft.transform(out, row);
      for (let k = 0; k < 2 * w; k++) z[o + k] = out[k];
    }
    const col = this.bufIn;
    const cout = this.bufOut;
    for (let x = 0; x < w; x++) {
      for (let y = 0; y < h; y++) {
        col[2 * y] = z[2 * (y * w + x)];
        col[2 * y + 1] = z[2 * (y * w + x) + 1];
      }
      if (inverse) this.colFft.inverseTransform(cout, col);
      else this.colFft.transform(cout, col);
      for (let y = 0; y < h; y++) {
        z[2 * (y * w + x)] = cout[2 * y];
        z[2 * (y * w + x) + 1] = cout[2 * y + 1];
      }
    }
  }

  /** Spectrum of a + i·b for two real images [ih, iw] placed at the grid's origin (zero padded). */
  packed(a: ArrayLike<number>, b: ArrayLike<number>, ih: number, iw: number): Float64Array {
    const z = new Float64Array(2 * this.h * this.w);
    for (let y = 0; y < ih; y++)
      for (let x = 0; x < iw; x++) {
        const k = 2 * (y * this.w + x);
        z[k] = a[y * iw + x];
        z[k + 1] = b[y * iw + x];
      }
    this.transform(z);
    return z;
  }

  /**
   * Split a packed spectrum Z = FFT(a + i·b) into A (which = 0) or B (which = 1):
   * A[k] = (Z[k] + conj Z[−k]) / 2, B[k] = (Z[k] − conj Z[−k]) / 2i.
   */
  unpack(Z: Float64Array, which: 0 | 1): Float64Array {
    const { h, w } = this;
    const out = new Float64Array(2 * h * w);
    for (let y = 0; y < h; y++) {
      const ny = (h - y) % h;
      for (let x = 0; x < w; x++) {
        const nx = (w - x) % w;
        const k = 2 * (y * w + x);
        const m = 2 * (ny * w + nx);
        const re = Z[k],
          im = Z[k + 1],
          cre = Z[m],
          cim = -Z[m + 1];
        if (which === 0) {
          out[k] = (re + cre) / 2;
          out[k + 1] = (im + cim) / 2;
        } else {
          // (Z − conj Z(−k)) / 2i = (Δim − i·Δre) / 2 … with Δ = Z − conj Z(−k)
          out[k] = (im - cim) / 2;
          out[k + 1] = -(re - cre) / 2;
        }
      }
    }
    return out;
  }

  /**
   * Two correlations at once from spectra: C[a1, b1] + i·C[a2, b2] = IFFT(conj A1·B1 + i·conj A2·B2).
   * Both are real, so the real and imaginary parts of the inverse transform are the two maps, indexed
   * by shift d = (dy mod h, dx mod w).
   */
  correlatePair(
    A1: Float64Array,
    B1: Float64Array,
    A2: Float64Array,
    B2: Float64Array,
  ): [Float64Array, Float64Array] {
    const n = this.h * this.w;
    const z = new Float64Array(2 * n);
    for (let k = 0; k < n; k++) {
      const p = 2 * k;
      // conj(A)·B
      const r1 = A1[p] * B1[p] + A1[p + 1] * B1[p + 1];
      const i1 = A1[p] * B1[p + 1] - A1[p + 1] * B1[p];
      const r2 = A2[p] * B2[p] + A2[p + 1] * B2[p + 1];
      const i2 = A2[p] * B2[p + 1] - A2[p + 1] * B2[p];
      z[p] = r1 - i2;
      z[p + 1] = i1 + r2;
    }
    this.transform(z, true);
    const c1 = new Float64Array(n);
    const c2 = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      c1[k] = z[2 * k];
      c2[k] = z[2 * k + 1];
    }
    return [c1, c2];
  }
}
