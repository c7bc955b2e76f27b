/**
 * I(Q) → S(Q), F(Q), G(r): the PDFgetX3/PDFgetE3 "ad hoc" reduction with electron form factors.
 *
 *   ⟨f⟩² = (Σ c_i f_i)², ⟨f²⟩ = Σ c_i f_i²          (on the data's Q points in [qmin, qmaxinst])
 *   N    = Σ I⟨f²⟩ / Σ⟨f²⟩²  over the upper half of that range (I/N follows ⟨f²⟩ at high Q), or a
 *          fixed N; or ePDFpy's normalisation: I ≈ N⟨f²⟩ + C by least squares over the whole range
 *          with the line pinned through the data at Q_C (C = I(Q_C) − N⟨f²⟩(Q_C)), and I − C in place of I
 *   F    = Q (I/N − ⟨f²⟩) / ⟨f⟩²,  then minus the least-squares polynomial P(Q) = Σ_{k=1..n} a_k Q^k
 *          (P(0) = 0) with n = round(rpoly · Q_top / π), Q_top the qmaxinst actually used (the
 *          data's end when qmaxinst is above it): it can only carry real-space content below
 *          r ≈ rpoly, and absorbs incoherent/inelastic background, multiple scattering and the
 *          normalisation error
 *   S    = 1 + F / Q
 *   G(r) = (2/π) Σ_{qmin ≤ Q ≤ qmax} F(Q) W(Q) D(Q) sin(Qr) ΔQ, W = 1 or Lorch sin(πQ/qmax)/(πQ/qmax),
 *          D = e^{−b s²} (s = Q/2π, ePDFpy's and SUePDF's damping; b = 0: none).
 * (ePDFpy's φ(s) = s·(S − 1) = F/2π, and its G = 8π Σ φ D sin(Qr) Δs is the same G.)
 *
 * Instrument resolution (qResolution = σ > 0): the measured curve is I(Q) blurred by a Gaussian of
 * standard deviation σ in Q (detector point spread, pixel and bin widths: B[x] = x + (σ²/2)x'' +
 * O(σ⁴)). With g = ⟨f⟩², s = ⟨f²⟩ and h = S − 1 = F/Q, I/N = B[s] + B[g h], and
 *   B[g h] = g h + (σ²/2)(g'' h + 2 g' h' + g h'').
 * The blur of F itself, (g/Q) B[F] = g h + (σ²/2)(2 g h'/Q + g h''), only multiplies G(r) by
 * e^{−σ²r²/2} (damping, the Qdamp of PDF fitting; a peak of width w moves by ≈ −σ²r w²: 0.001 Å
 * for a sharp first shell, 0.003–0.005 Å for the demo glass's broad one at σ 0.12–0.14 Å⁻¹): that
 * part is left in (undoing it would amplify noise at high r). The rest, B[g h] − (g/Q) B[F] = (σ²/2)(g'' h + 2(g' − g/Q) h'), is divided by
 * the steeply falling g into a Q-dependent phase shift of the oscillations (the G(r) peaks move
 * low), and is undone to first order in σ²: with B[s] the exactly blurred ⟨f²⟩ (also N's
 * reference) and h₀ = (I/N − B[s]) / g,
 *   h = h₀ − σ² (g'/g − 1/Q) h₀' − (σ²/2) (g''/g) h₀,   F = Q h      (error O(σ⁴)),
 * h₀' by central differences on the Q grid; B[s], g'/g and g''/g are computed once per plan.
 * (Keeping g h'' instead, i.e. dropping the 1/Q, leaves 20–40 % of the shift, more at larger r.)
 *
 * A plan holds everything that depends only on the Q grid and the params (form factors, the QR
 * factor of the polynomial design, the transform), so a curve costs O(n) plus two or three FFTs.
 * Non-finite I (e.g. empty bins behind a beam stop) are left out of N and the polynomial fit, give
 * NaN in S and F, and count as F = 0 in the transform. So are exact zeros at either end of a curve:
 * the zero padding real azimuthal profiles carry where the beam stop or the detector edge left no
 * pixels (a measured intensity is never exactly 0 over a whole bin).
 */
import { qrFactor, qrSolve, type QRFactor } from '../calib/lstsq.ts';
import type { Composition } from './composition.ts';
import type { FormFactorTable } from './formfactors.ts';
import { gaussianNodes } from './gaussian-nodes.ts';
import { averageFormFactors } from './scattering.ts';
import { SineTransform } from './sine-transform.ts';
import { transformWindow } from './transform-window.ts';

export interface ReduceOptions {
  composition: Composition;
  formFactors: FormFactorTable;
  qmin: number;
  qmax: number;
  qmaxinst: number;
  rpoly: number;
  rmin: number;
  rmax: number;
  rstep: number;
  window: 'none' | 'lorch';
  /** Gaussian σ of the instrument's Q resolution (Å⁻¹); 0 or absent = no correction. */
  qResolution?: number;
  /** b of the damping e^{−b s²} on F before the transform (Å², s = Q/2π); 0 or absent = none. */
  damping?: number;
  /** 'high-q' (I/N follows ⟨f²⟩ over the upper half) or 'epdfpy' (I ≈ N⟨f²⟩ + C, pinned at cAtQ). */
  normalisation?: 'high-q' | 'epdfpy';
  /** A fixed N instead of the fitted one (null or absent = fit). */
  fixedN?: number | null;
  /** Q (Å⁻¹) where ePDFpy's N⟨f²⟩ + C passes through the data (null or absent = the top of the range). */
  cAtQ?: number | null;
}

/** Leading and trailing runs of exact zeros of curve[offset … offset+n): zero padding, not data. */
export function paddedEnds(I: ArrayLike<number>, offset: number, n: number): { lead: number; trail: number } {
  let lead = 0;
  while (lead < n && I[offset + lead] === 0) lead++;
  if (lead === n) return { lead: n, trail: 0 };
  let trail = 0;
  while (I[offset + n - 1 - trail] === 0) trail++;
  return { lead, trail };
}

/**
 * The instrument-resolution terms on a Q grid (see the header): B[⟨f²⟩] by quadrature over the
 * Gaussian (⟨f²⟩ is even in Q, so |Q − σx| is exact near Q = 0), and σ²(g'/g − 1/Q), (σ²/2) g''/g
 * of g = ⟨f⟩² by central differences of the analytic form factors (step 1e-3 Å⁻¹).
 */
export function resolutionTerms(
  comp: Composition,
  q: Float64Array,
  table: FormFactorTable,
  sigma: number,
): { selfBlurred: Float64Array; slope: Float64Array; curve: Float64Array } {
  const m = q.length;
  const { du, w, sum: wSum } = gaussianNodes(sigma);
  const at = new Float64Array(m * w.length);
  for (let i = 0; i < m; i++)
    for (let k = 0; k < w.length; k++) at[i * w.length + k] = Math.abs(q[i] + du[k]);
  const self = averageFormFactors(comp, at, table).sqMean;
  const selfBlurred = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let acc = 0;
    for (let k = 0; k < w.length; k++) acc += w[k] * self[i * w.length + k];
    selfBlurred[i] = acc / wSum;
  }
  const eps = 1e-3;
  const g = averageFormFactors(comp, q, table).meanSq;
  const lo = averageFormFactors(
    comp,
    q.map((x) => x - eps),
    table,
  ).meanSq;
  const hi = averageFormFactors(
    comp,
    q.map((x) => x + eps),
    table,
  ).meanSq;
  const slope = new Float64Array(m);
  const curve = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    // F = Q h is 0 at Q = 0 whatever the correction.
    slope[i] = q[i] > 0 ? sigma * sigma * ((hi[i] - lo[i]) / (2 * eps * g[i]) - 1 / q[i]) : 0;
    curve[i] = (0.5 * sigma * sigma * (hi[i] - 2 * g[i] + lo[i])) / (eps * eps * g[i]);
  }
  return { selfBlurred, slope, curve };
}

/** A problem with the params relative to the data (the op turns it into a ParamError). */
export class ReduceRangeError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

export class ReductionPlan {
  /** Q points (uniform) of S and F: data points in [qmin, qmaxinst]. */
  readonly q: Float64Array;
  readonly r: Float64Array;
  readonly degree: number;
  /** Index range of the input axis used for S/F. */
  readonly i0: number;
  /** Points of q within [qmin, qmax] used by G: q[0 … nG). */
  readonly nG: number;
  readonly qmaxinstUsed: number;
  private readonly meanSq: Float64Array;
  /** ⟨f²⟩, or with qResolution > 0 the blurred ⟨f²⟩: the self term subtracted and N's reference. */
  private readonly sqMean: Float64Array;
  /** With qResolution > 0: σ²(g'/g − 1/Q) and (σ²/2) g''/g (g = ⟨f⟩²), and h₀ per curve; else null. */
  private readonly resolution: { slope: Float64Array; curve: Float64Array; h0: Float64Array } | null = null;
  private readonly normFrom: number;
  private readonly design: Float64Array;
  private readonly qr: QRFactor | null;
  private readonly transformer: SineTransform;
  private readonly window: Float64Array;
  private readonly work: Float64Array;
  private readonly coef: Float64Array;
  private readonly fw: Float64Array;
  private readonly uniformInput: boolean;
  private readonly inputQ: Float64Array;
  private readonly resampled: Float64Array;
  /** A curve with its zero-padded ends set to NaN. */
  private readonly unpadded: Float64Array;
  /** Index into q of ePDFpy's pin point Q_C. */
  private readonly pinAt: number;
  /** fitWithGaps' last factor (undefined: none yet; null: too few points or singular) and its finite-point pattern. */
  private readonly gaps: {
    finite: Uint8Array;
    factor: QRFactor | null | undefined;
    rhs: Float64Array;
    solveWork: Float64Array;
  };
  /** Points of the last curve reduce() treated as zero padding (for the op's log). */
  lastPadded = 0;

  constructor(
    inputQ: ArrayLike<number>,
    readonly opts: ReduceOptions,
  ) {
    const xq = Float64Array.from(inputQ);
    this.inputQ = xq;
    const n = xq.length;
    if (n < 2) throw new ReduceRangeError('qmin', 'the input curve has fewer than 2 Q points');
    for (let i = 1; i < n; i++)
      if (!(xq[i] > xq[i - 1])) throw new ReduceRangeError('qmin', 'the input Q axis is not increasing');
    const dq0 = (xq[n - 1] - xq[0]) / (n - 1);
    // Uniform input (integrate.azimuthal, float32 axis) is used as is; otherwise resampled linearly.
    let uniform = true;
    for (let i = 1; i < n; i++) if (Math.abs(xq[i] - xq[i - 1] - dq0) > 1e-3 * dq0) uniform = false;
    this.uniformInput = uniform;
    const { qmin, qmax, qmaxinst } = opts;
    const dataMax = xq[n - 1];
    if (qmax > dataMax + 0.5 * dq0)
      throw new ReduceRangeError(
        'qmax',
        `qmax ${qmax} Å⁻¹ is above the data's Q range (up to ${dataMax.toPrecision(4)} Å⁻¹)`,
      );
    const qmaxinstUsed = Math.min(qmaxinst, dataMax + 0.5 * dq0);
    this.qmaxinstUsed = qmaxinstUsed;
    // Uniform grid q0 + kΔQ over the data, then the [qmin, qmaxinst] window of it.
    const grid = Float64Array.from({ length: n }, (_, k) => xq[0] + k * dq0);
    let i0 = 0;
    while (i0 < n && grid[i0] < qmin - 1e-9 * dq0) i0++;
    let i1 = i0;
    while (i1 < n && grid[i1] <= qmaxinstUsed + 1e-6 * dq0) i1++;
    let g1 = i0;
    while (g1 < i1 && grid[g1] <= qmax + 1e-6 * dq0) g1++;
    if (g1 - i0 < 2)
      throw new ReduceRangeError(
        'qmin',
        `empty Q range: no data points between qmin ${qmin} and qmax ${qmax} Å⁻¹ (data ${xq[0].toPrecision(4)}–${dataMax.toPrecision(4)} Å⁻¹)`,
      );
    this.i0 = i0;
    this.q = grid.slice(i0, i1);
    this.nG = g1 - i0;
    this.resampled = new Float64Array(n);
    this.unpadded = new Float64Array(n);
    const m = this.q.length;
    const ff = averageFormFactors(opts.composition, this.q, opts.formFactors);
    this.meanSq = ff.meanSq;
    this.sqMean = ff.sqMean;
    const sigma = opts.qResolution ?? 0;
    if (sigma > 0) {
      const t = resolutionTerms(opts.composition, this.q, opts.formFactors, sigma);
      this.sqMean = t.selfBlurred;
      this.resolution = { slope: t.slope, curve: t.curve, h0: new Float64Array(m) };
    }
    const mid = 0.5 * (this.q[0] + this.q[m - 1]);
    let k = 0;
    while (k < m && this.q[k] < mid) k++;
    this.normFrom = Math.min(k, m - 2);
    // ePDFpy: the last point at or below cAtQ (half a step of slack)
    const cAt = opts.cAtQ ?? Infinity;
    let pin = 0;
    while (pin < m - 1 && this.q[pin + 1] <= cAt + 0.5 * dq0) pin++;
    this.pinAt = pin;
    // from the Q actually used: a qmaxinst beyond the data must not raise the degree (the polynomial
    // would then carry real-space content up to rpoly·qmaxinst/Q_top, well into the first shells)
    this.degree = Math.max(0, Math.round((opts.rpoly * qmaxinstUsed) / Math.PI));
    const deg = Math.min(this.degree, m - 1);
    this.design = new Float64Array(m * deg);
    for (let i = 0; i < m; i++) {
      const x = this.q[i] / qmaxinstUsed;
      let p = 1;
      for (let d = 0; d < deg; d++) {
        p *= x;
        this.design[i * deg + d] = p;
      }
    }
    this.qr = deg > 0 ? qrFactor(this.design, m, deg) : null;
    this.coef = new Float64Array(deg);
    this.work = new Float64Array(m);
    this.gaps = {
      finite: new Uint8Array(m),
      factor: undefined,
      rhs: new Float64Array(m),
      solveWork: new Float64Array(m),
    };
    this.fw = new Float64Array(this.nG);
    this.window = transformWindow(this.q.subarray(0, this.nG), opts.window, qmax, opts.damping ?? 0);
    const nr = Math.floor((opts.rmax - opts.rmin) / opts.rstep + 1e-9) + 1;
    this.r = Float64Array.from({ length: nr }, (_, j) => opts.rmin + j * opts.rstep);
    this.transformer = new SineTransform(this.q[0], dq0, this.nG, opts.rmin, opts.rstep, nr);
  }

  /** The input curve on the plan's uniform grid (a view when the input was already uniform). */
  private onGrid(I: ArrayLike<number>, offset: number): { data: ArrayLike<number>; offset: number } {
    if (this.uniformInput) return { data: I, offset };
    const xq = this.inputQ;
    const n = xq.length;
    const dq0 = (xq[n - 1] - xq[0]) / (n - 1);
    let j = 0;
    for (let k = 0; k < n; k++) {
      const x = xq[0] + k * dq0;
      while (j < n - 2 && xq[j + 1] < x) j++;
      const t = (x - xq[j]) / (xq[j + 1] - xq[j]);
      this.resampled[k] = I[offset + j] * (1 - t) + I[offset + j + 1] * t;
    }
    return { data: this.resampled, offset: 0 };
  }

  /** Reduce one curve; writes S, F (length q.length) and G (length r.length); returns N. */
  reduce(
    I: ArrayLike<number>,
    offset: number,
    S: Float32Array,
    F: Float32Array,
    G: Float32Array,
    sOff: number,
    gOff: number,
  ): number {
    const { q, meanSq, sqMean, work } = this;
    const m = q.length;
    const n = this.inputQ.length;
    const pad = paddedEnds(I, offset, n);
    this.lastPadded = Math.min(n, pad.lead + pad.trail);
    if (this.lastPadded > 0) {
      const u = this.unpadded;
      for (let i = 0; i < n; i++) u[i] = i < pad.lead || i >= n - pad.trail ? NaN : I[offset + i];
      I = u;
      offset = 0;
    }
    const src = this.onGrid(I, offset);
    const base = src.offset + this.i0;
    const d = src.data;
    let missing = 0;
    for (let i = 0; i < m; i++) if (!Number.isFinite(d[base + i])) missing++;
    const { N, C } = this.normalise(d, base);
    if (!Number.isFinite(N) || !Number.isFinite(C)) {
      S.fill(NaN, sOff, sOff + m);
      F.fill(NaN, sOff, sOff + m);
      G.fill(NaN, gOff, gOff + this.r.length);
      return NaN;
    }
    if (this.resolution) this.resolvedF(d, base, N, C);
    else {
      for (let i = 0; i < m; i++) {
        const v = d[base + i];
        work[i] = Number.isFinite(v) ? (q[i] * ((v - C) / N - sqMean[i])) / meanSq[i] : NaN;
      }
    }
    // Polynomial correction (P(0) = 0).
    const deg = this.coef.length;
    if (deg > 0) {
      let coef: Float64Array | null = null;
      if (missing === 0) coef = qrSolve(this.qr!, work, this.coef, this.gaps.solveWork);
      else coef = this.fitWithGaps(work);
      if (coef) {
        for (let i = 0; i < m; i++) {
          const x = q[i] / this.qmaxinstUsed;
          let p = 0;
          for (let k = deg - 1; k >= 0; k--) p = (p + coef[k]) * x;
          work[i] -= p;
        }
      }
    }
    for (let i = 0; i < m; i++) {
      F[sOff + i] = work[i];
      S[sOff + i] = 1 + work[i] / q[i];
    }
    const fw = this.fw;
    for (let i = 0; i < this.nG; i++) fw[i] = Number.isFinite(work[i]) ? work[i] * this.window[i] : 0;
    this.transformer.transform(fw, 0, G, gOff);
    return N;
  }

  /**
   * N (and ePDFpy's C; 0 otherwise) of one curve on the grid, from its finite points. 'high-q':
   * N = Σ I⟨f²⟩ / Σ⟨f²⟩² over the upper half. 'epdfpy': the least-squares N of I − I_C ≈ N(⟨f²⟩ − ⟨f²⟩_C)
   * over the whole range, C = I_C − N⟨f²⟩_C at the pin point (the last finite one at or below it).
   */
  private normalise(d: ArrayLike<number>, base: number): { N: number; C: number } {
    const { sqMean } = this;
    const m = this.q.length;
    const fixed = this.opts.fixedN ?? null;
    if (this.opts.normalisation === 'epdfpy') {
      let pin = this.pinAt;
      while (pin >= 0 && !Number.isFinite(d[base + pin])) pin--;
      if (pin < 0) return { N: NaN, C: NaN };
      const iC = d[base + pin];
      const gC = sqMean[pin];
      let N = fixed ?? NaN;
      if (fixed === null) {
        let num = 0;
        let den = 0;
        for (let i = 0; i < m; i++) {
          const v = d[base + i];
          if (!Number.isFinite(v)) continue;
          num += (sqMean[i] - gC) * (v - iC);
          den += (sqMean[i] - gC) ** 2;
        }
        N = den > 0 && num > 0 ? num / den : NaN;
      }
      return { N, C: iC - N * gC };
    }
    if (fixed !== null) return { N: fixed, C: 0 };
    let num = 0;
    let den = 0;
    for (let i = this.normFrom; i < m; i++) {
      const v = d[base + i];
      if (!Number.isFinite(v)) continue;
      num += v * sqMean[i];
      den += sqMean[i] * sqMean[i];
    }
    return { N: den > 0 && num > 0 ? num / den : NaN, C: 0 };
  }

  /** F = Q h into work, h = h₀ − σ²(g'/g − 1/Q)h₀' − (σ²/2)(g''/g)h₀ (h₀' one-sided next to gaps and ends). */
  private resolvedF(d: ArrayLike<number>, base: number, N: number, C: number): void {
    const { q, meanSq, sqMean, work } = this;
    const { slope, curve, h0 } = this.resolution!;
    const m = q.length;
    for (let i = 0; i < m; i++) h0[i] = ((d[base + i] - C) / N - sqMean[i]) / meanSq[i];
    for (let i = 0; i < m; i++) {
      const h = h0[i];
      if (!Number.isFinite(h)) {
        work[i] = NaN;
        continue;
      }
      const a = i > 0 && Number.isFinite(h0[i - 1]) ? i - 1 : i;
      const b = i < m - 1 && Number.isFinite(h0[i + 1]) ? i + 1 : i;
      const dh = b > a ? (h0[b] - h0[a]) / (q[b] - q[a]) : 0;
      work[i] = q[i] * (h - slope[i] * dh - curve[i] * h);
    }
  }

  /**
   * The polynomial fit over the finite points only. The factor depends on which points are missing,
   * and in a scan that is the same set for every curve (bins behind the beam stop), so the last
   * one is kept and reused while the set does not change: the same rows, the same factor.
   */
  private fitWithGaps(work: Float64Array): Float64Array | null {
    const m = this.q.length;
    const deg = this.coef.length;
    const gaps = this.gaps;
    let same = gaps.factor !== undefined;
    let rows = 0;
    for (let i = 0; i < m; i++) {
      const ok = Number.isFinite(work[i]) ? 1 : 0;
      if (gaps.finite[i] !== ok) same = false;
      gaps.finite[i] = ok;
      if (ok) gaps.rhs[rows++] = work[i];
    }
    if (!same) {
      if (rows <= deg) gaps.factor = null;
      else {
        const design = new Float64Array(rows * deg);
        let r = 0;
        for (let i = 0; i < m; i++)
          if (gaps.finite[i]) design.set(this.design.subarray(i * deg, (i + 1) * deg), deg * r++);
        const f = qrFactor(design, rows, deg);
        gaps.factor = f.singular ? null : f;
      }
    }
    if (!gaps.factor) return null;
    return qrSolve(gaps.factor, gaps.rhs, this.coef, gaps.solveWork);
  }
}
