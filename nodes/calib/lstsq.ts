/**
 * Small dense least squares on ml-matrix's Householder QR (no normal equations, so polynomial and
 * conic fits stay accurate when columns are nearly collinear). Row-major design matrix, m ≥ n.
 * The factor keeps Q's first n columns and R as flat arrays, so a factor built once (pdf.reduce's
 * polynomial design) solves each position's curve in O(m n) without allocating.
 */
import { Matrix, QrDecomposition } from 'ml-matrix';

export interface QRFactor {
  m: number;
  n: number;
  /** Q's first n columns, row-major m×n (orthonormal columns). */
  q: Float64Array;
  /** R, row-major n×n, upper triangular. */
  r: Float64Array;
  /** Per column: 1 when its R diagonal is numerically zero (it depends on the columns before it). */
  dependent: Uint8Array;
  /** True when any column is dependent. */
  singular: boolean;
}

export function qrFactor(design: ArrayLike<number>, m: number, n: number): QRFactor {
  if (m < n) throw new Error(`least squares needs at least ${n} rows, got ${m}`);
  const a = Float64Array.from(design as ArrayLike<number>);
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]));
  const qr = new QrDecomposition(Matrix.from1DArray(m, n, a));
  const q = Float64Array.from(qr.orthogonalMatrix.to1DArray());
  const r = Float64Array.from(qr.upperTriangularMatrix.to1DArray());
  // a column whose remainder after the earlier ones is below round-off of the largest entry
  const dependent = new Uint8Array(n);
  for (let k = 0; k < n; k++) dependent[k] = Math.abs(r[k * n + k]) <= 1e-13 * scale ? 1 : 0;
  return { m, n, q, r, dependent, singular: dependent.includes(1) };
}

/**
 * Coefficients x minimising |A x − b|₂ for a factorised A: x = R⁻¹ Qᵀ b (a coefficient whose R
 * diagonal is numerically zero is 0). `work` is kept for callers that pass scratch space.
 */
export function qrSolve(
  f: QRFactor,
  b: ArrayLike<number>,
  out: Float64Array = new Float64Array(f.n),
  _work?: Float64Array,
): Float64Array {
  const { m, n, q, r, dependent } = f;
  for (let k = n - 1; k >= 0; k--) {
    let s = 0;
    for (let i = 0; i < m; i++) s += q[i * n + k] * b[i];
    for (let j = k + 1; j < n; j++) s -= r[k * n + j] * out[j];
    out[k] = dependent[k] ? 0 : s / r[k * n + k];
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
