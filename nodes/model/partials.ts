/**
 * Reference partial PDFs of an atomic model, in the form decompose.assign takes with
 * referencesWeighted: true (and the form sim/references.ts gives the simulator's partials).
 *
 * From the pair histogram (pair-histogram.ts), per ordered element pair a, b with concentrations
 * c_a, c_b and number density ρ₀ = N/V, the Faber–Ziman partial reduced PDF times c_a c_b is
 *   c_a c_b G_ab(r) = c_a c_b 4πrρ₀ (g_ab(r) − 1) = n_ab(r) / (N r Δr) − 4πrρ₀ c_a c_b,
 * n_ab(r) = ordered a–b pairs in the bin at r. It is tapered to 0 over the last quarter of rcut
 * (cos²: the model says nothing beyond, g = 1 there) and sine-transformed to the partial
 *   c_a c_b F_ab(Q) = ∫ c_a c_b G_ab(r) W(r) sin(Qr) dr = c_a c_b Q (S_ab(Q) − 1).
 * A pair type t of the quasi-binary names (ZrZr, ZrX, XX; X = every element no name names) sums its
 * element pairs with their own electron form factors, exactly as they enter the data's F(Q)
 * (pdf.reduce: F = Q(I/N − ⟨f²⟩)/⟨f⟩² = Σ_ab c_a c_b f_a f_b/⟨f⟩² · Q(S_ab − 1)):
 *   F_t(Q) = Σ_{ab ∈ t} c_a c_b f_a(Q) f_b(Q)/⟨f(Q)⟩² · F_ab(Q),
 * optionally blurred by the Gaussian Q resolution σ (the B[F] pdf.reduce leaves in the data; F is
 * odd in Q, the blur reaches below Q = 0 as −F(|Q|)), Lorch-windowed if the data were, and
 * transformed back over the data's band as pdf.reduce does:
 *   G_t(r) = (1/D_t) (2/π) ∫_{qmin}^{qmax} F_t(Q) sin(Qr) dQ   (trapezoid, ΔQ ≈ 0.005 Å⁻¹).
 * D_t makes it a curve per unit pair fraction: normalize "pairFraction" (default) divides by the
 * model's first-shell pair fraction P_t (pairs of type t within shellCut / all pairs within it), so
 * Σ_t P_t G_t is the model's whole electron G(r) and each G_t has the model's mean coordination Z̄
 * in its first shell — the simulator's convention (its partials sit at Z̄ = 13, "per unit pair
 * fraction and per Z̄ neighbours"): decompose.assign then returns P_t, and α, for the model itself.
 * Normalize "composition" divides by C_t = Σ_{ab ∈ t} c_a c_b (the plain Faber–Ziman partial,
 * f_a f_b/⟨f⟩²-weighted; the same curve for a randomly mixed model).
 */
import type { Composition } from '../pdf/composition.ts';
import { formFactorCurve, type FormFactorTable } from '../pdf/formfactors.ts';
import { averageFormFactors } from '../pdf/scattering.ts';
import { SineTransform } from '../pdf/sine-transform.ts';
import { pairSpecies } from '../decompose/pair-weights.ts';
import type { PairHistogram } from './pair-histogram.ts';

export class PartialsError extends Error {
  constructor(
    readonly param: string,
    detail: string,
  ) {
    super(detail);
  }
}

export type Normalize = 'pairFraction' | 'composition';

export interface PartialsOptions {
  names: string[];
  normalize: Normalize;
  /** First-shell cut (Å) for pair fractions and coordination numbers; null = first minimum of g(r). */
  shellCut: number | null;
  qmin: number;
  qmax: number;
  window: 'none' | 'lorch';
  qResolution: number;
  formFactors: FormFactorTable;
  rmin: number;
  rstep: number;
  n: number;
}

export interface ModelPartials {
  r: Float64Array;
  curves: Record<string, Float64Array>;
  composition: Record<string, number>;
  numberDensity: number;
  shellCut: number;
  /** First-shell pair fractions per name (sum 1). */
  pairFractions: Record<string, number>;
  /** Mean first-shell coordination numbers: "AB" = B neighbours around an A atom (A, B as the names use them). */
  coordination: Record<string, number>;
  meanCoordination: number;
  /** The element pairs each name gathers. */
  members: Record<string, string[]>;
}

/** Q step of the band transform (Å⁻¹), as sim/references.ts. */
const DQ = 0.005;
/** Fraction of rcut over which the model's G(r) is tapered to 0. */
export const TAPER_FRACTION = 0.25;

/** The model's composition in pdf/composition's form. */
export function modelComposition(h: PairHistogram, elements: string[]): Composition {
  return { symbols: [...elements], fractions: Float64Array.from(h.atoms, (a) => a / h.n) };
}

/** Total (number-weighted) g(r) at the bin centres: Σ_ab n_ab / (N ρ₀ 4πr² Δr). */
export function radialDistribution(h: PairHistogram): { r: Float64Array; g: Float64Array } {
  const rho = h.n / h.volume;
  const r = Float64Array.from({ length: h.nbins }, (_, j) => (j + 0.5) * h.dr);
  const g = new Float64Array(h.nbins);
  for (let p = 0; p < h.k * h.k; p++) for (let j = 0; j < h.nbins; j++) g[j] += h.counts[p * h.nbins + j];
  for (let j = 0; j < h.nbins; j++) {
    const shell = (4 / 3) * Math.PI * ((j + 1) ** 3 - j ** 3) * h.dr ** 3;
    g[j] /= h.n * rho * shell;
  }
  return { r, g };
}

/**
 * The first minimum of the total g(r) below 1 after its first peak (Å), on 0.02 Å bins smoothed by
 * a Gaussian of 0.04 Å: the conventional first coordination shell (minima above 1 split a first
 * peak, e.g. Zr–Zr beyond Cu–Cu). Where g stays at its minimum over a stretch (a crystal's gap
 * between shells), the middle of that stretch.
 */
export function firstShellCut(h: PairHistogram): number {
  const step = Math.max(1, Math.round(0.02 / h.dr));
  const { g: fine } = radialDistribution(h);
  const nb = Math.floor(h.nbins / step);
  const coarse = Float64Array.from({ length: nb }, (_, j) => {
    let s = 0;
    for (let t = 0; t < step; t++) s += fine[j * step + t];
    return s / step;
  });
  const d = step * h.dr;
  const sig = 0.04 / d;
  const half = Math.ceil(3 * sig);
  const g = Float64Array.from(coarse, (_, j) => {
    let s = 0;
    let w = 0;
    for (let t = -half; t <= half; t++) {
      if (j + t < 0 || j + t >= nb) continue;
      const e = Math.exp(-0.5 * (t / sig) ** 2);
      s += e * coarse[j + t];
      w += e;
    }
    return s / w;
  });
  const rise = g.findIndex((v) => v > 1);
  if (rise < 0)
    throw new PartialsError(
      'shellCut',
      'g(r) never exceeds 1 within rcut, so the model has no first coordination shell to find; give shellCut',
    );
  let peak = rise;
  const end = Math.min(nb, rise + Math.round(1.2 / d));
  for (let j = rise; j < end; j++) if (g[j] > g[peak]) peak = j;
  // the first local minimum below 1 (a split first peak — Zr–Zr beyond Cu–Cu — has minima above 1)
  for (let j = peak; j + 1 < nb; ) {
    while (j + 1 < nb && g[j + 1] <= g[j]) j++;
    let k = j;
    while (k + 1 < nb && g[k + 1] <= g[j] + 1e-9) k++;
    if (k + 1 >= nb) break;
    if (g[j] < 1) return ((j + k) / 2 + 0.5) * d;
    j = k + 1;
    while (j + 1 < nb && g[j + 1] >= g[j]) j++;
  }
  throw new PartialsError(
    'shellCut',
    `g(r) has no minimum below 1 after its first peak (${((peak + 0.5) * d).toFixed(2)} Å) within rcut ${h.rcut} Å; give shellCut`,
  );
}

/** Which name each unordered element pair belongs to (X = every element the names do not name). */
function pairMembers(
  names: string[],
  elements: string[],
): { of: Int32Array; members: Record<string, string[]> } {
  const species = names.map((nm) => {
    try {
      return pairSpecies(nm);
    } catch (e) {
      throw new PartialsError('pairs', (e as Error).message);
    }
  });
  const named = new Set(species.flat().filter((s) => s !== 'X'));
  for (const s of named)
    if (!elements.includes(s))
      throw new PartialsError('pairs', `the model holds no ${s} (its elements: ${elements.join(', ')})`);
  const label = (el: string) => (named.has(el) ? el : 'X');
  const k = elements.length;
  const of = new Int32Array(k * k).fill(-1);
  const members: Record<string, string[]> = Object.fromEntries(names.map((nm) => [nm, [] as string[]]));
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      const [la, lb] = [label(elements[a]), label(elements[b])];
      const t = species.findIndex(([x, y]) => (x === la && y === lb) || (x === lb && y === la));
      if (t < 0)
        throw new PartialsError(
          'pairs',
          `no pair name covers ${elements[a]}–${elements[b]} pairs (${la}${lb}); names given: ${names.join(', ')}`,
        );
      of[a * k + b] = of[b * k + a] = t;
      members[names[t]].push(`${elements[a]}${elements[b]}`);
    }
  for (const nm of names)
    if (members[nm].length === 0)
      throw new PartialsError(
        'pairs',
        `'${nm}' matches no pair of the model's elements (${elements.join(', ')}${named.size === elements.length ? '; every element is named, so there is no X' : ''})`,
      );
  return { of, members };
}

/** Discrete normalised Gaussian of σ on a grid of step dq, ±7σ (σ = 0: the identity). */
function blurKernel(sigma: number, dq: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  const half = Math.ceil((7 * sigma) / dq);
  const w = Float64Array.from({ length: 2 * half + 1 }, (_, t) =>
    Math.exp(-0.5 * (((t - half) * dq) / sigma) ** 2),
  );
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

export function modelPartials(h: PairHistogram, elements: string[], o: PartialsOptions): ModelPartials {
  const { k, nbins, dr, n } = h;
  const comp = modelComposition(h, elements);
  const c = comp.fractions;
  const rho = n / h.volume;
  const { of, members } = pairMembers(o.names, elements);
  const nt = o.names.length;

  // first shell: pair fractions and coordination numbers
  const shellCut = o.shellCut ?? firstShellCut(h);
  const jCut = Math.min(nbins, Math.round(shellCut / dr));
  const shellPairs = new Float64Array(k * k);
  for (let p = 0; p < k * k; p++) for (let j = 0; j < jCut; j++) shellPairs[p] += h.counts[p * nbins + j];
  const totalShell = shellPairs.reduce((a, b) => a + b, 0);
  const P = new Float64Array(nt);
  const C = new Float64Array(nt);
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      P[of[a * k + b]] += shellPairs[a * k + b] / totalShell;
      C[of[a * k + b]] += c[a] * c[b];
    }
  const coordination: Record<string, number> = {};
  const speciesOf = (el: string) => (o.names.some((nm) => pairSpecies(nm).includes(el)) ? el : 'X');
  const labels = [...new Set(elements.map(speciesOf))];
  for (const A of labels)
    for (const B of labels) {
      let pairs = 0;
      let atoms = 0;
      elements.forEach((ea, a) => {
        if (speciesOf(ea) !== A) return;
        atoms += h.atoms[a];
        elements.forEach((eb, b) => {
          if (speciesOf(eb) === B) pairs += shellPairs[a * k + b];
        });
      });
      coordination[`${A}${B}`] = pairs / atoms;
    }
  const D = o.normalize === 'pairFraction' ? P : C;
  o.names.forEach((nm, t) => {
    if (!(D[t] > 0)) {
      throw new PartialsError(
        'normalize',
        `the model has no ${nm} pairs within its first shell (r < ${shellCut.toFixed(2)} Å), so a ${nm} curve per unit pair fraction does not exist; use normalize "composition" (the Faber–Ziman partial per unit c_a c_b) or other pair names`,
      );
    }
  });

  // Q grid of the band, extended by the blur's reach on both sides (F is odd: negative Q are fine)
  const nq = Math.max(2, Math.round((o.qmax - o.qmin) / DQ) + 1);
  const dq = (o.qmax - o.qmin) / (nq - 1);
  const kern = blurKernel(o.qResolution, dq);
  const ext = (kern.length - 1) / 2;
  const nx = nq + 2 * ext;
  const qx = Float64Array.from({ length: nx }, (_, i) => o.qmin + (i - ext) * dq);
  const aq = qx.map(Math.abs);
  const f = elements.map((el) => formFactorCurve(el, aq, o.formFactors));
  const { meanSq } = averageFormFactors(comp, aq, o.formFactors);

  // r → Q: one transform per unordered element pair, of c_a c_b G_ab (both orders) times the taper
  const taperFrom = h.rcut * (1 - TAPER_FRACTION);
  const taper = Float64Array.from({ length: nbins }, (_, j) => {
    const r = (j + 0.5) * dr;
    if (r <= taperFrom) return 1;
    const t = (r - taperFrom) / (h.rcut - taperFrom);
    return t >= 1 ? 0 : Math.cos((Math.PI / 2) * t) ** 2;
  });
  const forward = new SineTransform(0.5 * dr, dr, nbins, qx[0], dq, nx);
  const Ft = Array.from({ length: nt }, () => new Float64Array(nx));
  const y = new Float64Array(nbins);
  const Fab = new Float64Array(nx);
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      const mult = a === b ? 1 : 2;
      for (let j = 0; j < nbins; j++) {
        const r = (j + 0.5) * dr;
        y[j] =
          ((mult * h.counts[(a * k + b) * nbins + j]) / (n * r * dr) -
            mult * 4 * Math.PI * r * rho * c[a] * c[b]) *
          taper[j];
      }
      forward.transform(y, 0, Fab, 0);
      const dst = Ft[of[a * k + b]];
      // SineTransform gives (2/π)∫…; the forward transform is ∫ G sin(Qr) dr
      for (let i = 0; i < nx; i++) dst[i] += ((Math.PI / 2) * Fab[i] * (f[a][i] * f[b][i])) / meanSq[i];
    }

  // blur, window, trapezoid weights; Q → r over the band
  const r = Float64Array.from({ length: o.n }, (_, j) => o.rmin + j * o.rstep);
  const back = new SineTransform(o.qmin, dq, nq, o.rmin, o.rstep, o.n);
  const Fq = new Float64Array(nq);
  const curves: Record<string, Float64Array> = {};
  o.names.forEach((nm, t) => {
    for (let i = 0; i < nq; i++) {
      let acc = 0;
      for (let u = 0; u < kern.length; u++) acc += kern[u] * Ft[t][i + u];
      const q = o.qmin + i * dq;
      const x = (Math.PI * q) / o.qmax;
      const lorch = o.window === 'lorch' && x !== 0 ? Math.sin(x) / x : 1;
      Fq[i] = (i === 0 || i === nq - 1 ? 0.5 : 1) * acc * lorch;
    }
    const out = new Float64Array(o.n);
    back.transform(Fq, 0, out, 0);
    for (let j = 0; j < o.n; j++) out[j] /= D[t];
    curves[nm] = out;
  });

  return {
    r,
    curves,
    composition: Object.fromEntries(elements.map((el, a) => [el, c[a]])),
    numberDensity: rho,
    shellCut,
    pairFractions: Object.fromEntries(o.names.map((nm, t) => [nm, P[t]])),
    coordination,
    meanCoordination: totalShell / n,
    members,
  };
}
