/**
 * Pair weights of the quasi-binary Zr / X description: X is every element but Zr with its form
 * factor averaged by composition, f_X = Σ_{i≠Zr} c_i f_i / (1 − c_Zr), ⟨f⟩ = c_Zr f_Zr + (1 − c_Zr) f_X,
 * and a pair type ij weighs f_i f_j / ⟨f⟩² in G(r) (Faber–Ziman). Electron form factors fall with Q
 * at different rates per element, so the ratio is Q-dependent; it is taken at one Q, or averaged
 * uniformly over the transform band [qmin, qmax] (G(r) weighs every Q of the band alike).
 */
import type { Composition } from '../pdf/composition.ts';
import { formFactorQ, type FormFactorTable } from '../pdf/formfactors.ts';
import { PHASES, type Phase } from './model.ts';

export class WeightsError extends Error {}

export interface PairWeights {
  /** f_i f_j / ⟨f⟩² in PHASES order (XX, ZrZr, ZrX). */
  w: Float64Array;
  /** Zr atomic fraction. */
  cZr: number;
}

function ratiosAt(comp: Composition, zr: string, q: number, table: FormFactorTable, out: Float64Array) {
  let fZr = 0;
  let fX = 0;
  let cZr = 0;
  comp.symbols.forEach((sym, k) => {
    const c = comp.fractions[k];
    const f = formFactorQ(sym, q, table);
    if (sym === zr) {
      fZr = f;
      cZr = c;
    } else fX += c * f;
  });
  fX /= 1 - cZr;
  const mean = cZr * fZr + (1 - cZr) * fX;
  const byPhase: Record<Phase, number> = { XX: fX * fX, ZrZr: fZr * fZr, ZrX: fZr * fX };
  PHASES.forEach((p, k) => {
    out[k] = byPhase[p] / (mean * mean);
  });
}

/** Weights at Q = `at` (Å⁻¹), or averaged over [qmin, qmax] when `at` is null. */
export function pairWeights(
  comp: Composition,
  zr: string,
  table: FormFactorTable,
  at: number | null,
  qmin: number,
  qmax: number,
): PairWeights {
  const k = comp.symbols.indexOf(zr);
  if (k < 0) throw new WeightsError(`the composition (${comp.symbols.join(', ')}) has no ${zr}`);
  const cZr = comp.fractions[k];
  if (!(cZr < 1)) throw new WeightsError(`the composition needs at least one element besides ${zr}`);
  const w = new Float64Array(3);
  if (at !== null) {
    ratiosAt(comp, zr, at, table, w);
    return { w, cZr };
  }
  const n = 200;
  const tmp = new Float64Array(3);
  for (let i = 0; i <= n; i++) {
    ratiosAt(comp, zr, qmin + ((qmax - qmin) * i) / n, table, tmp);
    const trap = i === 0 || i === n ? 0.5 : 1;
    for (let p = 0; p < 3; p++) w[p] += (trap * tmp[p]) / n;
  }
  return { w, cZr };
}
