/**
 * Robust losses ρ(z) of z = (r / fScale)², as in scipy.optimize.least_squares: the fit minimises
 * ½ Σ fScale² ρ(zᵢ). Besides ρ we need ρ′ (the weight of the residual in the gradient) and the
 * Gauss–Newton curvature weight w = ρ′ + 2ρ″z, floored at a tiny positive number the same way
 * scipy does, so the linearised step is the one scipy's TRF takes.
 */
export type LossName = 'linear' | 'soft_l1' | 'huber' | 'cauchy';
export const LOSSES: readonly LossName[] = ['linear', 'soft_l1', 'huber', 'cauchy'];

const EPS = 2.220446049250313e-16;

/**
 * Fill rho (ρ·fScale², i.e. the per-point cost ×2), d1 (ρ′) and w (curvature weight) for residuals r.
 * Returns the cost ½ Σ fScale² ρ(zᵢ).
 */
export function applyLoss(
  loss: LossName,
  fScale: number,
  r: Float64Array,
  m: number,
  d1: Float64Array | null,
  w: Float64Array | null,
): number {
  const f2 = fScale * fScale;
  let cost = 0;
  for (let i = 0; i < m; i++) {
    const ri = r[i];
    const z = (ri * ri) / f2;
    let rho: number, p1: number, ww: number;
    switch (loss) {
      case 'linear':
        rho = z;
        p1 = 1;
        ww = 1;
        break;
      case 'soft_l1': {
        const t = 1 + z;
        const s = Math.sqrt(t);
        rho = 2 * (s - 1);
        p1 = 1 / s;
        ww = p1 / t; // ρ′ + 2ρ″z = (1+z)^(-3/2)
        break;
      }
      case 'huber':
        if (z <= 1) {
          rho = z;
          p1 = 1;
          ww = 1;
        } else {
          const s = Math.sqrt(z);
          rho = 2 * s - 1;
          p1 = 1 / s;
          ww = 0; // ρ′ + 2ρ″z = 0 in the linear branch
        }
        break;
      case 'cauchy': {
        const t = 1 + z;
        rho = Math.log(t);
        p1 = 1 / t;
        ww = (1 - z) / (t * t);
        break;
      }
    }
    if (ww < EPS) ww = EPS;
    cost += rho;
    if (d1) d1[i] = p1;
    if (w) w[i] = ww;
  }
  return 0.5 * f2 * cost;
}
