/**
 * The glass as a quasi-binary Zr / X alloy. X is an *effective element mix*: the non-Zr elements in
 * their nominal proportions (Cu : Ni : Al = 17.5 : 10 : 7.5 for Zr65Cu17.5Ni10Al7.5). The mix is kept
 * fixed while the Zr fraction varies, so one number c = c_Zr describes a position's chemistry.
 * Coherent (pair) scattering of X uses the mean form factor f̄_X = Σ x_k f_k; the self term uses the
 * true mean square ⟨f²⟩_X = Σ x_k f_k², exactly as a PDF reduction with the full composition would.
 */
import { UserError } from '../engine/errors.ts';
import { formFactorCurve, knownElement } from '../nodes/pdf/formfactors.ts';

export interface Composition {
  /** Element → atomic fraction (sums to 1). */
  fractions: Record<string, number>;
}

/** Parse "Zr65Cu17.5Ni10Al7.5" (any order, amounts normalised to 1). */
export function parseComposition(text: string): Composition {
  const re = /([A-Z][a-z]?)(\d*\.?\d*)/g;
  const raw: Record<string, number> = {};
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    if (!m[0]) continue;
    if (!knownElement(m[1])) throw new UserError(`composition '${text}': unknown element '${m[1]}'`);
    raw[m[1]] = (raw[m[1]] ?? 0) + (m[2] ? Number(m[2]) : 1);
    consumed += m[0].length;
  }
  if (consumed !== text.length || Object.keys(raw).length === 0) {
    throw new UserError(
      `composition '${text}': expected element symbols with amounts, e.g. "Zr65Cu17.5Ni10Al7.5"`,
    );
  }
  const total = Object.values(raw).reduce((s, x) => s + x, 0);
  const fractions: Record<string, number> = {};
  for (const [el, x] of Object.entries(raw)) fractions[el] = x / total;
  return { fractions };
}

/** The X mix (everything but Zr), normalised to 1. */
export function xMix(comp: Composition): Record<string, number> {
  const out: Record<string, number> = {};
  let s = 0;
  for (const [el, x] of Object.entries(comp.fractions)) if (el !== 'Zr') s += x;
  if (s <= 0) throw new UserError('composition: the glass needs at least one element besides Zr');
  for (const [el, x] of Object.entries(comp.fractions)) if (el !== 'Zr') out[el] = x / s;
  return out;
}

export function zrFraction(comp: Composition): number {
  return comp.fractions.Zr ?? 0;
}

/** Composition string for a position with Zr fraction c and the nominal X mix. */
export function compositionAt(c: number, mix: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = { Zr: c };
  for (const [el, x] of Object.entries(mix)) out[el] = (1 - c) * x;
  return out;
}

export interface QuasiBinaryFormFactors {
  fZr: Float64Array;
  /** Mean form factor of the X mix. */
  fX: Float64Array;
  /** Mean square form factor of the X mix. */
  f2X: Float64Array;
}

export function quasiBinaryFormFactors(
  q: ArrayLike<number>,
  mix: Record<string, number>,
): QuasiBinaryFormFactors {
  const fZr = formFactorCurve('Zr', q);
  const fX = new Float64Array(q.length);
  const f2X = new Float64Array(q.length);
  for (const [el, x] of Object.entries(mix)) {
    const f = formFactorCurve(el, q);
    for (let i = 0; i < q.length; i++) {
      fX[i] += x * f[i];
      f2X[i] += x * f[i] * f[i];
    }
  }
  return { fZr, fX, f2X };
}

/** Atomic volumes (Å³, from the elements' metallic densities) for the number density of the glass. */
const ATOMIC_VOLUME: Record<string, number> = {
  Zr: 23.3,
  Cu: 11.8,
  Ni: 10.9,
  Al: 16.6,
  Fe: 11.8,
  Co: 11.1,
  Ti: 17.6,
  Nb: 18.0,
  Pd: 14.7,
  Si: 20.0,
  B: 7.3,
  Mg: 23.2,
};

/** Number density ρ₀ (atoms/Å³) of the glass at Zr fraction c, from a linear mix of atomic volumes. */
export function numberDensity(c: number, mix: Record<string, number>): number {
  let vx = 0;
  for (const [el, x] of Object.entries(mix)) vx += x * (ATOMIC_VOLUME[el] ?? 16);
  return 1 / (c * ATOMIC_VOLUME.Zr + (1 - c) * vx);
}
