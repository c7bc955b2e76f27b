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
 *
 * With the Q resolution σ the data were reduced with (pdf.reduce qResolution), F_ab is first blurred
 * by that Gaussian, as the data's F is: pdf.reduce undoes the blur's phase shift but leaves what it
 * does to F itself, B[F] (its header), so a data G(r) is the band's transform of B[F], which is
 * G(r)·e^{−σ²r²/2} but for the band edges: blurring before the band cut, as the detector does, is
 * the exact counterpart (the two differ by ≤ 1 % of a partial's peak at σ = 0.143 Å⁻¹, in the
 * termination ripples). F is odd in Q, so the blur reaches below Q = 0 as −F(|Q|).
 */
import { gaussianNodes } from '../nodes/pdf/gaussian-nodes.ts';
import { directSineTransform } from '../nodes/pdf/sine-transform.ts';
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
  /**
   * Gaussian σ (Å⁻¹) of the Q resolution the data's G(r) carries (pdf.reduce qResolution): F_ab is
   * blurred by it before the transform. 0 or absent: no blur.
   */
  qResolution?: number;
}

export interface ReferencePartials {
  r: Float64Array;
  curves: Record<Pair, Float64Array>;
}

/** Q step of the transform (Å⁻¹): fine against the band's shortest period in r. */
const DQ = 0.005;

/** Offsets (Å⁻¹) and normalised weights of the Gaussian blur of σ (pdf.reduce's nodes); σ = 0: the identity. */
function blurNodes(sigma: number): { du: Float64Array; w: Float64Array } {
  if (!(sigma > 0)) return { du: Float64Array.of(0), w: Float64Array.of(1) };
  const { du, w, sum } = gaussianNodes(sigma);
  return { du, w: w.map((v) => v / sum) };
}

export function referencePartials(o: ReferencePartialsOptions): ReferencePartials {
  const comp = parseComposition(o.composition);
  const c = zrFraction(comp);
  const nq = Math.max(2, Math.round((o.qmax - o.qmin) / DQ) + 1);
  const dq = (o.qmax - o.qmin) / (nq - 1);
  const q = Float64Array.from({ length: nq }, (_, i) => o.qmin + i * dq);
  // F_ab is evaluated at Q_i + du_k for every node of the blur: x = Q + du signed, F(x) = x · w(|x|) · s(|x|).
  const { du, w } = blurNodes(o.qResolution ?? 0);
  const nk = du.length;
  const x = Float64Array.from({ length: nq * nk }, (_, j) => q[Math.floor(j / nk)] + du[j % nk]);
  const ax = x.map(Math.abs);
  const { fZr, fX } = quasiBinaryFormFactors(ax, xMix(comp));
  const r = Float64Array.from({ length: o.n }, (_, j) => o.rmin + j * o.rstep);
  const curves = {} as Record<Pair, Float64Array>;
  for (const pair of PAIR_LIST) {
    const s = referenceTransform(pair, ax);
    // F_ab(Q) = B[Q · w_ab · (S_ab − 1)], trapezoid weights folded in
    const F = new Float64Array(nq);
    for (let i = 0; i < nq; i++) {
      let acc = 0;
      for (let k = 0, j = i * nk; k < nk; k++, j++) {
        const mean = c * fZr[j] + (1 - c) * fX[j];
        const fa = pair === 'XX' ? fX[j] : fZr[j];
        const fb = pair === 'ZrZr' ? fZr[j] : fX[j];
        acc += (w[k] * x[j] * fa * fb * s[j]) / (mean * mean);
      }
      F[i] = (i === 0 || i === nq - 1 ? 0.5 : 1) * acc;
    }
    curves[pair] = directSineTransform(q, F, dq, r);
  }
  return { r, curves };
}

/** The partials as a CSV: header `r,ZrZr,ZrX,XX`, one row per r. */
export function partialsCsv(p: ReferencePartials): string {
  const rows = [`r,${PAIR_LIST.join(',')}`];
  for (let j = 0; j < p.r.length; j++)
    rows.push([p.r[j].toFixed(4), ...PAIR_LIST.map((k) => p.curves[k][j].toPrecision(6))].join(','));
  return `${rows.join('\n')}\n`;
}
