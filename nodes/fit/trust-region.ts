/**
 * Bounded nonlinear least squares for small dense problems (a handful of parameters, a few hundred
 * points), with scipy-compatible robust losses: minimise ½ Σ fScale² ρ((rᵢ(x)/fScale)²) subject to
 * lower ≤ x ≤ upper.
 *
 * Method: a projected Levenberg–Marquardt trust region. Each step solves the damped Gauss–Newton
 * system (JᵀWJ + λ·diag(JᵀWJ)) δ = −g on the free variables (a variable at a bound whose gradient
 * points outward is held), projects x + δ onto the box, and accepts it when the actual cost decrease
 * agrees with the model's prediction; λ adapts à la Nielsen. W and g = Jᵀρ′r are the robust-loss
 * rescaling scipy applies in `least_squares` (IRLS-style), so the fixed point is the same KKT point
 * scipy's TRF converges to: projected gradient of the same objective = 0. With a diagonal scaling the
 * projected scaled-gradient step is a descent direction, so large λ always makes progress.
 *
 * Two curvature models. Far from the optimum most residuals are many fScale, where a robust ρ is
 * nearly linear in |r|: scipy's exact curvature ρ′ + 2ρ″z is then tiny, the Gauss–Newton step
 * overshoots by a factor ~z and the damping has to grow for many rejected steps. So the solver starts
 * with the IRLS weight ρ′ (for concave ρ(z) the weighted quadratic majorises the robust cost: steps
 * aim each residual at zero, not beyond), and switches to the exact curvature once an accepted step
 * changes the cost or x by less than `IRLS_TOL` relative. The gradient Jᵀρ′r is exact in both, so
 * the fixed point is unchanged; the final iterations, the stopping tests and the covariance use
 * scipy's curvature.
 *
 * All buffers are allocated once in the constructor; `solve` allocates nothing. The m-long ones, the
 * Jacobians, g and H live in the memory of a normal.wasm instance (a FitArena, which the model may
 * share to write r and J there itself), whose f64x2 kernels form g and H (p(p+1)/2 dot products of
 * length m per accepted step), the soft_l1 loss pass and the baseline refit's residual update.
 */
import { FitArena, type FitKernel } from './kernel.ts';
import { choleskySolveMasked, invertSymmetric } from './linalg.ts';
import { applyLoss, type LossName } from './losses.ts';

export interface LsqModel {
  /**
   * Residuals r[0..m) (model − data) at x and, when J is given, the Jacobian ∂r/∂x stored column by
   * column: J[a·m + i] = ∂rᵢ/∂x_a (contiguous columns make the normal-equation sums plain dot products).
   * The solver's r and J are views into its FitArena's memory.
   */
  evaluate(x: Float64Array, r: Float64Array, J: Float64Array | null): void;
}

export interface LsqOptions {
  loss: LossName;
  fScale: number;
  /** Maximum residual evaluations (scipy's max_nfev; default 100·p as scipy's TRF). */
  maxEval?: number;
  ftol?: number;
  xtol?: number;
  gtol?: number;
  /**
   * Index of the first additive parameter: x[additiveFrom..p) enter r only through terms x_a·φ_a(other
   * parameters), so no Jacobian column depends on them (a baseline's slope and offset). In the IRLS
   * phase they are re-solved exactly after every trial step, without another evaluation (`refit`).
   */
  additiveFrom?: number | null;
}

/** Relative cost or step change below which the IRLS phase hands over to the exact curvature. */
const IRLS_TOL = 1e-4;

/** Solver outcome codes (also the `status` map of fit.gaussians). */
export const LSQ_STATUS = {
  ok: 0,
  maxEval: 1,
  atBound: 2,
  nonFinite: 3,
  tooFewPoints: 4,
} as const;

export class BoundedLsq {
  readonly x: Float64Array;
  /** Standard errors (scipy curve_fit convention: √diag((J̃ᵀJ̃)⁻¹ · 2·cost/(m−p))). */
  readonly stderr: Float64Array;
  cost = NaN;
  nfev = 0;
  iterations = 0;
  status: number = LSQ_STATUS.ok;

  private r: Float64Array;
  private rTrial: Float64Array;
  private J: Float64Array;
  private JTrial: Float64Array;
  private d1: Float64Array;
  private w: Float64Array;
  private wr: Float64Array;
  private rRefit: Float64Array;
  private kernel: FitKernel;
  private ones: Uint8Array;
  private gLin: Float64Array;
  private HLin: Float64Array;
  private g: Float64Array;
  private H: Float64Array;
  private A: Float64Array;
  private L: Float64Array;
  private step: Float64Array;
  private rhs: Float64Array;
  private xTrial: Float64Array;
  private free: Uint8Array;
  private cov: Float64Array;
  private invWork: Float64Array;

  /** Numbers a solver takes from its arena. */
  static arenaSize(p: number, mMax: number): number {
    return 5 * mMax + 2 * mMax * p + 2 * (p * p + p);
  }

  /** `arena`: shared with the model (see FitArena); default a fresh one of `arenaSize`. */
  constructor(
    readonly p: number,
    readonly mMax: number,
    arena = new FitArena(BoundedLsq.arenaSize(p, mMax)),
  ) {
    this.x = new Float64Array(p);
    this.stderr = new Float64Array(p);
    this.kernel = arena.kernel;
    const take = (len: number) => arena.take(len);
    this.r = take(mMax);
    this.rTrial = take(mMax);
    this.d1 = take(mMax);
    this.w = take(mMax);
    this.wr = take(mMax);
    this.J = take(mMax * p);
    this.JTrial = take(mMax * p);
    this.g = take(p);
    this.H = take(p * p);
    this.gLin = take(p);
    this.HLin = take(p * p);
    this.rRefit = new Float64Array(mMax);
    this.ones = new Uint8Array(p).fill(1);

    this.A = new Float64Array(p * p);
    this.L = new Float64Array(p * p);
    this.step = new Float64Array(p);
    this.rhs = new Float64Array(p);
    this.xTrial = new Float64Array(p);
    this.free = new Uint8Array(p);
    this.cov = new Float64Array(p * p);
    this.invWork = new Float64Array(2 * p * p);
  }

  /** Residuals at the solution (valid after solve). */
  residuals(): Float64Array {
    return this.r;
  }

  /** g = Jᵀρ′r and H = JᵀWJ at the current point (r, J, d1, w filled; J column-major). */
  private normalEquations(m: number) {
    const { J, r, d1, w, wr, H, g } = this;
    this.kernel.normal(
      J.byteOffset,
      r.byteOffset,
      d1.byteOffset,
      w.byteOffset,
      wr.byteOffset,
      H.byteOffset,
      g.byteOffset,
      m,
      this.p,
    );
  }

  /** applyLoss on r (a view into the arena) into d1, w; soft_l1 by the kernel (same numbers). */
  private loss(r: Float64Array, m: number, opts: LsqOptions, irls: boolean): number {
    if (opts.loss === 'soft_l1') {
      const f2 = opts.fScale * opts.fScale;
      return (
        f2 * this.kernel.soft_l1(r.byteOffset, this.d1.byteOffset, this.w.byteOffset, m, 1 / f2, irls ? 1 : 0)
      );
    }
    return applyLoss(opts.loss, opts.fScale, r, m, this.d1, this.w, irls);
  }

  /**
   * Variable projection for the additive parameters: at a point (xv, r, J consistent) with cost c0,
   * one weighted least-squares step on them alone. r is linear in them and J does not depend on them,
   * so the new residuals are exactly r + J_add·δ and J stays valid: no model evaluation. With the IRLS
   * weights the step minimises the majorising quadratic exactly. Taken only if it lowers the cost;
   * then xv and r are updated in place. Returns the cost at xv. On entry d1, w hold the loss weights
   * at r; on return they hold them at the returned point (one loss pass when the step is taken).
   * Why: after a move of the peaks the best baseline for it comes for free; without it the baseline
   * crawls along with the peaks (from the reference table's starts, a third of the steps).
   * (Refitting the areas as well, Kaufman's full variable projection, needs an evaluation per step
   * and let an area stuck on its lower bound trap a Gaussian: one broad peak for both shells.)
   */
  private refit(
    m: number,
    xv: Float64Array,
    r: Float64Array,
    J: Float64Array,
    c0: number,
    s: number,
    lower: ArrayLike<number>,
    upper: ArrayLike<number>,
    opts: LsqOptions,
    irls: boolean,
  ): number {
    const { p, d1, w, wr, gLin, HLin, rRefit, step, ones } = this;
    const na = p - s;
    // the additive columns are the trailing block of J: the same kernel gives their g and H
    this.kernel.normal(
      J.byteOffset + 8 * s * m,
      r.byteOffset,
      d1.byteOffset,
      w.byteOffset,
      wr.byteOffset,
      HLin.byteOffset,
      gLin.byteOffset,
      m,
      na,
    );
    for (let a = 0; a < na; a++) gLin[a] = -gLin[a];
    if (!choleskySolveMasked(na, HLin, gLin, ones, this.L, step)) return c0;
    let moved = false;
    for (let a = 0; a < na; a++) {
      const t = Math.min(Math.max(xv[s + a] + step[a], lower[s + a]), upper[s + a]);
      step[a] = t - xv[s + a];
      if (step[a] !== 0) moved = true;
    }
    if (!moved) return c0;
    rRefit.set(r); // whole views (same length): no subarray object
    for (let a = 0; a < na; a++) this.kernel.axpy(r.byteOffset, J.byteOffset + 8 * (s + a) * m, m, step[a]);
    const c1 = this.loss(r, m, opts, irls);
    if (!(c1 < c0)) {
      // rare: back to the entry point and its weights
      r.set(rRefit);
      this.loss(r, m, opts, irls);
      return c0;
    }
    for (let a = 0; a < na; a++) xv[s + a] += step[a];
    return c1;
  }

  private finite(m: number, r: Float64Array): boolean {
    for (let i = 0; i < m; i++) if (!Number.isFinite(r[i])) return false;
    return true;
  }

  /**
   * Minimise from x0 within [lower, upper] over m points. Results in this.x, this.cost, this.status,
   * this.stderr, this.nfev, this.iterations. Never throws on bad data: non-finite → status 3, NaNs.
   */
  solve(
    model: LsqModel,
    m: number,
    x0: ArrayLike<number>,
    lower: ArrayLike<number>,
    upper: ArrayLike<number>,
    opts: LsqOptions,
  ): void {
    const { p, x, g, H, A, step, rhs, xTrial, free } = this;
    const maxEval = opts.maxEval ?? 100 * p;
    const ftol = opts.ftol ?? 1e-8;
    const xtol = opts.xtol ?? 1e-8;
    const gtol = opts.gtol ?? 1e-8;
    this.nfev = 0;
    this.iterations = 0;
    this.status = LSQ_STATUS.ok;
    if (m < p || m > this.mMax) {
      this.fail(LSQ_STATUS.tooFewPoints);
      return;
    }
    for (let a = 0; a < p; a++) x[a] = Math.min(Math.max(x0[a], lower[a]), upper[a]);

    model.evaluate(x, this.r, this.J);
    this.nfev = 1;
    if (!this.finite(m, this.r)) {
      this.fail(LSQ_STATUS.nonFinite);
      return;
    }
    let irls = opts.loss !== 'linear';
    const add = opts.additiveFrom ?? -1;
    let cost = this.loss(this.r, m, opts, irls);
    if (add >= 0) cost = this.refit(m, x, this.r, this.J, cost, add, lower, upper, opts, irls);
    this.normalEquations(m);
    let maxDiag = 0;
    for (let a = 0; a < p; a++) maxDiag = Math.max(maxDiag, H[a * p + a]);
    let lambda = 1e-3;
    let nu = 2;
    let converged = false;

    while (this.nfev < maxEval) {
      // Active set: at a bound with the descent direction (−g) pointing out of the box.
      let pgMax = 0;
      let nFree = 0;
      for (let a = 0; a < p; a++) {
        const out = (x[a] <= lower[a] && g[a] > 0) || (x[a] >= upper[a] && g[a] < 0);
        free[a] = out ? 0 : 1;
        if (!out) {
          nFree++;
          pgMax = Math.max(pgMax, Math.abs(g[a]));
        }
      }
      if (nFree === 0 || pgMax < gtol) {
        converged = true;
        break;
      }
      // Damped, Marquardt-scaled system on the free variables.
      for (let a = 0; a < p; a++) {
        rhs[a] = -g[a];
        for (let b = 0; b < p; b++) A[a * p + b] = H[a * p + b];
        const d = Math.max(H[a * p + a], 1e-12 * (maxDiag || 1));
        A[a * p + a] += lambda * d;
      }
      if (!choleskySolveMasked(p, A, rhs, free, this.L, step)) {
        lambda *= nu;
        nu *= 2;
        if (lambda > 1e30) break;
        continue;
      }
      // Project onto the box; the step actually taken is s = P(x + δ) − x.
      let sNorm = 0;
      let xNorm = 0;
      for (let a = 0; a < p; a++) {
        const t = Math.min(Math.max(x[a] + step[a], lower[a]), upper[a]);
        xTrial[a] = t;
        step[a] = t - x[a];
        sNorm += step[a] * step[a];
        xNorm += x[a] * x[a];
      }
      sNorm = Math.sqrt(sNorm);
      xNorm = Math.sqrt(xNorm);
      // Predicted decrease of the quadratic model: −(gᵀs + ½ sᵀHs).
      let gs = 0;
      let sHs = 0;
      for (let a = 0; a < p; a++) {
        gs += g[a] * step[a];
        let hs = 0;
        for (let b = 0; b < p; b++) hs += H[a * p + b] * step[b];
        sHs += step[a] * hs;
      }
      const pred = -(gs + 0.5 * sHs);

      // Residuals and Jacobian together: an accepted trial point needs no second evaluation.
      const rTrial = this.rTrial;
      model.evaluate(xTrial, rTrial, this.JTrial);
      this.nfev++;
      // The loss pass also leaves the trial point's weights in d1, w (the current point's are no
      // longer needed: g and H are kept); an accepted step then needs no second pass.
      // (a non-finite residual makes the cost NaN or ∞: no separate check)
      let trialCost = this.loss(rTrial, m, opts, irls);
      if (!(trialCost < Infinity)) trialCost = Infinity;
      if (add >= 0 && irls && trialCost < Infinity)
        trialCost = this.refit(m, xTrial, rTrial, this.JTrial, trialCost, add, lower, upper, opts, irls);
      const actual = cost - trialCost;
      const ratio = pred > 0 ? actual / pred : -1;
      const small = sNorm < xtol * (xtol + xNorm);

      if (ratio > 1e-4 && actual > 0) {
        x.set(xTrial);
        this.rTrial = this.r;
        this.r = rTrial;
        const Jt = this.JTrial;
        this.JTrial = this.J;
        this.J = Jt;
        const prevCost = cost;
        cost = trialCost;
        const wasIrls = irls;
        if (irls && (actual < IRLS_TOL * prevCost || sNorm < IRLS_TOL * xNorm)) {
          irls = false;
          this.loss(this.r, m, opts, false);
        }
        this.normalEquations(m);
        this.iterations++;
        const t = 2 * ratio - 1;
        lambda *= Math.max(1 / 3, 1 - t * t * t);
        nu = 2;
        if (!wasIrls && (actual < ftol * prevCost || small)) {
          converged = true;
          break;
        }
      } else {
        // A step too small to change anything is convergence, not failure (in the IRLS phase: the
        // cue to switch to the exact curvature at the same point).
        let stop = small || (Math.abs(actual) <= ftol * cost && Math.abs(pred) <= ftol * cost);
        if (!stop) {
          lambda *= nu;
          nu *= 2;
          stop = lambda > 1e30;
        }
        if (stop && irls) {
          irls = false;
          this.loss(this.r, m, opts, false);
          this.normalEquations(m);
          lambda = 1e-3;
          nu = 2;
        } else if (stop) {
          converged = true;
          break;
        }
      }
    }
    if (irls) {
      // stopped (gradient test or maxEval) in the IRLS phase: covariance with scipy's curvature
      this.loss(this.r, m, opts, false);
      this.normalEquations(m);
    }
    this.cost = cost;
    let atBound = false;
    for (let a = 0; a < p; a++) if (x[a] <= lower[a] || x[a] >= upper[a]) atBound = true;
    this.status = !converged ? LSQ_STATUS.maxEval : atBound ? LSQ_STATUS.atBound : LSQ_STATUS.ok;
    this.standardErrors(m, cost);
  }

  /** scipy curve_fit convention on the robust-scaled Jacobian J̃ = √W·J: cov = (J̃ᵀJ̃)⁻¹ · 2cost/(m−p). */
  private standardErrors(m: number, cost: number) {
    const { p, H, cov, stderr } = this;
    const ok = m > p && invertSymmetric(p, H, cov, this.invWork);
    const s2 = m > p ? (2 * cost) / (m - p) : NaN;
    for (let a = 0; a < p; a++) {
      const v = cov[a * p + a];
      stderr[a] = ok && v >= 0 ? Math.sqrt(v * s2) : NaN;
    }
  }

  private fail(status: number) {
    this.x.fill(NaN);
    this.stderr.fill(NaN);
    this.cost = NaN;
    this.status = status;
  }
}
