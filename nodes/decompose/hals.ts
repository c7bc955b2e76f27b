/**
 * NMF by HALS (hierarchical alternating least squares = coordinate descent on whole columns/rows),
 * minimising ½‖X − WH‖²_F with W, H ≥ 0 — the objective and update order of scikit-learn's
 * `NMF(solver="cd")`: each iteration updates every column of W (with H fixed), then every row of H.
 *
 * The W update is row-wise independent given HHᵀ and the row's XHᵀ, so one pass over X does all the
 * heavy work: per row i, xh = Xᵢ·Hᵀ (k dots), update Wᵢ, then accumulate (WᵀX) += Wᵢᵀ·Xᵢ and
 * WᵀW with the *new* Wᵢ — exactly what the H update needs. Both updates also return the sum of
 * |projected gradient| they met (scikit-learn's "violation"), which the stopping rule compares with
 * the first iteration's. The k×n H update and the error
 * bookkeeping are tiny. Production runs the W pass in WASM (hals.wat via hals-pool.ts); wPass and
 * halsReference here are the float64 reference it is tested against.
 * Cost per iteration: one read of X and 4·k multiply-adds per element (2k for xh, 2k for WᵀX).
 *
 * Reconstruction error without touching X again: ‖X − WH‖² = ‖X‖² − 2·Σ(WᵀX ∘ H) + Σ(WᵀW ∘ HHᵀ).
 */

/** HHᵀ (k×k) of H (k×n). */
export function gram(H: Float64Array, k: number, n: number, out: Float64Array): void {
  for (let a = 0; a < k; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      const ra = a * n;
      const rb = b * n;
      for (let j = 0; j < n; j++) s += H[ra + j] * H[rb + j];
      out[a * k + b] = s;
      out[b * k + a] = s;
    }
  }
}

const EMPTY = new Float64Array(0);

/**
 * The fused W pass over rows [row0, row1): updates W in place and writes this block's WᵀX (k×n) and
 * WᵀW (k×k) into wtx / wtw (overwritten). `xh` is k scratch numbers. Components are handled four at
 * a time so each loaded X element feeds four multiply-adds.
 */
export function wPass(
  X: Float32Array,
  n: number,
  k: number,
  row0: number,
  row1: number,
  W: Float64Array,
  H: Float64Array,
  HHt: Float64Array,
  wtx: Float64Array,
  wtw: Float64Array,
  xh: Float64Array,
): number {
  let violation = 0;
  wtx.fill(0, 0, k * n);
  wtw.fill(0, 0, k * k);
  const hRows: Float64Array[] = [];
  const aRows: Float64Array[] = [];
  for (let t = 0; t < k; t++) {
    hRows.push(H.subarray(t * n, (t + 1) * n));
    aRows.push(wtx.subarray(t * n, (t + 1) * n));
  }
  for (let i = row0; i < row1; i++) {
    const x0 = i * n;
    // xh = Xᵢ Hᵀ
    for (let t0 = 0; t0 < k; t0 += 4) {
      const nt = Math.min(4, k - t0);
      const h0 = hRows[t0];
      const h1 = nt > 1 ? hRows[t0 + 1] : h0;
      const h2 = nt > 2 ? hRows[t0 + 2] : h0;
      const h3 = nt > 3 ? hRows[t0 + 3] : h0;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let j = 0; j < n; j++) {
        const x = X[x0 + j];
        s0 += x * h0[j];
        s1 += x * h1[j];
        s2 += x * h2[j];
        s3 += x * h3[j];
      }
      xh[t0] = s0;
      if (nt > 1) xh[t0 + 1] = s1;
      if (nt > 2) xh[t0 + 2] = s2;
      if (nt > 3) xh[t0 + 3] = s3;
    }
    // coordinate descent on Wᵢ (sklearn: grad = (W HHᵀ)ᵢₜ − (XHᵀ)ᵢₜ; W −= grad / HHᵀₜₜ, clipped at 0)
    const w0 = i * k;
    for (let t = 0; t < k; t++) {
      const hess = HHt[t * k + t];
      let g = -xh[t];
      for (let r = 0; r < k; r++) g += HHt[t * k + r] * W[w0 + r];
      violation += projectedGradient(g, W[w0 + t]);
      if (hess === 0) continue;
      const v = W[w0 + t] - g / hess;
      W[w0 + t] = v > 0 ? v : 0;
    }
    // WᵀX += Wᵢᵀ Xᵢ ; WᵀW += Wᵢᵀ Wᵢ
    for (let t0 = 0; t0 < k; t0 += 4) {
      const nt = Math.min(4, k - t0);
      const c0 = W[w0 + t0];
      const c1 = nt > 1 ? W[w0 + t0 + 1] : 0;
      const c2 = nt > 2 ? W[w0 + t0 + 2] : 0;
      const c3 = nt > 3 ? W[w0 + t0 + 3] : 0;
      if (c0 === 0 && c1 === 0 && c2 === 0 && c3 === 0) continue;
      const a0 = aRows[t0];
      const a1 = nt > 1 ? aRows[t0 + 1] : EMPTY;
      const a2 = nt > 2 ? aRows[t0 + 2] : EMPTY;
      const a3 = nt > 3 ? aRows[t0 + 3] : EMPTY;
      if (nt === 4) {
        for (let j = 0; j < n; j++) {
          const x = X[x0 + j];
          a0[j] += c0 * x;
          a1[j] += c1 * x;
          a2[j] += c2 * x;
          a3[j] += c3 * x;
        }
      } else {
        for (let j = 0; j < n; j++) {
          const x = X[x0 + j];
          a0[j] += c0 * x;
          if (nt > 1) a1[j] += c1 * x;
          if (nt > 2) a2[j] += c2 * x;
        }
      }
    }
    for (let a = 0; a < k; a++) {
      const wa = W[w0 + a];
      if (wa === 0) continue;
      for (let b = 0; b <= a; b++) wtw[a * k + b] += wa * W[w0 + b];
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) wtw[b * k + a] = wtw[a * k + b];
  return violation;
}

/** |projected gradient| of one coordinate (scikit-learn's _update_cdnmf_fast): at the bound only a descent direction counts. */
export function projectedGradient(grad: number, value: number): number {
  return Math.abs(value === 0 ? Math.min(0, grad) : grad);
}

/** Coordinate descent on every row of H given WᵀX (k×n) and WᵀW (k×k); returns the violation it met. */
export function hUpdate(H: Float64Array, k: number, n: number, WtX: Float64Array, WtW: Float64Array): number {
  let violation = 0;
  for (let t = 0; t < k; t++) {
    const hess = WtW[t * k + t];
    const ht = t * n;
    for (let j = 0; j < n; j++) {
      let g = -WtX[ht + j];
      for (let r = 0; r < k; r++) g += WtW[t * k + r] * H[r * n + j];
      violation += projectedGradient(g, H[ht + j]);
      if (hess === 0) continue;
      const v = H[ht + j] - g / hess;
      H[ht + j] = v > 0 ? v : 0;
    }
  }
  return violation;
}

/** ‖X − WH‖²_F from the cached products (see the module comment). */
export function squaredError(
  x2: number,
  H: Float64Array,
  k: number,
  n: number,
  WtX: Float64Array,
  WtW: Float64Array,
  HHt: Float64Array,
): number {
  let cross = 0;
  for (let i = 0; i < k * n; i++) cross += WtX[i] * H[i];
  let quad = 0;
  for (let i = 0; i < k * k; i++) quad += WtW[i] * HHt[i];
  return Math.max(0, x2 - 2 * cross + quad);
}

export function squaredNorm(X: Float32Array): number {
  let s = 0;
  for (let i = 0; i < X.length; i++) s += X[i] * X[i];
  return s;
}

/**
 * The whole HALS loop in plain float64 JS on one thread: the reference the WASM pool (hals-pool.ts)
 * is tested against. Same objective, update order and error bookkeeping.
 */
export function halsReference(
  X: Float32Array,
  m: number,
  n: number,
  W0: Float64Array,
  H0: Float64Array,
  k: number,
  maxIter: number,
): { W: Float64Array; H: Float64Array; errors: Float64Array } {
  const W = Float64Array.from(W0);
  const H = Float64Array.from(H0);
  const HHt = new Float64Array(k * k);
  const WtX = new Float64Array(k * n);
  const WtW = new Float64Array(k * k);
  const xh = new Float64Array(k);
  const x2 = squaredNorm(X);
  const errors = new Float64Array(maxIter);
  for (let iter = 0; iter < maxIter; iter++) {
    gram(H, k, n, HHt);
    wPass(X, n, k, 0, m, W, H, HHt, WtX, WtW, xh);
    hUpdate(H, k, n, WtX, WtW);
    gram(H, k, n, HHt);
    errors[iter] = Math.sqrt(squaredError(x2, H, k, n, WtX, WtW, HHt));
  }
  return { W, H, errors };
}
