/**
 * From NMF weights to pair fractions (decompose.assign).
 *
 * An NMF weight × its component is a share of the *shifted, form-factor-weighted* G(r), in the
 * component's arbitrary scale (components are scaled to max 1) — not a pair fraction. In G(r) a pair
 * type ab with pair fraction P_ab contributes Z̄ · P_ab · w_ab · g_ab(r), with g_ab the shell curve per
 * neighbour and w_ab = f_a f_b / ⟨f⟩² (Faber–Ziman, SCIENCE.md), the same for Zr–X as for the like
 * pairs because P_ZrX already counts both orders. So, over the fit range:
 *   1. express each component as a least-squares combination of the reference curves plus a
 *      constant (the shift makes every component partly flat) and, optionally, a straight line:
 *      H_t ≈ Σ_ab M_t,ab g_ab + b_t (+ b'_t r). The line takes up what a smooth error of F(Q) leaves
 *      in G(r) over the fit window (the normalisation against ⟨f²⟩ with inelastic scattering in the
 *      data, a local composition away from the reduction's, what the pdf.reduce polynomial cannot
 *      follow: all of it sits below Q ≈ 1 Å⁻¹ or is cut at qmax, a slope across a 2 Å window)
 *      instead of letting the partials bend to it — as the two-Gaussian fit's a·r + a₀;
 *   2. the amount of partial ab at a position is A_ab = Σ_t W_t M_t,ab (mode "unmix": every
 *      component, the background one included, may carry some of every partial), or
 *      W_t(ab) M_t(ab),ab with only the component assigned to ab (mode "scale");
 *   3. P_ab ∝ A_ab / w_ab, normalised to 100 % (negative amounts, i.e. noise, count as 0).
 */
import { Matrix, solve } from 'ml-matrix';

/**
 * Least-squares coefficients of each row of `comps` ([k, n], rows over samples i0…i1) on the
 * reference curves `refs` (each sampled on the same i0…i1 window) plus a constant and the
 * `nuisance` curves (e.g. a straight line; same window): [k][m], the reference coefficients only.
 */
export function referenceCoefficients(
  comps: ArrayLike<number>,
  n: number,
  k: number,
  i0: number,
  i1: number,
  refs: ArrayLike<number>[],
  nuisance: ArrayLike<number>[] = [],
): number[][] {
  const m = refs.length;
  const len = i1 - i0;
  const A = new Matrix(len, m + 1 + nuisance.length);
  for (let i = 0; i < len; i++) {
    for (let j = 0; j < m; j++) A.set(i, j, refs[j][i]);
    A.set(i, m, 1);
    nuisance.forEach((c, u) => {
      A.set(i, m + 1 + u, c[i]);
    });
  }
  const out: number[][] = [];
  for (let t = 0; t < k; t++) {
    const b = Matrix.columnVector(Array.from({ length: len }, (_, i) => comps[t * n + i0 + i]));
    const x = solve(A, b, true);
    out.push(Array.from({ length: m }, (_, j) => x.get(j, 0)));
  }
  return out;
}

/**
 * Pair fractions (%) at one position from its NMF weights `w` (length k), the reference coefficients
 * M [k][m], the pair weights f_a f_b/⟨f⟩² per reference and, for mode "scale", the component
 * assigned to each reference (−1 = none: that fraction is NaN). Writes `out` (length m).
 */
export function pairFractionsAt(
  w: ArrayLike<number>,
  M: number[][],
  pairWeight: ArrayLike<number>,
  compOf: ArrayLike<number> | null,
  out: Float64Array,
): Float64Array {
  const m = out.length;
  let sum = 0;
  for (let j = 0; j < m; j++) {
    let a = 0;
    if (compOf) {
      const t = compOf[j];
      a = t < 0 ? NaN : w[t] * M[t][j];
    } else for (let t = 0; t < M.length; t++) a += w[t] * M[t][j];
    a = a / pairWeight[j];
    out[j] = a > 0 ? a : a === a ? 0 : NaN;
    if (out[j] === out[j]) sum += out[j];
  }
  for (let j = 0; j < m; j++) out[j] = sum > 0 ? (100 * out[j]) / sum : NaN;
  return out;
}
