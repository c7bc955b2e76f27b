/**
 * Fitting the quasi-binary model to many G(r) curves: one plan (shell table, shells, weights, solver
 * buffers) per r axis and settings, then one bounded least-squares fit per curve. A curve that
 * cannot be fitted yields NaNs and a status code, never an exception.
 */
import { axisRange } from '../../engine/curves.ts';
import { f32 } from '../../engine/ndarray.ts';
import type { NDArray } from '../../engine/types.ts';
import { sroAlpha, warrenCowleyAlpha } from '../qoi/sro-formulas.ts';
import { STATUS_CODES } from '../fit/gaussians.ts';
import { BoundedLsq, LSQ_STATUS } from '../fit/trust-region.ts';
import { fccShells } from './fcc.ts';
import { N_PARAMS, PHASES, StructureModel } from './model.ts';
import { ShellTable, type BandWindow } from './shell-table.ts';

export interface StructureSettings {
  range: [number, number];
  /** Starting lattice parameters (Å) in PHASES order; bounds are start ± aDelta. */
  aStart: number[];
  aDelta: number;
  u: number;
  diameter: number;
  qdamp: number;
  qmin: number;
  qmax: number;
  window: BandWindow;
  /** Pair weights in PHASES order. */
  weights: ArrayLike<number>;
  /** Fixed density for every phase, or null for each phase's own 4/a³. */
  rho0: number | null;
  maxEval?: number;
}

/** Status codes: the solver's (as fit.gaussians reports them), plus one of the model's. */
export const STRUCTURE_STATUS = {
  ...STATUS_CODES,
  5: 'every scale fitted to 0: no pair fractions (NaN fractions and α)',
  6: 'not fitted: outside the mask input (NaN values)',
} as const;

/** Per-position output fields, in a fixed order. */
export const PARAM_FIELDS = PHASES.flatMap((p) => [`scale${p}`, `a${p}`]);
export const STRUCTURE_FIELDS = [
  ...PARAM_FIELDS,
  ...PARAM_FIELDS.map((s) => `${s}_err`),
  ...PHASES,
  'alpha',
  'alphaWC',
  'rw',
  'chi2',
  'iterations',
  'status',
];

export class StructurePlan {
  readonly table: ShellTable;
  readonly model: StructureModel;
  readonly solver: BoundedLsq;
  /** Axis indices of the fit range [i0, i1) and the fit-range r values. */
  readonly i0: number;
  readonly i1: number;
  readonly r: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  private readonly x0 = new Float64Array(N_PARAMS);

  constructor(
    axis: ArrayLike<number>,
    readonly settings: StructureSettings,
  ) {
    const s = settings;
    [this.i0, this.i1] = axisRange(axis, s.range[0], s.range[1]);
    this.r = Float64Array.from({ length: this.i1 - this.i0 }, (_, i) => axis[this.i0 + i]);
    this.lower = new Float64Array(N_PARAMS);
    this.upper = new Float64Array(N_PARAMS);
    for (let k = 0; k < 3; k++) {
      this.lower[2 * k] = 0;
      this.upper[2 * k] = Infinity;
      this.lower[2 * k + 1] = s.aStart[k] - s.aDelta;
      this.upper[2 * k + 1] = s.aStart[k] + s.aDelta;
    }
    const aMin = Math.min(...this.lower.filter((_, i) => i % 2 === 1));
    this.table = new ShellTable({
      r: this.r,
      qmin: s.qmin,
      qmax: s.qmax,
      window: s.window,
      qdamp: s.qdamp,
      diameter: s.diameter,
      u: s.u,
      sMin: aMin / Math.SQRT2,
    });
    const shells = fccShells((this.table.sMax + 0.5) / aMin);
    this.model = new StructureModel(this.table, shells, s.weights, s.rho0);
    this.solver = new BoundedLsq(N_PARAMS, Math.max(this.r.length, N_PARAMS));
  }

  /**
   * Fit rows of y ([count, nAxis], row c at offset c·nAxis); writes the STRUCTURE_FIELDS arrays at
   * index c and, if `curve` is given, the fitted curve [count, m].
   */
  fitRows(
    yd: ArrayLike<number>,
    nAxis: number,
    count: number,
    out: Record<string, Float32Array>,
    curve: Float32Array | null,
  ): void {
    const { model, solver, i0, i1, lower, upper, x0, settings } = this;
    const m = i1 - i0;
    const pOut = PARAM_FIELDS.map((f) => out[f]);
    const eOut = PARAM_FIELDS.map((f) => out[`${f}_err`]);
    const fr = PHASES.map((p) => out[p]);
    for (let c = 0; c < count; c++) {
      let n = 0;
      let yy = 0;
      for (let i = i0; i < i1; i++) {
        const v = yd[c * nAxis + i];
        if (!Number.isFinite(v)) continue;
        model.rows[n] = i - i0;
        model.y[n] = v;
        yy += v * v;
        n++;
      }
      model.count = n;
      if (n >= N_PARAMS && yy > 0) {
        for (let k = 0; k < 3; k++) x0[2 * k + 1] = settings.aStart[k];
        model.linearScales(x0);
        solver.solve(model, n, x0, lower, upper, { loss: 'linear', fScale: 1, maxEval: settings.maxEval });
      } else {
        solver.solve(model, 0, x0, lower, upper, { loss: 'linear', fScale: 1 }); // records tooFewPoints, NaNs
      }
      let status: number = solver.status;
      const failed = status === LSQ_STATUS.nonFinite || status === LSQ_STATUS.tooFewPoints;
      const x = solver.x;
      for (let k = 0; k < N_PARAMS; k++) {
        pOut[k][c] = failed ? NaN : x[k];
        eOut[k][c] = failed ? NaN : solver.stderr[k];
      }
      const sum = x[0] + x[2] + x[4];
      if (!failed && !(sum > 0)) status = 5;
      const ok = !failed && sum > 0;
      // fractions in PHASES order: XX, ZrZr, ZrX
      const pXX = ok ? x[0] / sum : NaN;
      const pZrZr = ok ? x[2] / sum : NaN;
      const pZrX = ok ? x[4] / sum : NaN;
      fr[0][c] = pXX;
      fr[1][c] = pZrZr;
      fr[2][c] = pZrX;
      out.alpha[c] = ok ? sroAlpha(pZrZr, pZrX, pXX) : NaN;
      out.alphaWC[c] = ok ? warrenCowleyAlpha(pZrZr, pZrX, pXX) : NaN;
      if (failed) {
        out.rw[c] = NaN;
        out.chi2[c] = NaN;
      } else {
        const res = solver.residuals(); // residuals at the accepted point
        let ss = 0;
        for (let i = 0; i < n; i++) ss += res[i] * res[i];
        out.rw[c] = Math.sqrt(ss / yy);
        out.chi2[c] = ss / (n - N_PARAMS);
      }
      out.iterations[c] = solver.iterations;
      out.status[c] = status;
      if (curve) {
        if (failed) curve.fill(NaN, c * m, (c + 1) * m);
        else model.curve(x, curve, c * m);
      }
    }
  }
}

/** Allocate the output fields for `count` curves. */
export function structureOutputs(count: number): Record<string, NDArray<Float32Array>> {
  const o: Record<string, NDArray<Float32Array>> = {};
  for (const f of STRUCTURE_FIELDS) o[f] = f32([count]);
  return o;
}
