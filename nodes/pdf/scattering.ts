/** Composition-averaged electron form factors on a Q grid: ⟨f⟩² and ⟨f²⟩ (Å²), Q in Å⁻¹ (Q = 2π/d). */
import type { Composition } from './composition.ts';
import { formFactorCurve, type FormFactorTable } from './formfactors.ts';

export interface AverageFormFactors {
  /** ⟨f⟩² = (Σ c_i f_i)² */
  meanSq: Float64Array;
  /** ⟨f²⟩ = Σ c_i f_i² */
  sqMean: Float64Array;
}

export function averageFormFactors(
  comp: Composition,
  q: ArrayLike<number>,
  table: FormFactorTable,
): AverageFormFactors {
  const n = q.length;
  const mean = new Float64Array(n);
  const sqMean = new Float64Array(n);
  comp.symbols.forEach((sym, k) => {
    const c = comp.fractions[k];
    const f = formFactorCurve(sym, q, table);
    for (let i = 0; i < n; i++) {
      mean[i] += c * f[i];
      sqMean[i] += c * f[i] * f[i];
    }
  });
  const meanSq = mean.map((x) => x * x);
  return { meanSq, sqMean };
}
