/**
 * Dense linear algebra for the tiny symmetric systems of a least-squares fit (p ≤ ~30 parameters):
 * Cholesky solve into caller-provided buffers, and an inverse for the covariance. No allocation.
 */

/** Indices of the used variables (grown on demand; the solves are synchronous). */
let usedIdx = new Int32Array(16);

/**
 * Solve A x = b for symmetric positive-definite A (row-major p×p, only the lower triangle read),
 * restricted to the indices where `use[i]` is 1 (the others get x = 0). `L` is p×p scratch.
 * Returns false when A (restricted) is not positive definite. The loops run over the list of used
 * indices (in increasing order: the same operations as testing `use` in every loop, fewer branches).
 */
export function choleskySolveMasked(
  p: number,
  A: Float64Array,
  b: Float64Array,
  use: Uint8Array,
  L: Float64Array,
  x: Float64Array,
): boolean {
  if (usedIdx.length < p) usedIdx = new Int32Array(p);
  const idx = usedIdx;
  let n = 0;
  for (let i = 0; i < p; i++) {
    if (use[i]) idx[n++] = i;
    else x[i] = 0;
  }
  for (let ii = 0; ii < n; ii++) {
    const i = idx[ii];
    const ri = i * p;
    for (let jj = 0; jj <= ii; jj++) {
      const j = idx[jj];
      const rj = j * p;
      let s = A[ri + j];
      for (let kk = 0; kk < jj; kk++) {
        const k = idx[kk];
        s -= L[ri + k] * L[rj + k];
      }
      if (ii === jj) {
        if (!(s > 0)) return false;
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j];
      }
    }
  }
  // forward: L y = b
  for (let ii = 0; ii < n; ii++) {
    const i = idx[ii];
    let s = b[i];
    for (let kk = 0; kk < ii; kk++) {
      const k = idx[kk];
      s -= L[i * p + k] * x[k];
    }
    x[i] = s / L[i * p + i];
  }
  // backward: Lᵀ x = y
  for (let ii = n - 1; ii >= 0; ii--) {
    const i = idx[ii];
    let s = x[i];
    for (let kk = ii + 1; kk < n; kk++) {
      const k = idx[kk];
      s -= L[k * p + i] * x[k];
    }
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
