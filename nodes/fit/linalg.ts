/**
 * Dense linear algebra for the tiny symmetric systems of a least-squares fit (p ≤ ~30 parameters):
 * Cholesky solve into caller-provided buffers, and an inverse for the covariance. No allocation.
 */

/**
 * Solve A x = b for symmetric positive-definite A (row-major p×p, only the lower triangle read),
 * restricted to the indices where `use[i]` is 1 (the others get x = 0). `L` is p×p scratch.
 * Returns false when A (restricted) is not positive definite.
 */
export function choleskySolveMasked(
  p: number,
  A: Float64Array,
  b: Float64Array,
  use: Uint8Array,
  L: Float64Array,
  x: Float64Array,
): boolean {
  for (let i = 0; i < p; i++) {
    if (!use[i]) continue;
    for (let j = 0; j <= i; j++) {
      if (!use[j]) continue;
      let s = A[i * p + j];
      for (let k = 0; k < j; k++) if (use[k]) s -= L[i * p + k] * L[j * p + k];
      if (i === j) {
        if (!(s > 0)) return false;
        L[i * p + i] = Math.sqrt(s);
      } else {
        L[i * p + j] = s / L[j * p + j];
      }
    }
  }
  // forward: L y = b
  for (let i = 0; i < p; i++) {
    if (!use[i]) {
      x[i] = 0;
      continue;
    }
    let s = b[i];
    for (let k = 0; k < i; k++) if (use[k]) s -= L[i * p + k] * x[k];
    x[i] = s / L[i * p + i];
  }
  // backward: Lᵀ x = y
  for (let i = p - 1; i >= 0; i--) {
    if (!use[i]) continue;
    let s = x[i];
    for (let k = i + 1; k < p; k++) if (use[k]) s -= L[k * p + i] * x[k];
    x[i] = s / L[i * p + i];
  }
  return true;
}

/**
 * Inverse of a symmetric positive semi-definite p×p matrix by Gauss–Jordan elimination with partial
 * pivoting. `work` must hold 2·p·p numbers. Returns false (and leaves `out` NaN) when singular.
 */
export function invertSymmetric(p: number, A: Float64Array, out: Float64Array, work: Float64Array): boolean {
  const w = 2 * p;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) {
      work[i * w + j] = A[i * p + j];
      work[i * w + p + j] = i === j ? 1 : 0;
    }
  }
  let scale = 0;
  for (let i = 0; i < p; i++) scale = Math.max(scale, Math.abs(A[i * p + i]));
  const tiny = scale * 1e-15;
  for (let col = 0; col < p; col++) {
    let piv = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(work[r * w + col]) > Math.abs(work[piv * w + col])) piv = r;
    const pv = work[piv * w + col];
    if (!(Math.abs(pv) > tiny)) {
      out.fill(NaN);
      return false;
    }
    if (piv !== col) {
      for (let j = 0; j < w; j++) {
        const t = work[col * w + j];
        work[col * w + j] = work[piv * w + j];
        work[piv * w + j] = t;
      }
    }
    const inv = 1 / pv;
    for (let j = 0; j < w; j++) work[col * w + j] *= inv;
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = work[r * w + col];
      if (f === 0) continue;
      for (let j = 0; j < w; j++) work[r * w + j] -= f * work[col * w + j];
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out[i * p + j] = work[i * w + p + j];
  return true;
}
