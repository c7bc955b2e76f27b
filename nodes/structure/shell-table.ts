/**
 * The terminated PDF of one coordination shell, tabulated once per run so a fit never transforms.
 *
 * A shell of one neighbour at distance s with isotropic displacement U contributes to G(r), before
 * any data processing, the Gaussian (1/r)·g_σ(r − s) (σ² = 2U: the two atoms' mean-square
 * displacements along the bond add), and every phase's −4πρr baseline; both are multiplied by the
 * envelope E(r) = spherical particle (1 − 3x/2 + x³/2, x = r/d, zero beyond d) × exp(−(Qdamp·r)²/2).
 * The data's G(r) is a sine transform of F(Q) over [qmin, qmax] only (optionally Lorch-windowed), so
 * the model must see the same band limit: T[h](r) = (2/π) ∫ W(Q) sin(Qr) ∫ h(r′) sin(Qr′) dr′ dQ.
 * That operator spreads each shell over the whole fit range (termination ripples decay only as 1/r),
 * so nothing is local in r; but T is linear and the only thing that moves in a fit is s. Hence
 *   P(r_i, s)  = T[E(r′)/r′ · g_σ(r′ − s)](r_i)  and  ∂P/∂s  on a grid of s (step 0.02 Å),
 *   B(r_i)     = T[E(r′)·r′](r_i)   (the baseline, independent of s),
 * and the model evaluates a shell as a cubic Hermite interpolation between two table columns: the
 * Hermite error at this step is ~1e-6 of the peak, far below any data noise.
 */

export type BandWindow = 'none' | 'lorch';

export interface ShellTableSpec {
  /** Fit-range r samples (Å), ascending: where the model is evaluated. */
  r: ArrayLike<number>;
  qmin: number;
  qmax: number;
  window: BandWindow;
  /** Q resolution damping (Å⁻¹); 0 = none. */
  qdamp: number;
  /** Spherical-particle envelope diameter (Å); 0 = none. */
  diameter: number;
  /** Isotropic ADP of every atom (Å²). */
  u: number;
  /** Smallest shell distance the table must hold (Å). */
  sMin: number;
}

/** Envelope E(r): spherical particle × Q-resolution damping. */
export function envelope(r: number, diameter: number, qdamp: number): number {
  let e = qdamp > 0 ? Math.exp(-0.5 * (qdamp * r) ** 2) : 1;
  if (diameter > 0) {
    const x = r / diameter;
    e *= x >= 1 ? 0 : 1 - 1.5 * x + 0.5 * x * x * x;
  }
  return e;
}

/** Where the envelope has fallen below 1e−8 (Å); Infinity without envelope. */
export function envelopeEnd(diameter: number, qdamp: number): number {
  const a = diameter > 0 ? diameter : Infinity;
  const b = qdamp > 0 ? Math.sqrt(2 * Math.log(1e8)) / qdamp : Infinity;
  return Math.min(a, b);
}

const S_STEP = 0.02; // Å between table columns
const R_FINE = 0.01; // Å, quadrature step of the r′ integrals (σ ≈ 0.1 Å → 10 samples per σ; spectrally accurate)
const U_STEP = 0.001; // Å, step of the kernel table C(u) (linear interpolation error ~1e−6 of C(0) at qmax 8)
const Q_STEP = 0.005; // Å⁻¹, Simpson step of the windowed kernel's Q integral

/**
 * The band-limit kernel: T[h](r) = ∫ (C(r − r′) − C(r + r′)) h(r′) dr′ with
 * C(u) = (1/π) ∫_{qmin}^{qmax} W(Q) cos(Qu) dQ (from sin a sin b = ½[cos(a − b) − cos(a + b)]).
 * Without a window C(u) = (sin(qmax u) − sin(qmin u)) / (πu); with Lorch's it is integrated
 * numerically. Tabulated on u = 0 … uMax (C is even).
 */
class BandKernel {
  private readonly c: Float64Array;
  private readonly inv = 1 / U_STEP;

  constructor(qmin: number, qmax: number, window: BandWindow, uMax: number) {
    const n = Math.ceil(uMax / U_STEP) + 2;
    const c = (this.c = new Float64Array(n));
    if (window === 'none') {
      c[0] = (qmax - qmin) / Math.PI;
      for (let j = 1; j < n; j++) {
        const u = j * U_STEP;
        c[j] = (Math.sin(qmax * u) - Math.sin(qmin * u)) / (Math.PI * u);
      }
      return;
    }
    let nq = Math.ceil((qmax - qmin) / Q_STEP);
    if (nq % 2) nq++;
    const dq = (qmax - qmin) / nq;
    const wq = new Float64Array(nq + 1);
    for (let k = 0; k <= nq; k++) {
      const q = qmin + k * dq;
      const x = (Math.PI * q) / qmax;
      const simpson = k === 0 || k === nq ? 1 : k % 2 ? 4 : 2;
      wq[k] = (((simpson * dq) / 3) * (x === 0 ? 1 : Math.sin(x) / x)) / Math.PI;
    }
    for (let j = 0; j < n; j++) {
      const u = j * U_STEP;
      let s = 0;
      for (let k = 0; k <= nq; k++) s += wq[k] * Math.cos((qmin + k * dq) * u);
      c[j] = s;
    }
  }

  /** C(|u|) by linear interpolation. */
  at(u: number): number {
    const x = Math.abs(u) * this.inv;
    const j = x | 0;
    const t = x - j;
    return this.c[j] + t * (this.c[j + 1] - this.c[j]);
  }
}

export class ShellTable {
  readonly m: number;
  readonly sigma: number;
  /** First column's shell distance and column step (Å). */
  readonly s0: number;
  readonly h = S_STEP;
  readonly ncol: number;
  /** Largest shell distance that contributes (beyond it the shell lies outside the envelope). */
  readonly sMax: number;
  /**
   * P and ∂P/∂s interleaved: pd[2(c·m + i)] = P(r_i, s0 + c·h), pd[2(c·m + i) + 1] = ∂P/∂s there
   * (one stream per column instead of two: the model's inner loop is memory-bound).
   */
  readonly pd: Float64Array;
  /** Band-limited baseline B(r_i) = T[E(r′) r′](r_i). */
  readonly base: Float64Array;

  constructor(spec: ShellTableSpec) {
    const { r, qmin, qmax, window, qdamp, diameter, u } = spec;
    const m = (this.m = r.length);
    const sigma = (this.sigma = Math.sqrt(2 * u));
    const rEnd = envelopeEnd(diameter, qdamp);
    if (!Number.isFinite(rEnd))
      throw new Error('shell table: needs a finite envelope (diameter > 0 or qdamp > 0)');
    const reach = 6 * sigma;
    this.s0 = Math.max(S_STEP, Math.floor((spec.sMin - reach) / S_STEP) * S_STEP);
    this.sMax = rEnd + reach;
    const ncol = (this.ncol = Math.ceil((this.sMax - this.s0) / S_STEP) + 2);
    const rpMax = this.s0 + (ncol - 1) * S_STEP + reach + R_FINE;
    const kernel = new BandKernel(qmin, qmax, window, (m ? r[m - 1] : 0) + rpMax + 1);
    // K(r_i, r′) applied to samples h(r′_k), r′_k = (k0 + k)·δ: out[off + i·stride] = Σ_k (C(r_i − r′_k) − C(r_i + r′_k)) h_k
    const apply = (k0: number, h: Float64Array, nk: number, out: Float64Array, off: number, stride = 1) => {
      for (let i = 0; i < m; i++) {
        const ri = r[i];
        let s = 0;
        for (let k = 0; k < nk; k++) {
          const rp = (k0 + k) * R_FINE;
          s += (kernel.at(ri - rp) - kernel.at(ri + rp)) * h[k];
        }
        out[off + i * stride] = s;
      }
    };

    // Baseline: h(r′) = E(r′)·r′ on (0, rEnd] (trapezoid; the integrand vanishes at both ends).
    const nb = Math.ceil(rEnd / R_FINE) + 1;
    const hb = new Float64Array(nb);
    for (let k = 0; k < nb; k++) hb[k] = envelope(k * R_FINE, diameter, qdamp) * k * R_FINE * R_FINE;
    this.base = new Float64Array(m);
    apply(0, hb, nb, this.base, 0);

    // Shell columns: h(r′) = E(r′)/r′ · g_σ(r′ − s), and ∂h/∂s = h · (r′ − s)/σ².
    this.pd = new Float64Array(2 * ncol * m);
    const nk = Math.ceil((2 * reach) / R_FINE) + 2;
    const hs = new Float64Array(nk);
    const dhs = new Float64Array(nk);
    const norm = 1 / (Math.sqrt(2 * Math.PI) * sigma);
    for (let c = 0; c < ncol; c++) {
      const s = this.s0 + c * S_STEP;
      const k0 = Math.max(1, Math.floor((s - reach) / R_FINE));
      for (let k = 0; k < nk; k++) {
        const rp = (k0 + k) * R_FINE;
        const x = (rp - s) / sigma;
        const g = ((norm * Math.exp(-0.5 * x * x) * envelope(rp, diameter, qdamp)) / rp) * R_FINE;
        hs[k] = g;
        dhs[k] = (g * x) / sigma;
      }
      apply(k0, hs, nk, this.pd, 2 * c * m, 2);
      apply(k0, dhs, nk, this.pd, 2 * c * m + 1, 2);
    }
  }
}
