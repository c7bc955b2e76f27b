/**
 * G(r_j) = (2/π) ΔQ Σ_n F_n sin(Q_n r_j) for a uniform Q grid Q_n = q0 + nΔQ (n < m) and a uniform
 * r grid r_j = r0 + j·dr (j < nr), in O((m + nr) log) by the chirp-z transform (Bluestein):
 * with θ = ΔQ·dr and nj = (n² + j² − (j − n)²)/2,
 *   Σ_n F_n e^{i ΔQ r_j n} = e^{iθj²/2} Σ_n [F_n e^{i(ΔQ r0 n + θn²/2)}] e^{−iθ(j−n)²/2},
 * a convolution done by FFT (fft.js). The result is the direct sum up to rounding — any r grid, no
 * interpolation. Long r grids are cut into blocks sharing one forward FFT of the data.
 */
import FFT from 'fft.js';

interface Block {
  j0: number;
  count: number;
  /** FFT of the chirp window h_{j0 + t}, t = −(m−1) … count−1, circularly placed. */
  H: number[];
}

export class SineTransform {
  private readonly fft: FFT;
  private readonly L: number;
  private readonly blocks: Block[] = [];
  /** Input chirp e^{i(ΔQ r0 n + θ n²/2)} (re, im interleaved). */
  private readonly a: Float64Array;
  /** Output factor (2/π) ΔQ e^{i(q0 r_j + θ j²/2)} (re, im interleaved). */
  private readonly c: Float64Array;
  private readonly y: number[];
  private readonly Y: number[];
  private readonly Z: number[];
  private readonly z: number[];

  constructor(
    readonly q0: number,
    readonly dq: number,
    readonly m: number,
    readonly r0: number,
    readonly dr: number,
    readonly nr: number,
  ) {
    const theta = dq * dr;
    // Pick the FFT length that minimises (1 + blocks) · L log L.
    let bestL = 0;
    let bestCost = Infinity;
    for (let L = 16; L <= 1 << 22; L *= 2) {
      const per = L - m + 1;
      if (per < 1) continue;
      const cost = (1 + Math.ceil(nr / per)) * L * Math.log2(L);
      if (cost < bestCost) {
        bestCost = cost;
        bestL = L;
      }
      if (per >= nr) break;
    }
    const L = bestL;
    this.L = L;
    this.fft = new FFT(L);
    this.a = new Float64Array(2 * m);
    for (let n = 0; n < m; n++) {
      const ph = dq * r0 * n + 0.5 * theta * n * n;
      this.a[2 * n] = Math.cos(ph);
      this.a[2 * n + 1] = Math.sin(ph);
    }
    this.c = new Float64Array(2 * nr);
    const k = (2 / Math.PI) * dq;
    for (let j = 0; j < nr; j++) {
      const r = r0 + j * dr;
      const ph = q0 * r + 0.5 * theta * j * j;
      this.c[2 * j] = k * Math.cos(ph);
      this.c[2 * j + 1] = k * Math.sin(ph);
    }
    const per = L - m + 1;
    const h = this.fft.createComplexArray() as number[];
    for (let j0 = 0; j0 < nr; j0 += per) {
      const count = Math.min(per, nr - j0);
      h.fill(0);
      for (let t = -(m - 1); t < count; t++) {
        const u = j0 + t;
        const ph = -0.5 * theta * u * u;
        const idx = t >= 0 ? t : L + t;
        h[2 * idx] = Math.cos(ph);
        h[2 * idx + 1] = Math.sin(ph);
      }
      const H = this.fft.createComplexArray() as number[];
      this.fft.transform(H, h);
      this.blocks.push({ j0, count, H });
    }
    this.y = this.fft.createComplexArray() as number[];
    this.Y = this.fft.createComplexArray() as number[];
    this.Z = this.fft.createComplexArray() as number[];
    this.z = this.fft.createComplexArray() as number[];
  }

  /** G on the r grid from F[fOffset … fOffset+m) into out[outOffset … outOffset+nr). */
  transform(
    F: ArrayLike<number>,
    fOffset: number,
    out: Float32Array | Float64Array,
    outOffset: number,
  ): void {
    const { m, a, c, y, Y, Z, z, L } = this;
    y.fill(0);
    for (let n = 0; n < m; n++) {
      const f = F[fOffset + n];
      y[2 * n] = f * a[2 * n];
      y[2 * n + 1] = f * a[2 * n + 1];
    }
    this.fft.transform(Y, y);
    for (const b of this.blocks) {
      const H = b.H;
      for (let i = 0; i < 2 * L; i += 2) {
        const yr = Y[i];
        const yi = Y[i + 1];
        Z[i] = yr * H[i] - yi * H[i + 1];
        Z[i + 1] = yr * H[i + 1] + yi * H[i];
      }
      this.fft.inverseTransform(z, Z);
      for (let t = 0; t < b.count; t++) {
        const j = b.j0 + t;
        // Im(c_j · z_t)
        out[outOffset + j] = c[2 * j] * z[2 * t + 1] + c[2 * j + 1] * z[2 * t];
      }
    }
  }
}

/** The definition, O(m·nr): for tests and tiny grids. */
export function directSineTransform(
  q: ArrayLike<number>,
  F: ArrayLike<number>,
  dq: number,
  r: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(r.length);
  for (let j = 0; j < r.length; j++) {
    let s = 0;
    for (let n = 0; n < q.length; n++) s += F[n] * Math.sin(q[n] * r[j]);
    out[j] = (2 / Math.PI) * s * dq;
  }
  return out;
}
