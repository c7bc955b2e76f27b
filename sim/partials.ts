/**
 * Partial structure of the quasi-binary Zr / X glass: Faber–Ziman partial structure factors S_ab(Q)
 * and the pair distribution functions g_ab(r) they imply.
 *
 * Model of one partial (a, b ∈ {Zr, X}), in two parts:
 * 1. Reference: a dense hard-sphere liquid (Percus–Yevick, packing fraction η = 0.5, coordination
 *    ≈ Z̄), with its reduced PDF G(r) blurred by a Gaussian of width s_ab (static disorder; a product
 *    in Q space): S_ref,ab(Q) − 1 = (S_PY(Q d_ab) − 1) · exp(−Q² s_ab² / 2). The contact distance
 *    d_ab is chosen so that the first peak of g_ab lands at r_ab (3.18 Zr–Zr, 2.82 Zr–X, 2.52 X–X Å).
 *    PY gives a positive S(Q) with a small compressibility limit, and further shells whose
 *    oscillation decays with distance (correlation length ≈ 3–4 Å here, shortened by the blur).
 *    Simplification: the reference is taken at its own density, so inside the core the FZ partial
 *    g_ab sits at 1 − ρ_PY/ρ₀ instead of 0 (harmless above ~2 Å, where the data live).
 * 2. Chemical order: a position's first-shell coordination N_ab departs from the random-mixing value
 *    Z̄ c_b; the extra (or missing) neighbours n_ab − Z̄ (n_ab = N_ab / c_b) are moved between the
 *    first shell (a Gaussian at r_ab) and the region just beyond it (a broad Gaussian "hole" at
 *    1.5 r_ab), so the number sum rule, hence low-Q S(Q), is untouched:
 *    S_ab(Q) − 1 = S_ref,ab(Q) − 1 + (n_ab − Z̄) · Shell_ab(Q),
 *    Shell_ab(Q) = ∫ (Gauss_shell(r) − Gauss_hole(r)) sin(Qr)/(Qr) dr.
 * S_ab is linear in n_ab, so every position's I(Q) is a linear combination of fixed curves.
 *
 * Pair fractions and chemical short-range order (SCIENCE.md): with equal mean coordination Z̄ for
 * both species, 2 P_ZrZr + P_ZrX = 2c, so P_max = P_ZrX + 2 min(P_XX, P_ZrZr) = 2 min(c, 1 − c),
 * P_random = P_max / 2, and α = P_ZrX / P_random − 1 fixes P_ZrX = (1 + α) min(c, 1 − c).
 */

export type Pair = 'ZrZr' | 'ZrX' | 'XX';
export const PAIR_LIST: readonly Pair[] = ['ZrZr', 'ZrX', 'XX'];

export interface PairShape {
  /** First-shell distance: the peak of g_ab (Å). */
  r1: number;
  /** Hard-sphere contact distance of the reference (Å); the blurred PY peak then sits at r1. */
  contact: number;
  /** Gaussian blur of the reference PDF (Å): static + thermal disorder. */
  blur: number;
  /** Width of the first-shell Gaussian that carries coordination changes (Å). */
  sigma: number;
}

/** First-shell distances near 3.2 (Zr–Zr), 2.8–2.85 (Zr–X), 2.5 (X–X) Å. */
export const PAIR_SHAPES: Record<Pair, PairShape> = {
  // Zr–Zr is the broadest shell (large, soft Zr–Zr contacts), Zr–X the sharpest.
  ZrZr: { r1: 3.18, contact: 2.96, blur: 0.24, sigma: 0.24 },
  ZrX: { r1: 2.82, contact: 2.67, blur: 0.12, sigma: 0.15 },
  XX: { r1: 2.52, contact: 2.37, blur: 0.12, sigma: 0.13 },
};

/** Mean first-shell coordination number (both species; a deliberate simplification). */
export const MEAN_COORDINATION = 13;
/** Packing fraction of the hard-sphere reference (dense random packing ≈ 0.5–0.55 in glasses). */
export const PACKING_FRACTION = 0.5;

export interface PairFractions {
  ZrZr: number;
  ZrX: number;
  XX: number;
}

/** Pair (bond) fractions for Zr fraction c and short-range order α (SCIENCE.md definition). */
export function pairFractions(c: number, alpha: number): PairFractions {
  const pMax = 2 * Math.min(c, 1 - c);
  const a = Math.max(-1, Math.min(1, alpha));
  const zrx = ((1 + a) * pMax) / 2;
  return { ZrZr: Math.max(0, c - zrx / 2), ZrX: zrx, XX: Math.max(0, 1 - c - zrx / 2) };
}

/** α from pair fractions: P_max = P_ZrX + 2 min(P_XX, P_ZrZr), P_random = P_max / 2, α = P_ZrX / P_random − 1. */
export function alphaOf(p: PairFractions): number {
  const pMax = p.ZrX + 2 * Math.min(p.XX, p.ZrZr);
  return pMax > 0 ? p.ZrX / (pMax / 2) - 1 : Number.NaN;
}

/** Warren–Cowley form: c_Zr = P_ZrZr + P_ZrX / 2, α_WC = 1 − P_ZrX / (2 c (1 − c)). */
export function alphaWarrenCowley(p: PairFractions): number {
  const c = p.ZrZr + p.ZrX / 2;
  return c > 0 && c < 1 ? 1 - p.ZrX / (2 * c * (1 - c)) : Number.NaN;
}

/** First-shell coordination numbers N_ab (number of b atoms around an a atom). */
export function coordination(c: number, p: PairFractions): { ZrZr: number; ZrX: number; XZr: number; XX: number } {
  const z = MEAN_COORDINATION;
  return {
    ZrZr: c > 0 ? (z * p.ZrZr) / c : 0,
    ZrX: c > 0 ? (z * p.ZrX) / (2 * c) : 0,
    XZr: c < 1 ? (z * p.ZrX) / (2 * (1 - c)) : 0,
    XX: c < 1 ? (z * p.XX) / (1 - c) : 0,
  };
}

function sinc(x: number): number {
  return Math.abs(x) < 1e-6 ? 1 - (x * x) / 6 : Math.sin(x) / x;
}

function gauss(r: number, r0: number, s: number): number {
  const x = (r - r0) / s;
  return Math.exp(-0.5 * x * x) / (Math.sqrt(2 * Math.PI) * s);
}

/**
 * Percus–Yevick hard-sphere S(k) at reduced wave number k = Q σ (Wertheim–Thiele direct
 * correlation function c(x) = −λ₁ + 6ηλ₂ x − (η/2) λ₁ x³ inside the sphere, x = r/σ).
 */
export function percusYevick(k: number, eta = PACKING_FRACTION): number {
  const l1 = (1 + 2 * eta) ** 2 / (1 - eta) ** 4;
  const l2 = (1 + eta / 2) ** 2 / (1 - eta) ** 4;
  // ρ ĉ(k) = 24 η ∫₀¹ x² c(x) sin(kx)/(kx) dx by Simpson's rule (the integrand is smooth).
  const n = 200;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const x = i / n;
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    const c = -l1 + 6 * eta * l2 * x - 0.5 * eta * l1 * x * x * x;
    s += w * x * x * c * sinc(k * x);
  }
  const rhoC = 24 * eta * (s / (3 * n));
  return 1 / (1 - rhoC);
}

/** S_ref,ab(Q) − 1 on a Q grid. */
export function referenceTransform(pair: Pair, q: ArrayLike<number>): Float64Array {
  const { contact, blur } = PAIR_SHAPES[pair];
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = (percusYevick(q[i] * contact) - 1) * Math.exp(-0.5 * (q[i] * blur) ** 2);
  return out;
}

const HOLE_AT = 1.5;
const HOLE_WIDTH = 0.25;

/** Shell_ab(Q) = ∫ (Gauss_shell − Gauss_hole)(r) sin(Qr)/(Qr) dr (multiply by n_ab − Z̄). */
export function shellTransform(pair: Pair, q: ArrayLike<number>): Float64Array {
  const { r1, sigma } = PAIR_SHAPES[pair];
  const out = new Float64Array(q.length);
  const dr = 0.004;
  const r0 = Math.max(dr / 2, r1 - 6 * sigma);
  const rEnd = HOLE_AT * r1 + 6 * HOLE_WIDTH * r1;
  for (let i = 0; i < q.length; i++) {
    let s = 0;
    for (let r = r0; r <= rEnd; r += dr) s += (gauss(r, r1, sigma) - gauss(r, HOLE_AT * r1, HOLE_WIDTH * r1)) * sinc(q[i] * r);
    out[i] = s * dr;
  }
  return out;
}

/**
 * g_ab(r) implied by the model (numerical sine transform of S_ab − 1, for documentation, plots and
 * the truth curves): g(r) = 1 + (1 / (2π² ρ r)) ∫ Q (S(Q) − 1) sin(Qr) dQ.
 */
export function partialG(pair: Pair, r: ArrayLike<number>, nab: number, rho0: number): Float64Array {
  const dq = 0.02;
  const nq = 1500;
  const q = new Float64Array(nq);
  for (let i = 0; i < nq; i++) q[i] = (i + 0.5) * dq;
  const ref = referenceTransform(pair, q);
  const sh = shellTransform(pair, q);
  const out = new Float64Array(r.length);
  for (let j = 0; j < r.length; j++) {
    let acc = 0;
    for (let i = 0; i < nq; i++) acc += q[i] * (ref[i] + (nab - MEAN_COORDINATION) * sh[i]) * Math.sin(q[i] * r[j]);
    out[j] = r[j] > 0 ? 1 + (acc * dq) / (2 * Math.PI * Math.PI * rho0 * r[j]) : 0;
  }
  return out;
}
