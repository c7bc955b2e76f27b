/**
 * Scattered intensity of the glass per atom, I(Q) = ⟨f²⟩ + Σ_ab c_a c_b f_a f_b (S_ab(Q) − 1) + inelastic,
 * written as a linear combination of fixed basis curves so a whole scan's profiles cost a few
 * multiply-adds per Q sample (see partials.ts for why the model is linear):
 *
 *   ⟨f²⟩                = c f_Zr² + (1 − c) ⟨f²⟩_X
 *   coherent, reference = c² f_Zr² R_ZrZr + 2c(1 − c) f_Zr f̄_X R_ZrX + (1 − c)² f̄_X² R_XX
 *   coherent, order     = Z̄ [P_ZrZr f_Zr² Sh_ZrZr + P_ZrX f_Zr f̄_X Sh_ZrX + P_XX f̄_X² Sh_XX]
 *                         − Z̄ [c² f_Zr² Sh_ZrZr + 2c(1 − c) f_Zr f̄_X Sh_ZrX + (1 − c)² f̄_X² Sh_XX]
 *   inelastic           = smooth, ∝ Z of each species, falling as 1/(1 + (Q/q_in)²)
 * with R_ab = S_ref,ab − 1 and Sh_ab the shell transforms of partials.ts
 * (c_a c_b n_ab = c_a N_ab, and c_Zr N_ZrZr = Z̄ P_ZrZr, 2 c_Zr N_ZrX = Z̄ P_ZrX, c_X N_XX = Z̄ P_XX).
 * The first-shell term is linear in the pair fractions — the structure NMF bond maps look for.
 */
import { quasiBinaryFormFactors } from './composition.ts';
import { MEAN_COORDINATION, pairFractions, referenceTransform, shellTransform } from './partials.ts';

/** Inelastic background: height relative to the Zr self term at Q = 0, and its fall-off (Å⁻¹). */
const INELASTIC_PER_Z = 0.004;
const INELASTIC_Q = 2.2;
const Z_ZR = 40;

export const GLASS_BASIS = [
  'selfZr',
  'selfX',
  'shellZrZr',
  'shellZrX',
  'shellXX',
  'refZrZr',
  'refZrX',
  'refXX',
  'inelZr',
  'inelX',
] as const;
export const N_GLASS_BASIS = GLASS_BASIS.length;

export interface GlassLocal {
  /** Zr fraction c. */
  c: number;
  /** Chemical short-range order α (SCIENCE.md definition). */
  alpha: number;
}

/** The fixed curves of the glass model on one Q grid. */
export class GlassModel {
  /** Basis curves [N_GLASS_BASIS][q.length] (flattened, basis-major). */
  readonly basis: Float64Array;
  readonly fZr: Float64Array;
  readonly fX: Float64Array;
  readonly f2X: Float64Array;
  private readonly zX: number;

  constructor(
    readonly q: Float64Array,
    readonly mix: Record<string, number>,
  ) {
    const n = q.length;
    const { fZr, fX, f2X } = quasiBinaryFormFactors(q, mix);
    this.fZr = fZr;
    this.fX = fX;
    this.f2X = f2X;
    const Z: Record<string, number> = {
      Cu: 29,
      Ni: 28,
      Al: 13,
      Fe: 26,
      Co: 27,
      Ti: 22,
      Nb: 41,
      Pd: 46,
      Si: 14,
      B: 5,
      Mg: 12,
    };
    this.zX = Object.entries(mix).reduce((s, [el, x]) => s + x * (Z[el] ?? 26), 0);
    const shZZ = shellTransform('ZrZr', q);
    const shZX = shellTransform('ZrX', q);
    const shXX = shellTransform('XX', q);
    const bZZ = referenceTransform('ZrZr', q);
    const bZX = referenceTransform('ZrX', q);
    const bXX = referenceTransform('XX', q);
    const b = new Float64Array(N_GLASS_BASIS * n);
    const zbar = MEAN_COORDINATION;
    const f0 = fZr[0] ?? 12;
    for (let i = 0; i < n; i++) {
      const zz = fZr[i] * fZr[i];
      const zx = fZr[i] * fX[i];
      const xx = fX[i] * fX[i];
      const inel = (INELASTIC_PER_Z * f0 * f0) / (1 + (q[i] / INELASTIC_Q) ** 2);
      b[0 * n + i] = zz;
      b[1 * n + i] = f2X[i];
      b[2 * n + i] = zbar * zz * shZZ[i];
      b[3 * n + i] = zbar * zx * shZX[i];
      b[4 * n + i] = zbar * xx * shXX[i];
      // Reference minus the random-mixing share of the shell term (see the header).
      b[5 * n + i] = zz * (bZZ[i] - zbar * shZZ[i]);
      b[6 * n + i] = zx * (bZX[i] - zbar * shZX[i]);
      b[7 * n + i] = xx * (bXX[i] - zbar * shXX[i]);
      b[8 * n + i] = inel * Z_ZR;
      b[9 * n + i] = inel * this.zX;
    }
    this.basis = b;
  }

  /** Coefficients of the basis curves for one position (written into `out`, length N_GLASS_BASIS). */
  coefficients(local: GlassLocal, out: Float64Array): Float64Array {
    const { c, alpha } = local;
    const p = pairFractions(c, alpha);
    out[0] = c;
    out[1] = 1 - c;
    out[2] = p.ZrZr;
    out[3] = p.ZrX;
    out[4] = p.XX;
    out[5] = c * c;
    out[6] = 2 * c * (1 - c);
    out[7] = (1 - c) * (1 - c);
    out[8] = c;
    out[9] = 1 - c;
    return out;
  }

  /** I(Q) per atom (Å², elastic + inelastic) for one position. */
  intensity(local: GlassLocal, out = new Float64Array(this.q.length)): Float64Array {
    return combine(this.basis, this.coefficients(local, new Float64Array(N_GLASS_BASIS)), this.q.length, out);
  }

  /** ⟨f⟩ and ⟨f²⟩ of the position's true composition (for S(Q) = 1 + coherent / ⟨f⟩²). */
  averages(c: number): { f: Float64Array; f2: Float64Array } {
    const n = this.q.length;
    const f = new Float64Array(n);
    const f2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      f[i] = c * this.fZr[i] + (1 - c) * this.fX[i];
      f2[i] = c * this.fZr[i] ** 2 + (1 - c) * this.f2X[i];
    }
    return { f, f2 };
  }

  /** Faber–Ziman total S(Q) of the glass at one position (coherent part only, no inelastic). */
  structureFactor(local: GlassLocal): Float64Array {
    const n = this.q.length;
    const coef = this.coefficients(local, new Float64Array(N_GLASS_BASIS));
    coef[0] = coef[1] = coef[8] = coef[9] = 0;
    const coh = combine(this.basis, coef, n, new Float64Array(n));
    const { f } = this.averages(local.c);
    for (let i = 0; i < n; i++) coh[i] = 1 + coh[i] / (f[i] * f[i]);
    return coh;
  }
}

/** out = Σ_m coef[m] · basis[m] (basis flattened basis-major, n samples each). */
export function combine<T extends Float64Array | Float32Array>(
  basis: Float64Array,
  coef: ArrayLike<number>,
  n: number,
  out: T,
): T {
  out.fill(0);
  for (let m = 0; m < coef.length; m++) {
    const k = coef[m];
    if (k === 0) continue;
    const off = m * n;
    for (let i = 0; i < n; i++) out[i] += k * basis[off + i];
  }
  return out;
}

/** G(r) = (2/π) ∫_{qmin}^{qmax} Q (S(Q) − 1) sin(Qr) dQ by the trapezoid rule on the model's Q grid. */
export function sineTransform(
  q: Float64Array,
  s: Float64Array,
  r: Float64Array,
  qmin: number,
  qmax: number,
): Float64Array {
  const out = new Float64Array(r.length);
  for (let j = 0; j < r.length; j++) {
    let acc = 0;
    for (let i = 0; i + 1 < q.length; i++) {
      const q0 = q[i];
      const q1 = q[i + 1];
      if (q1 <= qmin || q0 >= qmax) continue;
      const a = q0 * (s[i] - 1) * Math.sin(q0 * r[j]);
      const b = q1 * (s[i + 1] - 1) * Math.sin(q1 * r[j]);
      acc += 0.5 * (a + b) * (q1 - q0);
    }
    out[j] = (2 / Math.PI) * acc;
  }
  return out;
}
