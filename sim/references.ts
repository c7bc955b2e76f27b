/**
 * The model's reference partial PDFs, as a structure model hands them to the analysis: what a
 * microscopist gets from MD or a small-box model of the glass, not the truth of any position.
 *
 * Per pair type ab (Zr–Zr, Zr–X, X–X): the model's partial S_ab(Q) − 1 at the mean coordination Z̄
 * (partials.ts: the dense hard-sphere reference with its shells at r_ab; a position's chemistry
 * only rescales the first shell, which no reference knows), weighted by f_a f_b / ⟨f⟩² at the
 * nominal composition (Lobato form factors, X = the nominal mix) and transformed over the data's
 * band exactly as pdf.reduce transforms F(Q):
 *   G_ab(r) = (2/π) ∫_{qmin}^{qmax} Q · f_a f_b/⟨f⟩² · (S_ab(Q) − 1) · sin(Qr) dQ.
 * That is the partial as it enters the electron G(r) per unit pair fraction and per Z̄ neighbours
 * (G = Σ_ab P_ab G_ab for a glass whose pairs all have this shape), so decompose.assign takes them
 * with referencesWeighted: true — no second form-factor division.
 */
import { PAIR_LIST, referenceTransform, type Pair } from './partials.ts';
import { parseComposition, quasiBinaryFormFactors, xMix, zrFraction } from './composition.ts';

export interface ReferencePartialsOptions {
  /** Nominal composition, e.g. "Zr65Cu17.5Ni10Al7.5". */
  composition: string;
  /** Transform band (pdf.reduce qmin, qmax), Å⁻¹. */
  qmin: number;
  qmax: number;
  /** Uniform r axis: rmin + i·rstep, i < n (Å). */
  rmin: number;
  rstep: number;
  n: number;
}

export interface ReferencePartials {
  r: Float64Array;
  curves: Record<Pair, Float64Array>;
}

/** Q step of the transform (Å⁻¹): fine against the band's shortest period in r. */
const DQ = 0.005;

export function referencePartials(o: ReferencePartialsOptions): ReferencePartials {
  const comp = parseComposition(o.composition);
  const c = zrFraction(comp);
  const nq = Math.max(2, Math.round((o.qmax - o.qmin) / DQ) + 1);
  const dq = (o.qmax - o.qmin) / (nq - 1);
  const q = Float64Array.from({ length: nq }, (_, i) => o.qmin + i * dq);
  const { fZr, fX } = quasiBinaryFormFactors(q, xMix(comp));
  const r = Float64Array.from({ length: o.n }, (_, j) => o.rmin + j * o.rstep);
  const curves = {} as Record<Pair, Float64Array>;
  for (const pair of PAIR_LIST) {
    const s = referenceTransform(pair, q);
    // F_ab(Q) = Q · w_ab(Q) · (S_ab − 1), trapezoid weights folded in
    const F = new Float64Array(nq);
    for (let i = 0; i < nq; i++) {
      const mean = c * fZr[i] + (1 - c) * fX[i];
      const fa = pair === 'XX' ? fX[i] : fZr[i];
      const fb = pair === 'ZrZr' ? fZr[i] : fX[i];
      F[i] = ((i === 0 || i === nq - 1 ? 0.5 : 1) * q[i] * fa * fb * s[i]) / (mean * mean);
    }
    const g = new Float64Array(o.n);
    for (let j = 0; j < o.n; j++) {
      let acc = 0;
      for (let i = 0; i < nq; i++) acc += F[i] * Math.sin(q[i] * r[j]);
      g[j] = (2 / Math.PI) * acc * dq;
    }
    curves[pair] = g;
  }
  return { r, curves };
}

/** The partials as a CSV: header `r,ZrZr,ZrX,XX`, one row per r. */
export function partialsCsv(p: ReferencePartials): string {
  const rows = [`r,${PAIR_LIST.join(',')}`];
  for (let j = 0; j < p.r.length; j++) rows.push([p.r[j].toFixed(4), ...PAIR_LIST.map((k) => p.curves[k][j].toPrecision(6))].join(','));
  return `${rows.join('\n')}\n`;
}
