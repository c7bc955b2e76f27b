/**
 * Deterministic NMF initialisation: NNDSVDa (Boutsidis & Gallopoulos 2008; zeros filled with the
 * mean of X), from the k leading singular triplets of X found by a seeded randomized SVD
 * (range finder with power iterations, as scikit-learn does for its NNDSVD): same data and seed,
 * same start, same result. The passes over X run on the NMF row pool (WASM, all threads).
 */
import type { RowPool } from './hals-pool.ts';

/**
 * scikit-learn's randomized_svd settings for NNDSVD (n_oversamples 10; n_iter "auto" = 7 power passes
 * when k < 0.1·min(m, n), else 4): the start then is the truncated SVD to float precision, so the
 * HALS run follows the same path as scikit-learn's (2 passes and 4 extra probes could start it in a
 * different basin: 0.1–0.2 % higher final error on a G(r)-like stack).
 */
export const SVD_OVERSAMPLE = 10;
export function svdPowerIters(k: number, m: number, n: number): number {
  return k < 0.1 * Math.min(m, n) ? 7 : 4;
}
/** Probe rows NNDSVDa needs from a pool (RowPool.open's kMax). */
export const nndsvdProbes = (k: number) => k + SVD_OVERSAMPLE;

/** Park–Miller + Box–Muller: a seeded normal stream. */
export function normalStream(seed: number): () => number {
  let s = Math.abs(Math.floor(seed)) % 2147483647 || 1;
  const u = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Orthonormalise the l rows of A (l×n, row-major) in place (modified Gram–Schmidt, twice). */
export function orthonormalizeRows(A: Float64Array, l: number, n: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < l; c++) {
      const rc = c * n;
      for (let p = 0; p < c; p++) {
        const rp = p * n;
        let d = 0;
        for (let j = 0; j < n; j++) d += A[rc + j] * A[rp + j];
        for (let j = 0; j < n; j++) A[rc + j] -= d * A[rp + j];
      }
      let nn = 0;
      for (let j = 0; j < n; j++) nn += A[rc + j] * A[rc + j];
      nn = Math.sqrt(nn);
      const inv = nn > 0 ? 1 / nn : 0;
      for (let j = 0; j < n; j++) A[rc + j] *= inv;
    }
  }
}

/** Eigen-decomposition of a symmetric l×l matrix (cyclic Jacobi): eigenvalues descending, vectors as columns. */
export function symmetricEigen(C: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(C);
  const V = new Float64Array(l * l);
  for (let i = 0; i < l; i++) V[i * l + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += A[p * l + q] ** 2;
    if (off < 1e-30 * (1 + A.reduce((s, v) => s + v * v, 0))) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = A[p * l + q];
        if (apq === 0) continue;
        const theta = (A[q * l + q] - A[p * l + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < l; r++) {
          const arp = A[r * l + p];
          const arq = A[r * l + q];
          A[r * l + p] = c * arp - s * arq;
          A[r * l + q] = s * arp + c * arq;
        }
        for (let r = 0; r < l; r++) {
          const apr = A[p * l + r];
          const aqr = A[q * l + r];
          A[p * l + r] = c * apr - s * aqr;
          A[q * l + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < l; r++) {
          const vrp = V[r * l + p];
          const vrq = V[r * l + q];
          V[r * l + p] = c * vrp - s * vrq;
          V[r * l + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => A[b * l + b] - A[a * l + a]);
  const values = new Float64Array(l);
  const vectors = new Float64Array(l * l);
  order.forEach((src, dst) => {
    values[dst] = A[src * l + src];
    for (let r = 0; r < l; r++) vectors[r * l + dst] = V[r * l + src];
  });
  return { values, vectors };
}

export interface Svd {
  /** m×k, row-major */
  U: Float64Array;
  s: Float64Array;
  /** n×k, row-major (columns are right singular vectors) */
  V: Float64Array;
}

/**
 * The k leading singular triplets of the pool's X (m×n), randomized: l = k + oversample probe rows Q,
 * `powerIters` passes Q ← orth(Q·XᵀX), then an exact small SVD in the found subspace from
 * Y = X·Qᵀ and YᵀY. Each pass reads X once (y = Xᵢ·Qᵀ, then Z += yᵀXᵢ per row).
 */
export function randomizedSvd(
  pool: RowPool,
  k: number,
  seed: number,
  oversample = SVD_OVERSAMPLE,
  powerIters = svdPowerIters(k, pool.m, pool.n),
): Svd {
  const { m, n } = pool;
  const l = Math.min(k + oversample, n, m, pool.kpMax);
  const rnd = normalStream(seed);
  let Q = new Float64Array(l * n);
  for (let j = 0; j < n; j++) for (let c = 0; c < l; c++) Q[c * n + j] = rnd();
  orthonormalizeRows(Q, l, n);
  const C = new Float64Array(l * l);
  for (let it = 0; it < powerIters; it++) {
    const Z = new Float64Array(l * n);
    pool.project(Q, l, true, Z, C);
    orthonormalizeRows(Z, l, n);
    Q = Z;
  }
  pool.project(Q, l, false, null, C);
  const Y = pool.wView(l);
  const lp = Y.length / m;
  const { values, vectors } = symmetricEigen(C, l);
  const kk = Math.min(k, l);
  const s = new Float64Array(kk);
  const U = new Float64Array(m * kk);
  const V = new Float64Array(n * kk);
  for (let c = 0; c < kk; c++) {
    s[c] = Math.sqrt(Math.max(values[c], 0));
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let r = 0; r < l; r++) v += Q[r * n + j] * vectors[r * l + c];
      V[j * kk + c] = v;
    }
    const inv = s[c] > 0 ? 1 / s[c] : 0;
    for (let i = 0; i < m; i++) {
      let u = 0;
      for (let r = 0; r < l; r++) u += Y[i * lp + r] * vectors[r * l + c];
      U[i * kk + c] = u * inv;
    }
  }
  return { U, s, V };
}

/**
 * NNDSVDa: W (m×k) and H (k×n) ≥ 0 from the SVD of the pool's X; exact zeros are replaced with
 * mean(X) so HALS can move them (the "a" variant).
 */
export function nndsvda(pool: RowPool, k: number, seed: number): { W: Float64Array; H: Float64Array } {
  const { m, n } = pool;
  const { U, s, V } = randomizedSvd(pool, k, seed);
  const kk = s.length;
  const W = new Float64Array(m * k);
  const H = new Float64Array(k * n);
  const mean = pool.sum / (m * n);
  for (let c = 0; c < kk; c++) {
    let pu = 0,
      nu = 0,
      pv = 0,
      nv = 0;
    for (let i = 0; i < m; i++) {
      const u = U[i * kk + c];
      if (u > 0) pu += u * u;
      else nu += u * u;
    }
    for (let j = 0; j < n; j++) {
      const v = V[j * kk + c];
      if (v > 0) pv += v * v;
      else nv += v * v;
    }
    pu = Math.sqrt(pu);
    nu = Math.sqrt(nu);
    pv = Math.sqrt(pv);
    nv = Math.sqrt(nv);
    const usePos = c === 0 ? pu * pv >= nu * nv : pu * pv > nu * nv;
    const sigma = c === 0 ? 1 : usePos ? pu * pv : nu * nv;
    const nU = c === 0 ? 1 : usePos ? pu : nu;
    const nV = c === 0 ? 1 : usePos ? pv : nv;
    const lam = Math.sqrt(s[c] * sigma);
    const sign = usePos ? 1 : -1;
    for (let i = 0; i < m; i++) {
      const u = sign * U[i * kk + c];
      W[i * k + c] = c === 0 ? Math.sqrt(s[0]) * Math.abs(U[i * kk]) : u > 0 ? (lam * u) / nU : 0;
    }
    for (let j = 0; j < n; j++) {
      const v = sign * V[j * kk + c];
      H[c * n + j] = c === 0 ? Math.sqrt(s[0]) * Math.abs(V[j * kk]) : v > 0 ? (lam * v) / nV : 0;
    }
  }
  // scikit-learn: entries below 1e-6 count as zero, and zeros start at mean(X)
  for (let i = 0; i < W.length; i++) if (W[i] < 1e-6) W[i] = mean;
  for (let i = 0; i < H.length; i++) if (H[i] < 1e-6) H[i] = mean;
  return { W, H };
}
