/**
 * Robust losses ρ(z) of z = (r / fScale)², as in scipy.optimize.least_squares: the fit minimises
 * ½ Σ fScale² ρ(zᵢ). Besides ρ we need ρ′ (the weight of the residual in the gradient) and a
 * curvature weight for the Gauss–Newton model: either scipy's w = ρ′ + 2ρ″z (the exact second
 * derivative along each residual, floored at a tiny positive number as scipy does), or the
 * majorising IRLS weight w = ρ′ (see trust-region.ts for when each is used).
 */
export type LossName = 'linear' | 'soft_l1' | 'huber' | 'cauchy';
export const LOSSES: readonly LossName[] = ['linear', 'soft_l1', 'huber', 'cauchy'];

const EPS = 2.220446049250313e-16;

/**
 * Fill d1 (ρ′) and w (curvature weight; ρ′ itself when `irls`) for residuals r.
 * Returns the cost ½ Σ fScale² ρ(zᵢ). One loop per loss keeps the hot loop branch-free.
 */
export function applyLoss(
  loss: LossName,
  fScale: number,
  r: Float64Array,
  m: number,
  d1: Float64Array | null,
  w: Float64Array | null,
  irls = false,
): number {
  const f2 = fScale * fScale;
  const inv = 1 / f2;
  let cost = 0;
  if (loss === 'linear') {
    for (let i = 0; i < m; i++) cost += r[i] * r[i];
    if (d1 && w) for (let i = 0; i < m; i++) d1[i] = w[i] = 1;
    return 0.5 * cost;
  }
  if (loss === 'soft_l1') {
    // ½ f² Σ 2(√(1+z) − 1), summed as z/(1+√(1+z)) (no cancellation for z ≪ 1);
    // ρ′ = (1+z)^(-1/2) and ρ′ + 2ρ″z = (1+z)^(-3/2) = ρ′³: one sqrt and one division per point
    if (!d1 || !w) {
      for (let i = 0; i < m; i++) {
        const z = r[i] * r[i] * inv;
        cost += z / (1 + Math.sqrt(1 + z));
      }
      return f2 * cost;
    }
    for (let i = 0; i < m; i++) {
      const z = r[i] * r[i] * inv;
      const s = Math.sqrt(1 + z);
      const q = 1 / (s * (s + 1));
      const p1 = q * (s + 1);
      cost += z * q * s; // z/(s+1)
      d1[i] = p1;
      const ww = irls ? p1 : p1 * p1 * p1;
      w[i] = ww < EPS ? EPS : ww;
    }
    return f2 * cost;
  }
  if (loss === 'huber') {
    for (let i = 0; i < m; i++) {
      const z = r[i] * r[i] * inv;
      let p1 = 1;
      let ww = 1;
      if (z <= 1) cost += z;
      else {
        const s = Math.sqrt(z);
        cost += 2 * s - 1;
        p1 = 1 / s;
        ww = irls ? p1 : 0; // ρ′ + 2ρ″z = 0 in the linear branch
      }
      if (d1 && w) {
        d1[i] = p1;
        w[i] = ww < EPS ? EPS : ww;
      }
    }
    return 0.5 * f2 * cost;
  }
  // cauchy
  for (let i = 0; i < m; i++) {
    const z = r[i] * r[i] * inv;
    const t = 1 + z;
    cost += Math.log(t);
    if (d1 && w) {
      const p1 = 1 / t;
      d1[i] = p1;
      const ww = irls ? p1 : (1 - z) / (t * t);
      w[i] = ww < EPS ? EPS : ww;
    }
  }
  return 0.5 * f2 * cost;
}
