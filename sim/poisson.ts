/**
 * Fast Poisson sampling for the per-pixel counting noise.
 *
 * Below λ = 30: inversion of the exact Poisson CDF, tabulated for λ on a 1/64 grid (λ is rounded to
 * the nearest grid value: a shift of at most 1/128 count, far below the noise) with a guide table
 * of 256 starting points per λ (the answer never depends on it), so a draw costs one uniform and
 * almost always a single, well-predicted comparison.
 * Above: the normal approximation k = round(λ + √λ z), z from a 2^16-cell inverse-CDF table.
 * Above 400 the 8-bit detector saturates with certainty.
 */
import { NORMAL_TABLE, type Rng } from './rng.ts';

export const POISSON_NORMAL_ABOVE = 30;
const LAMBDA_STEPS = 64;
const N_LAMBDA = POISSON_NORMAL_ABOVE * LAMBDA_STEPS + 1;
/** Largest k tabulated: P(k > 75 | λ ≤ 30) < 1e-11; the CDF's last entry is forced to 1. */
const K_MAX = 75;
const STRIDE = K_MAX + 1;
const GUIDE = 256;

// float32: half the cache footprint; 1e-7 resolution is far below any effect on counts.
const CDF = new Float32Array(N_LAMBDA * STRIDE);
const GUIDE_START = new Uint8Array(N_LAMBDA * GUIDE);
for (let b = 0; b < N_LAMBDA; b++) {
  const l = b / LAMBDA_STEPS;
  let p = Math.exp(-l);
  let f = p;
  for (let k = 0; k <= K_MAX; k++) {
    if (k > 0) {
      p *= l / k;
      f += p;
    }
    CDF[b * STRIDE + k] = k === K_MAX ? 1 : Math.min(1, f);
  }
  let k = 0;
  for (let j = 0; j < GUIDE; j++) {
    const u = j / GUIDE;
    while (CDF[b * STRIDE + k] < u) k++;
    GUIDE_START[b * GUIDE + j] = k;
  }
}

/** One Poisson draw, saturated at 255 (the 8-bit range). */
export function poisson255(lambda: number, rng: Rng): number {
  if (lambda <= 0) return 0;
  if (lambda < POISSON_NORMAL_ABOVE) {
    const u = rng.u32() * 2.3283064365386963e-10;
    const b = (lambda * LAMBDA_STEPS + 0.5) | 0;
    const base = b * STRIDE;
    let k = GUIDE_START[b * GUIDE + ((u * GUIDE) | 0)];
    while (u > CDF[base + k]) k++;
    return k;
  }
  if (lambda > 400) return 255;
  const k = Math.floor(lambda + Math.sqrt(lambda) * NORMAL_TABLE[rng.u32() >>> 16] + 0.5);
  return k < 0 ? 0 : k > 255 ? 255 : k;
}

/**
 * Poisson counts for a whole image: out[offset + i] = Poisson(lam[i]) saturated at 255. Same
 * sampler as poisson255, with the generator's state held in locals for the hot loop; `rng` is
 * advanced exactly as n calls of poisson255 would.
 */
export function poissonFill(lam: Float32Array, out: Uint8Array, offset: number, rng: Rng): void {
  const st = rng.state();
  let a = st[0];
  let b = st[1];
  let c = st[2];
  let d = st[3];
  const cdf = CDF;
  const guide = GUIDE_START;
  const normal = NORMAL_TABLE;
  for (let i = 0; i < lam.length; i++) {
    const l = lam[i];
    if (l <= 0) {
      out[offset + i] = 0;
      continue;
    }
    if (l > 400) {
      out[offset + i] = 255;
      continue;
    }
    // sfc32 step (identical to Rng.u32)
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    const r32 = t >>> 0;
    if (l < POISSON_NORMAL_ABOVE) {
      const u = r32 * 2.3283064365386963e-10;
      const bin = (l * LAMBDA_STEPS + 0.5) | 0;
      const base = bin * STRIDE;
      let k = guide[bin * GUIDE + ((u * GUIDE) | 0)];
      while (u > cdf[base + k]) k++;
      out[offset + i] = k;
    } else {
      const k = Math.floor(l + Math.sqrt(l) * normal[r32 >>> 16] + 0.5);
      out[offset + i] = k < 0 ? 0 : k > 255 ? 255 : k;
    }
  }
  rng.setState(a, b, c, d);
}
