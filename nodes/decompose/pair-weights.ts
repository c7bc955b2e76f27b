/**
 * Form-factor weight of a pair type in G(r): f_a f_b / ⟨f⟩² (Faber–Ziman, SCIENCE.md), for pair names
 * made of two species, each an element of the composition or "X" — the elements no pair name names,
 * with their form factor averaged by composition (the quasi-binary description of Zr–X glasses):
 * "ZrZr", "ZrX", "XX"; also e.g. "SiO", "OO". Electron form factors fall with Q at different rates,
 * so the ratio depends on Q: it is taken at one Q, or averaged uniformly over the transform band
 * [qmin, qmax] — the peak of a sharp shell in G(r) = (2/π)∫ F(Q) sin(Qr) dQ gets the same share from
 * every Q of the band (sin² averages to ½), so the band mean is the weight its height carries.
 */
import type { Composition } from '../pdf/composition.ts';
import { formFactorCurve, type FormFactorTable } from '../pdf/formfactors.ts';

export class PairNameError extends Error {}

/** Split "ZrX" into ["Zr", "X"]; species are element symbols or X. */
export function pairSpecies(name: string): [string, string] {
  const m = /^([A-Z][a-z]?)([A-Z][a-z]?)$/.exec(name);
  if (!m) throw new PairNameError(`'${name}' is not a pair of two species (e.g. ZrZr, ZrX, XX)`);
  return [m[1], m[2]];
}

/** f_a f_b/⟨f⟩² per pair name, at Q = `at` or averaged over [qmin, qmax] (201 trapezoid points). */
export function formFactorWeights(
  names: string[],
  comp: Composition,
  table: FormFactorTable,
  at: number | null,
  qmin: number,
  qmax: number,
): number[] {
  const pairs = names.map(pairSpecies);
  const named = new Set(pairs.flat().filter((s) => s !== 'X'));
  for (const s of named)
    if (!comp.symbols.includes(s))
      throw new PairNameError(`the composition (${comp.symbols.join(', ')}) has no ${s}`);
  const xShare = comp.symbols.reduce((t, s, k) => t + (named.has(s) ? 0 : comp.fractions[k]), 0);
  if (pairs.some((p) => p.includes('X')) && !(xShare > 0))
    throw new PairNameError(`pair names use X but every element of the composition is named`);
  const nq = at === null ? 201 : 1;
  const q =
    at === null
      ? Float64Array.from({ length: nq }, (_, i) => qmin + ((qmax - qmin) * i) / (nq - 1))
      : Float64Array.of(at);
  const f = new Map<string, Float64Array>();
  const mean = new Float64Array(nq);
  const fX = new Float64Array(nq);
  comp.symbols.forEach((s, k) => {
    const fs = formFactorCurve(s, q, table);
    f.set(s, fs);
    for (let i = 0; i < nq; i++) {
      mean[i] += comp.fractions[k] * fs[i];
      if (!named.has(s)) fX[i] += (comp.fractions[k] / xShare) * fs[i];
    }
  });
  f.set('X', fX);
  return pairs.map(([a, b]) => {
    const fa = f.get(a)!;
    const fb = f.get(b)!;
    let s = 0;
    for (let i = 0; i < nq; i++)
      s += ((nq > 1 && (i === 0 || i === nq - 1) ? 0.5 : 1) * fa[i] * fb[i]) / (mean[i] * mean[i]);
    return nq > 1 ? s / (nq - 1) : s;
  });
}
