/**
 * Dense linear algebra for the tiny symmetric systems of a least-squares fit (p ≤ ~30 parameters):
 * Cholesky solve into caller-provided buffers, and an inverse for the covariance. No allocation.
 */

/** Indices of the used variables (grown on demand; the solves are synchronous). */
let usedIdx = new Int32Array(16);

/**
 * Solve A x = b for symmetric positive-definite A (row-major p×p, only the lower triangle read),
 * restricted to the indices where `use[i]` is 1 (the others get x = 0). `L` is p×p scratch.
 * Returns false when A (restricted) is not positive definite. The used block is packed into L first
 * and factored there: the same operations, in the same order, as skipping the unused indices in
 * every loop, without the branches and the indirection.
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
  for (let i = 0; i < p; i++) if (use[i]) idx[n++] = i;
  for (let ii = 0; ii < n; ii++) {
    const ri = idx[ii] * p;
    for (let jj = 0; jj <= ii; jj++) L[ii * n + jj] = A[ri + idx[jj]];
    x[ii] = b[idx[ii]];
  }
  if (!choleskySolveInPlace(n, L, x)) return false;
  // unpack: idx[ii] ≥ ii, so going down never overwrites an entry still to be read
  for (let ii = n - 1; ii >= 0; ii--) x[idx[ii]] = x[ii];
  for (let i = 0; i < p; i++) if (!use[i]) x[i] = 0;
  return true;
}

/** Cholesky factorisation of the n×n lower triangle in L (overwritten by the factor), then x ← L⁻ᵀL⁻¹x. */
function choleskySolveInPlace(n: number, L: Float64Array, x: Float64Array): boolean {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = L[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      if (i === j) {
        if (!(s > 0)) return false;
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j];
      }
    }
  }
  // forward: L y = b
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * x[k];
    x[i] = s / L[i * n + i];
  }
  // backward: Lᵀ x = y
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
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
    for (let r = col + 1; r < p; r++)
      if (Math.abs(work[r * w + col]) > Math.abs(work[piv * w + col])) piv = r;
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
