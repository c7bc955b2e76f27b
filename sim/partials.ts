/**
 * Partial structure of the quasi-binary Zr / X glass: Faber–Ziman partial structure factors S_ab(Q)
 * and the pair distribution functions g_ab(r) they imply.
 *
 * Model of one partial (a, b ∈ {Zr, X}), in two parts:
 * 1. Reference: a dense hard-sphere liquid (Percus–Yevick, packing fraction η = 0.5, coordination
 *    ≈ Z̄), with its reduced PDF G(r) blurred by a Gaussian of width s_ab (static disorder; a product
 *    in Q space): S_ref,ab(Q) − 1 = (S_PY(Q d_ab) − 1) · exp(−Q² s_ab² / 2). The contact distance
 *    d_ab is solved for (shellProfile) so that the first peak of g_ab lands at r_ab (3.15 Zr–Zr,
 *    2.70 Zr–X, 2.48 X–X Å; why, at PAIR_SHAPES). The X–X reference also holds close-packed,
 *    Ni-like order (close-packed.ts).
 *    PY gives a positive S(Q) with a small compressibility limit, and further shells whose
 *    oscillation decays with distance (correlation length ≈ 3–4 Å here, shortened by the blur).
 *    Simplification: the reference is taken at its own density, so inside the core the FZ partial
 *    g_ab sits at 1 − ρ_PY/ρ₀ instead of 0 (harmless above ~2 Å, where the data live).
 * 2. Chemical order: a position's first-shell coordination N_ab departs from the random-mixing value
 *    Z̄ c_b; the extra (or missing) neighbours n_ab − Z̄ (n_ab = N_ab / c_b) are moved between the
 *    first shell — the reference's own first peak, r² g_ref(r) up to its first minimum, as a unit-area
 *    density — and the region just beyond it (a broad Gaussian "hole" at 1.5 r_ab), so the number
 *    sum rule, hence low-Q S(Q), is untouched and the first peak is scaled, not moved:
 *    S_ab(Q) − 1 = S_ref,ab(Q) − 1 + (n_ab − Z̄) · Shell_ab(Q),
 *    Shell_ab(Q) = ∫ (p_shell(r) − Gauss_hole(r)) sin(Qr)/(Qr) dr.
 * S_ab is linear in n_ab, so every position's I(Q) is a linear combination of fixed curves.
 *
 * Pair fractions and chemical short-range order (SCIENCE.md): with equal mean coordination Z̄ for
 * both species, 2 P_ZrZr + P_ZrX = 2c, so P_max = P_ZrX + 2 min(P_XX, P_ZrZr) = 2 min(c, 1 − c),
 * P_random = P_max / 2, and α = P_ZrX / P_random − 1 fixes P_ZrX = (1 + α) min(c, 1 − c).
 */

import {
  CLOSE_PACKED_RANGE,
  CLOSE_PACKED_SIGMA,
  CLOSE_PACKED_XX,
  closePackedShells,
  closePackedTransform,
} from './close-packed.ts';

export type Pair = 'ZrZr' | 'ZrX' | 'XX';
export const PAIR_LIST: readonly Pair[] = ['ZrZr', 'ZrX', 'XX'];

export interface PairShape {
  /** First-shell distance: the peak of g_ab (Å). */
  r1: number;
  /** Gaussian blur of the reference PDF (Å): static + thermal disorder. */
  blur: number;
}

/**
 * First-shell distances and widths, chosen so the glass shows what the reference study measured at
 * Qmax 8.1 Å⁻¹ (its text and SCIENCE.md "Facts to check against"): a first-shell doublet, Zr–X / X–X
 * near 2.7 Å and Zr–Zr near 3.2–3.25 Å, r₁max mostly 2.65–2.75 Å, moving down towards the X-rich
 * (Ni) side.
 * - Zr–X at 2.70 Å: the study's 2.7 Å. The metallic radii it quotes (Zr 1.60, Cu 1.28, Ni 1.24,
 *   Al 1.43 Å) add up to 2.84–3.03 Å (2.90 for the X mix); Zr–X bonds in Zr-based glasses are
 *   shorter than the radii sum (strongly negative heat of mixing; EXAFS / diffraction of Zr–Cu(–Al)
 *   glasses put Zr–Cu at ≈ 2.7–2.8 Å). The sharpest shell (blur 0.08 Å): the strong, directional
 *   Zr–X bond.
 * - X–X at 2.48 Å: Ni–Ni 2.49 Å (2 × 1.24; FCC Ni a/√2), Cu–Cu 2.56 Å; the close-packed part of the
 *   X–X pairs sits at 2.56 Å (close-packed.ts). Kept ≥ 0.2 Å below Zr–X: closer, the NMF cannot tell
 *   the two partials apart on single patterns (X–X bond map r 0.76, α sign 0.58 at 2.55 / 2.64 Å).
 * - Zr–Zr at 3.15 Å (2 × 1.60 = 3.20 Å): the broadest shell (blur 0.35 Å) — large, soft Zr atoms in
 *   many polyhedron types spread Zr–Zr distances over ≈ 3.0–3.5 Å. Its hard-sphere shell is skewed
 *   outward, so the study's second Gaussian lands beyond the peak (c₂ ≈ 3.3–3.4 Å).
 * Why the widths matter: at qmax 8.1 the termination width (FWHM ≈ 3.8/qmax ≈ 0.47 Å) is close to
 * the Zr–X / Zr–Zr split (0.45 Å). With equal widths the Zr–Zr shell, ≈ 60 % of the pair weight at
 * c = 0.65 (Z̄ P_ab f_a f_b, f_Zr/f_X ≈ 1.65 at 2.5 Å⁻¹), would pull one merged peak to ≈ 3.0 Å (the
 * former model: 3.03 Å centre, 2.88 Å X-rich, and the two-Gaussian fit hit a bound at a third of the
 * glass). A broad Zr–Zr shell has a low peak, so G(r) peaks on the Zr–X / X–X side (2.72–2.82 Å,
 * noiseless) with Zr–Zr a shoulder the study's fit resolves (test/sim/study-glass.test.ts).
 */
export const PAIR_SHAPES: Record<Pair, PairShape> = {
  // Zr–Zr is the broadest shell (large, soft Zr–Zr contacts), Zr–X the sharpest.
  ZrZr: { r1: 3.15, blur: 0.35 },
  ZrX: { r1: 2.7, blur: 0.08 },
  XX: { r1: 2.48, blur: 0.1 },
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
export function coordination(
  c: number,
  p: PairFractions,
): { ZrZr: number; ZrX: number; XZr: number; XX: number } {
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

const HOLE_AT = 1.5;
const HOLE_WIDTH = 0.25;

/** Number density of the hard-sphere reference at its own packing: ρ_PY = 6η / (π d³). */
function referenceDensity(contact: number): number {
  return (6 * PACKING_FRACTION) / (Math.PI * contact ** 3);
}

/** g_ref(r) of the blurred PY reference on r = i·dr (i < nr), by a direct sine transform out to where the blur has killed S − 1. */
function referenceG(contact: number, blur: number, dr: number, nr: number): Float64Array {
  const dq = 0.02;
  const nq = Math.ceil(6.5 / blur / dq);
  const q = Float64Array.from({ length: nq }, (_, i) => (i + 0.5) * dq);
  const w = new Float64Array(nq);
  for (let i = 0; i < nq; i++)
    w[i] = q[i] * (percusYevick(q[i] * contact) - 1) * Math.exp(-0.5 * (q[i] * blur) ** 2);
  const rho = referenceDensity(contact);
  const g = new Float64Array(nr);
  for (let j = 1; j < nr; j++) {
    const r = j * dr;
    let acc = 0;
    for (let i = 0; i < nq; i++) acc += w[i] * Math.sin(q[i] * r);
    g[j] = 1 + (acc * dq) / (2 * Math.PI * Math.PI * rho * r);
  }
  return g;
}

interface ShellProfile {
  /** Contact distance that puts the blurred reference's first peak at r1 (Å). */
  contact: number;
  dr: number;
  /** First-shell radial density r² g_ref(r), tapered to 0 across the first minimum, ∫ p dr = 1. */
  p: Float64Array;
}

const SHELL_DR = 0.005;
const shellCache = new Map<string, ShellProfile>();

/**
 * The reference's own first shell, as a unit-area radial density. A coordination change scales this
 * shell (rather than adding a Gaussian of another shape), so the partial's first peak stays at r1
 * whatever n_ab: a Gaussian narrower or wider than the PY peak, added or removed, would move it
 * (by 0.2 Å at n_ab = 0.75 Z̄ with the former Gaussian shell).
 */
export function shellProfile(pair: Pair): ShellProfile {
  const { r1, blur } = PAIR_SHAPES[pair];
  const key = `${pair}:${r1}:${blur}`;
  const hit = shellCache.get(key);
  if (hit) return hit;
  const nr = Math.ceil((2 * r1) / SHELL_DR);
  const peakOf = (g: Float64Array) => {
    let b = 1;
    for (let j = 1; j < nr; j++) if (g[j] > g[b]) b = j;
    return b;
  };
  // The blurred PY peak sits a fixed distance beyond contact: a few fixed-point steps find the contact.
  let contact = r1 - 0.1;
  let g = referenceG(contact, blur, SHELL_DR, nr);
  for (let it = 0; it < 3; it++) {
    contact += r1 - peakOf(g) * SHELL_DR;
    g = referenceG(contact, blur, SHELL_DR, nr);
  }
  const k = peakOf(g);
  let kmin = k;
  while (kmin + 1 < nr && g[kmin + 1] <= g[kmin]) kmin++;
  // The shell is the conventional first coordination shell (out to the first minimum of g), so
  // N_ab changes exactly as coordination numbers are counted; cos² taper ±0.1 Å about that minimum
  // (g there is ≈ 0.5, so the cut is gentle). Tapering right after the peak instead would give the
  // coordination change an arbitrary narrower shape (and a ≈ 1.8× stronger α signal in G(r)).
  // Like the PY first shell itself, it is skewed outward: mean 3.09 Å for Zr–X (peak 2.82 Å).
  const half = Math.round(0.1 / SHELL_DR);
  const p = new Float64Array(nr);
  let area = 0;
  for (let j = 0; j < nr; j++) {
    const t = (j - (kmin - half)) / (2 * half);
    const taper = t <= 0 ? 1 : t >= 1 ? 0 : Math.cos((Math.PI / 2) * t) ** 2;
    const r = j * SHELL_DR;
    p[j] = r * r * Math.max(0, g[j]) * taper;
    area += p[j] * SHELL_DR;
  }
  for (let j = 0; j < nr; j++) p[j] /= area;
  if (pair === 'XX') {
    // X–X neighbours gained or lost sit, in the close-packed share, on the close-packed first shell,
    // as the reference's own X–X pairs do (close-packed.ts)
    const [first] = closePackedShells();
    for (let j = 0; j < nr; j++)
      p[j] =
        (1 - CLOSE_PACKED_XX) * p[j] + CLOSE_PACKED_XX * gauss(j * SHELL_DR, first.r, CLOSE_PACKED_SIGMA);
  }
  const out = { contact, dr: SHELL_DR, p };
  shellCache.set(key, out);
  return out;
}

/**
 * The reference's radial pair density r² g_ref,ab(r) over [r0, r1] as a unit-area density on a
 * SHELL_DR grid, and the neighbours it holds there, 4πρ_PY ∫ r² g_ref dr (what close-packed order
 * rearranges, close-packed.ts).
 */
export function referencePairDensity(
  pair: Pair,
  range: [number, number],
): { r: Float64Array; p: Float64Array; count: number } {
  const { blur } = PAIR_SHAPES[pair];
  const { contact } = shellProfile(pair);
  const j0 = Math.ceil(range[0] / SHELL_DR);
  const j1 = Math.floor(range[1] / SHELL_DR);
  const g = referenceG(contact, blur, SHELL_DR, j1 + 1);
  const r = new Float64Array(j1 - j0 + 1);
  const p = new Float64Array(r.length);
  let area = 0;
  for (let j = j0; j <= j1; j++) {
    r[j - j0] = j * SHELL_DR;
    p[j - j0] = (j * SHELL_DR) ** 2 * Math.max(0, g[j]);
    area += p[j - j0] * SHELL_DR;
  }
  for (let j = 0; j < p.length; j++) p[j] /= area;
  return { r, p, count: 4 * Math.PI * referenceDensity(contact) * area };
}

/** The X–X close-packed term added to S_ref,XX − 1: CLOSE_PACKED_XX of the reference's pairs in range, per shell neighbour. */
function closePackedXX(q: ArrayLike<number>): Float64Array {
  const removed = referencePairDensity('XX', CLOSE_PACKED_RANGE);
  const perPair = closePackedShells().reduce((s, x) => s + x.n, 0);
  const cp = closePackedTransform(q, removed);
  const k = (CLOSE_PACKED_XX * removed.count) / perPair;
  for (let i = 0; i < cp.length; i++) cp[i] *= k;
  return cp;
}

/** S_ref,ab(Q) − 1 on a Q grid (X–X: with its close-packed order, close-packed.ts). */
export function referenceTransform(pair: Pair, q: ArrayLike<number>): Float64Array {
  const { blur } = PAIR_SHAPES[pair];
  const { contact } = shellProfile(pair);
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++)
    out[i] = (percusYevick(q[i] * contact) - 1) * Math.exp(-0.5 * (q[i] * blur) ** 2);
  if (pair === 'XX') {
    const cp = closePackedXX(q);
    for (let i = 0; i < q.length; i++) out[i] += cp[i];
  }
  return out;
}

/** Shell_ab(Q) = ∫ (p_shell − Gauss_hole)(r) sin(Qr)/(Qr) dr (multiply by n_ab − Z̄). */
export function shellTransform(pair: Pair, q: ArrayLike<number>): Float64Array {
  const { r1 } = PAIR_SHAPES[pair];
  const { p, dr } = shellProfile(pair);
  const hr = HOLE_AT * r1;
  const hw = HOLE_WIDTH * r1;
  const nHole = Math.ceil((hr + 6 * hw) / dr);
  const diff = new Float64Array(Math.max(p.length, nHole));
  for (let j = 0; j < diff.length; j++) diff[j] = (j < p.length ? p[j] : 0) - gauss(j * dr, hr, hw);
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) {
    let s = 0;
    for (let j = 1; j < diff.length; j++) if (diff[j] !== 0) s += diff[j] * sinc(q[i] * j * dr);
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
    for (let i = 0; i < nq; i++)
      acc += q[i] * (ref[i] + (nab - MEAN_COORDINATION) * sh[i]) * Math.sin(q[i] * r[j]);
    out[j] = r[j] > 0 ? 1 + (acc * dq) / (2 * Math.PI * Math.PI * rho0 * r[j]) : 0;
  }
  return out;
}
