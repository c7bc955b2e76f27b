/**
 * Small dense least squares by Householder QR (no normal equations, so polynomial and conic fits
 * stay accurate when columns are nearly collinear). Row-major design matrix, m ≥ n.
 */

export interface QRFactor {
  m: number;
  n: number;
  /** Householder vectors below the diagonal and R on/above it, row-major m×n. */
  a: Float64Array;
  /** Householder scalars (β) per column. */
  beta: Float64Array;
  /** R's diagonal. */
  diag: Float64Array;
  /** True when R has a (numerically) zero diagonal entry: the columns are dependent. */
  singular: boolean;
}

export function qrFactor(design: ArrayLike<number>, m: number, n: number): QRFactor {
  if (m < n) throw new Error(`least squares needs at least ${n} rows, got ${m}`);
  const a = Float64Array.from(design as ArrayLike<number>);
  const beta = new Float64Array(n);
  const diag = new Float64Array(n);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  let singular = false;
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i * n + k] * a[i * n + k];
    norm = Math.sqrt(norm);
    if (norm <= 1e-13 * scale) {
      singular = true;
      diag[k] = 0;
      beta[k] = 0;
      continue;
    }
    const alpha = a[k * n + k] > 0 ? -norm : norm;
    // v = x − α e₁ stored in place; β = 1 / (vᵀv / 2)
    a[k * n + k] -= alpha;
    let vv = 0;
    for (let i = k; i < m; i++) vv += a[i * n + k] * a[i * n + k];
    beta[k] = 2 / vv;
    for (let j = k + 1; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += a[i * n + k] * a[i * n + j];
      s *= beta[k];
      for (let i = k; i < m; i++) a[i * n + j] -= s * a[i * n + k];
    }
    diag[k] = alpha;
  }
  return { m, n, a, beta, diag, singular };
}

/** Coefficients x minimising |A x − b|₂ for a factorised A; `work` (length m) is scratch. */
export function qrSolve(
  f: QRFactor,
  b: ArrayLike<number>,
  out: Float64Array = new Float64Array(f.n),
  work: Float64Array = new Float64Array(f.m),
): Float64Array {
  const { m, n, a, beta, diag } = f;
  for (let i = 0; i < m; i++) work[i] = b[i];
  for (let k = 0; k < n; k++) {
    if (beta[k] === 0) continue;
    let s = 0;
    for (let i = k; i < m; i++) s += a[i * n + k] * work[i];
    s *= beta[k];
    for (let i = k; i < m; i++) work[i] -= s * a[i * n + k];
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = work[k];
    for (let j = k + 1; j < n; j++) s -= a[k * n + j] * out[j];
    out[k] = diag[k] === 0 ? 0 : s / diag[k];
  }
  return out;
}

/** One-shot least squares: returns null when the columns are dependent. */
export function lstsq(
  design: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  n: number,
): Float64Array | null {
  const f = qrFactor(design, m, n);
  if (f.singular) return null;
  return qrSolve(f, b);
}
