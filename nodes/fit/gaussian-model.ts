/**
 * The first-shell model: N Gaussians (area A, centre c, width σ) on a linear baseline,
 *   y(r) = Σᵢ Aᵢ/(√(2π)σᵢ) · exp(−(r − cᵢ)²/(2σᵢ²)) + a·r + a₀,
 * its analytic Jacobian, the reference starts and bounds (SCIENCE.md table) and a peak-detection
 * start ("auto"). Parameter order: [A₁, c₁, σ₁, …, A_N, c_N, σ_N, a, a₀].
 */
import type { FitArena } from './kernel.ts';
import type { LsqModel } from './trust-region.ts';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

export function paramCount(n: number): number {
  return 3 * n + 2;
}

export function paramNames(n: number): string[] {
  const names: string[] = [];
  for (let i = 1; i <= n; i++) names.push(`A${i}`, `c${i}`, `sigma${i}`);
  names.push('a', 'a0');
  return names;
}

/**
 * Gaussians + baseline over samples (x, y); residual = model − data. Reuses its buffers. Given the
 * solver's FitArena, x and y live in its memory and, on a uniform grid, residuals and Jacobian are
 * computed by the kernel (same numbers as the JS below, which serves every other case).
 */
export class GaussiansModel implements LsqModel {
  x: Float64Array;
  y: Float64Array;
  m = 0;
  /** Grid step when x is uniform (set by `prepare`), else 0. */
  private h = 0;
  private ex: Float64Array;
  private arena: FitArena | null;
  // recurrence seeds of the last `seed` call (see `gaussian`)
  private j = 0;
  private g0 = 0;
  private q0 = 0;
  private qb = 0;
  private K = 0;

  /** Numbers a model takes from a shared arena. */
  static arenaSize(mMax: number): number {
    return 3 * mMax;
  }

  constructor(
    readonly n: number,
    mMax: number,
    arena: FitArena | null = null,
  ) {
    this.arena = arena;
    const take = (len: number) => (arena ? arena.take(len) : new Float64Array(len));
    this.x = take(mMax);
    this.y = take(mMax);
    this.ex = take(mMax);
  }

  /** Call after filling x[0..m): detects a uniform grid (to 1e-10 of the step). */
  prepare(): void {
    const { x, m } = this;
    this.h = 0;
    if (m < 3) return;
    const h = (x[m - 1] - x[0]) / (m - 1);
    if (!(h > 0)) return;
    const tol = 1e-10 * h;
    for (let i = 1; i < m - 1; i++) if (Math.abs(x[i] - (x[0] + i * h)) > tol) return;
    this.h = h;
  }

  /**
   * ex[i] = exp(−(xᵢ − c)²/(2σ²)). On a uniform grid by the recurrence gᵢ₊₁ = gᵢ·qᵢ, qᵢ₊₁ = qᵢ·e^(−h²/σ²),
   * outward from the sample nearest c (every factor ≤ 1, so the tails underflow to 0 harmlessly):
   * four exp per Gaussian instead of one per sample. Relative error ~m·ε.
   */
  private gaussian(c: number, s: number): void {
    const { x, m, h, ex } = this;
    if (h === 0) {
      const hi = 0.5 / (s * s);
      for (let i = 0; i < m; i++) {
        const d = x[i] - c;
        ex[i] = Math.exp(-d * d * hi);
      }
      return;
    }
    this.seed(c, s);
    const { j, K } = this;
    let g = this.g0;
    let q = this.q0;
    for (let i = j; i < m; i++) {
      ex[i] = g;
      g *= q;
      q *= K;
    }
    q = this.qb;
    g = ex[j] * q;
    for (let i = j - 1; i >= 0; i--) {
      q *= K;
      ex[i] = g;
      g *= q;
    }
  }

  /**
   * Seeds of the recurrence on a uniform grid: the sample j nearest c, g0 = exp at j, the first ratios
   * q0 (forward) and qb (backward), and their ratio K.
   */
  private seed(c: number, s: number): void {
    const { x, m, h } = this;
    const hi = 0.5 / (s * s);
    const j = Math.min(Math.max(Math.round((c - x[0]) / h), 0), m - 1);
    const d = x[j] - c;
    this.j = j;
    this.K = Math.exp(-2 * h * h * hi);
    this.g0 = Math.exp(-d * d * hi);
    this.q0 = Math.exp(-(2 * d * h + h * h) * hi);
    this.qb = Math.exp(-(h * h - 2 * d * h) * hi);
  }

  evaluate(p: Float64Array, r: Float64Array, J: Float64Array | null): void {
    const n = this.n;
    const a = p[3 * n];
    const a0 = p[3 * n + 1];
    const { x, y, m, ex, arena } = this;
    if (J && this.h > 0 && arena?.holds(r) && arena.holds(J) && arena.holds(x)) {
      const k = arena.kernel;
      const ob = 8 * 3 * n * m;
      k.base(
        x.byteOffset,
        y.byteOffset,
        r.byteOffset,
        J.byteOffset + ob,
        J.byteOffset + ob + 8 * m,
        m,
        a,
        a0,
      );
      for (let q = 0; q < n; q++) {
        const c = p[3 * q + 1];
        const s = p[3 * q + 2];
        this.seed(c, s);
        const is = 1 / s;
        const oA = J.byteOffset + 8 * 3 * q * m;
        k.gauss(
          x.byteOffset,
          r.byteOffset,
          ex.byteOffset,
          oA,
          oA + 8 * m,
          oA + 16 * m,
          m,
          this.j,
          p[3 * q],
          c,
          is,
          is * is,
          INV_SQRT_2PI * is,
          this.g0,
          this.q0,
          this.qb,
          this.K,
        );
      }
      return;
    }
    for (let i = 0; i < m; i++) r[i] = a * x[i] + a0 - y[i];
    for (let k = 0; k < n; k++) {
      const A = p[3 * k];
      const c = p[3 * k + 1];
      const s = p[3 * k + 2];
      this.gaussian(c, s);
      // the same exp serves the residual and the three Jacobian columns
      const is = 1 / s;
      const is2 = is * is;
      const hN = INV_SQRT_2PI * is;
      const oA = 3 * k * m;
      const oc = oA + m;
      const os = oc + m;
      for (let i = 0; i < m; i++) {
        const d = x[i] - c;
        const u = d * d * is2;
        const gk = hN * ex[i];
        const val = A * gk;
        r[i] += val;
        if (J) {
          J[oA + i] = gk;
          J[oc + i] = val * d * is2;
          J[os + i] = val * (u - 1) * is;
        }
      }
    }
    if (J) {
      const ob = 3 * n * m;
      for (let i = 0; i < m; i++) {
        J[ob + i] = x[i];
        J[ob + m + i] = 1;
      }
    }
  }
}

export function model(n: number, p: ArrayLike<number>, r: number): number {
  let v = p[3 * n] * r + p[3 * n + 1];
  for (let k = 0; k < n; k++) {
    const d = r - p[3 * k + 1];
    const s = p[3 * k + 2];
    v += ((p[3 * k] * INV_SQRT_2PI) / s) * Math.exp((-0.5 * d * d) / (s * s));
  }
  return v;
}

export interface StartBounds {
  start: number[];
  lower: number[];
  upper: number[];
}

/**
 * Reference starts and bounds. N = 2 is the SCIENCE.md table (A 0.01 [0.01, ∞], c₁ 2.4 [2.4, 3.0],
 * σ 0.01 [0.01, 1], c₂ 3.5 [3.0, 4.0], a and a₀ 1, free); other N split the range into equal
 * windows for the centres.
 */
export function referenceStartBounds(n: number, range: [number, number]): StartBounds {
  if (n === 2) {
    return {
      start: [0.01, 2.4, 0.01, 0.01, 3.5, 0.01, 1, 1],
      lower: [0.01, 2.4, 0.01, 0.01, 3.0, 0.01, -Infinity, -Infinity],
      upper: [Infinity, 3.0, 1, Infinity, 4.0, 1, Infinity, Infinity],
    };
  }
  const start: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  const w = (range[1] - range[0]) / n;
  for (let k = 0; k < n; k++) {
    const lo = range[0] + k * w;
    start.push(0.01, lo + w / 2, 0.01);
    lower.push(0.01, lo, 0.01);
    upper.push(Infinity, lo + w, 1);
  }
  start.push(1, 1);
  lower.push(-Infinity, -Infinity);
  upper.push(Infinity, Infinity);
  return { start, lower, upper };
}

/**
 * Starts from the data: a straight baseline through the range's end points, then peak by peak
 * (each in its centre-bound window) the maximum of what is left above the baseline, a width from
 * the half-maximum crossing, and that Gaussian subtracted before looking for the next one.
 * Writes into `out` (length 3N+2); `work` holds m numbers.
 */
export function autoStart(
  n: number,
  x: Float64Array,
  y: Float64Array,
  m: number,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  out: Float64Array,
  work: Float64Array,
): void {
  const a = m > 1 ? (y[m - 1] - y[0]) / (x[m - 1] - x[0]) : 0;
  const a0 = y[0] - a * x[0];
  // a running median of 5 keeps a single-sample outlier from being taken for a peak
  for (let i = 0; i < m; i++) work[i] = median5(y, i, m) - (a * x[i] + a0);
  const dx = m > 1 ? Math.abs(x[1] - x[0]) : 0.01;
  for (let k = 0; k < n; k++) {
    const cLo = lower[3 * k + 1];
    const cHi = upper[3 * k + 1];
    let best = -1;
    for (let i = 0; i < m; i++) {
      if (x[i] < cLo || x[i] > cHi) continue;
      if (best < 0 || work[i] > work[best]) best = i;
    }
    if (best < 0) best = Math.floor(m / 2);
    const h = Math.max(work[best], 1e-6);
    // half-width at half maximum, towards whichever side crosses first
    let hw = Infinity;
    for (let i = best; i < m; i++)
      if (work[i] < h / 2) {
        hw = x[i] - x[best];
        break;
      }
    for (let i = best; i >= 0; i--)
      if (work[i] < h / 2) {
        hw = Math.min(hw, x[best] - x[i]);
        break;
      }
    if (!Number.isFinite(hw) || hw <= 0) hw = 4 * dx;
    const clamp = (v: number, j: number) => Math.min(Math.max(v, lower[j]), upper[j]);
    const s = clamp(hw / 1.1774, 3 * k + 2);
    const c = clamp(x[best], 3 * k + 1);
    const A = clamp(h * s * Math.sqrt(2 * Math.PI), 3 * k);
    out[3 * k] = A;
    out[3 * k + 1] = c;
    out[3 * k + 2] = s;
    for (let i = 0; i < m; i++) {
      const d = x[i] - c;
      work[i] -= ((A * INV_SQRT_2PI) / s) * Math.exp((-0.5 * d * d) / (s * s));
    }
  }
  out[3 * n] = clampFree(a, lower[3 * n], upper[3 * n]);
  out[3 * n + 1] = clampFree(a0, lower[3 * n + 1], upper[3 * n + 1]);
}

function clampFree(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

const med = new Float64Array(5);
function median5(y: Float64Array, i: number, m: number): number {
  let k = 0;
  for (let j = Math.max(0, i - 2); j <= Math.min(m - 1, i + 2); j++) med[k++] = y[j];
  // insertion sort of ≤ 5 numbers
  for (let a = 1; a < k; a++) {
    const v = med[a];
    let b = a - 1;
    while (b >= 0 && med[b] > v) {
      med[b + 1] = med[b];
      b--;
    }
    med[b + 1] = v;
  }
  return med[k >> 1];
}
