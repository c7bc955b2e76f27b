/**
 * decompose.assign: names NMF components by correlating them with reference curves (partial PDFs
 * from a structure model via the `references` input, else built-in close-packed shell curves from
 * first-neighbour distances) and turns the NMF weights into pair-fraction maps (e.g. ZrZr, ZrX, XX):
 * components expressed in units of the reference partials, divided by the pair's form-factor
 * weight f_a f_b / ⟨f⟩² (unless the references already carry it), normalised to 100 % (the physics
 * is in unmix.ts).
 */
import { axisRange } from '../../engine/curves.ts';
import { ParamError, UserError } from '../../engine/errors.ts';
import { inputInfo } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, typed, type Json, type OpParams } from '../../engine/types.ts';
import { pearson } from '../map/pearson-core.ts';
import { CompositionError, parseComposition } from '../pdf/composition.ts';
import { PairNameError, formFactorWeights } from './pair-weights.ts';
import { DEFAULT_FIRST_SHELL, bandLimitedShellCurve, bestAssignment } from './references.ts';
import { pairFractionsAt, referenceCoefficients } from './unmix.ts';

type AssignParams = OpParams<typeof decomposeAssign>;

/** f_a f_b / ⟨f⟩² per reference name (pair types: ZrZr, ZrX, XX; X = the elements no name names), or 1 without a composition. */
function weightsOf(
  p: AssignParams,
  names: string[],
  node: string,
  weighted: boolean,
): { w: number[]; meta: Json } {
  if (weighted)
    return {
      w: names.map(() => 1),
      meta: 'carried by the references (referencesWeighted): each is a partial as it enters the G(r) per unit pair fraction',
    };
  if (p.composition === null || p.composition === undefined)
    return {
      w: names.map(() => 1),
      meta: 'none (no composition given): fractions are form-factor-weighted shares',
    };
  let comp: ReturnType<typeof parseComposition>;
  try {
    comp = parseComposition(p.composition);
  } catch (e) {
    if (e instanceof CompositionError) throw new ParamError(node, 'composition', e.message);
    throw e;
  }
  let w: number[];
  try {
    w = formFactorWeights(
      names,
      comp,
      p.formFactors,
      p.weightQ === 'auto' ? null : p.weightQ,
      p.qmin,
      p.qmax,
    );
  } catch (e) {
    if (e instanceof PairNameError)
      throw new ParamError(
        node,
        'composition',
        `${e.message}; without pair-type names give composition: null`,
      );
    throw e;
  }
  return {
    w,
    meta: {
      ...Object.fromEntries(names.map((nm, j) => [nm, w[j]])),
      at: p.weightQ === 'auto' ? `mean over Q ∈ [${p.qmin}, ${p.qmax}] Å⁻¹` : `Q = ${p.weightQ} Å⁻¹`,
    },
  };
}

export const decomposeAssign = defineOp({
  name: 'decompose.assign',
  version: 5, // 5: range ends on a float32 axis included (engine/curves.ts axisRange)
  scope: 'dataset',
  title: 'Pair fractions from NMF components and reference partials',
  description:
    "Names the physical NMF components by correlation with reference curves over `range` (best one-to-one assignment). References: the `references` input (fields = names, per-neighbour partial G(r) on the same x axis kind), else close-packed shell curves from `firstShell` distances (G(r) convention, per neighbour, seen through the transform band [qmin, qmax]: the data's resolution). Pair fractions: each component is expressed over `range` as a least-squares combination of the references plus a constant; the amount of partial ab at a position is Σ_t W_t M_t,ab (mode unmix, every component) or the assigned component's W·scale (mode scale); divided by f_a f_b/⟨f⟩² (from `composition`, averaged over [qmin, qmax] or at `weightQ`; not when `referencesWeighted`) and normalised to 100 %. `baseline` linear adds a straight line to the constant of that least-squares fit (a smooth error of F(Q) seen through the window).",
  inputs: {
    nmf: { scope: 'dataset', description: 'decompose.nmf result (components, weights)' },
    references: {
      scope: 'dataset',
      optional: true,
      description: 'reference curves: one field [n] per name, with an axis',
    },
  },
  params: {
    firstShell: {
      type: 'json',
      jsonType: typed<Record<string, number>>(),
      default: { ...DEFAULT_FIRST_SHELL },
      unit: 'Å',
      description: 'built-in references: name → first-neighbour distance',
    },
    range: {
      type: 'number[]',
      length: 2,
      default: [2.0, 4.0],
      unit: 'Å',
      description: 'x range over which curves are correlated',
    },
    physical: {
      type: 'number[]',
      auto: true,
      default: 'auto',
      description: 'components to assign (0-based); "auto" = the nmf result\'s physical components',
    },
    mode: {
      type: 'enum',
      values: ['unmix', 'scale'],
      default: 'unmix',
      description:
        'unmix: every component may hold some of every partial (NMF components are mixtures); scale: only the assigned component, in units of its reference',
    },
    composition: {
      type: 'json',
      optional: true,
      description:
        "composition of the G(r) reduction (as pdf.reduce's) for the form-factor weights f_a f_b/⟨f⟩²; null = no weighting (shares of the weighted G(r))",
    },
    formFactors: {
      type: 'enum',
      values: ['lobato', 'kirkland'],
      default: 'lobato',
      description: "electron form-factor table (as pdf.reduce's)",
    },
    weightQ: {
      type: 'number',
      auto: true,
      default: 'auto',
      unit: 'Å⁻¹',
      description:
        'Q of the form-factor weights; "auto" = averaged over [qmin, qmax] (a sharp shell\'s peak in G(r) weighs every Q of the transform band alike)',
    },
    qmin: {
      type: 'number',
      min: 0,
      default: 0.1,
      unit: 'Å⁻¹',
      description:
        'transform band of the G(r) (pdf.reduce qmin): form-factor weights and the resolution of the built-in references',
    },
    qmax: {
      type: 'number',
      exclusiveMin: 0,
      default: 8.1,
      unit: 'Å⁻¹',
      description: 'transform band of the G(r) (pdf.reduce qmax)',
    },
    baseline: {
      type: 'enum',
      values: ['constant', 'linear'],
      default: 'constant',
      description:
        "nuisance terms fitted with the references over `range`: a constant (the NMF shift), or a constant and a straight line in r (also what a smooth F(Q) error — normalisation, inelastic background, composition off the reduction's — leaves in G(r) across the window)",
    },
    referencesWeighted: {
      type: 'boolean',
      default: false,
      description:
        "the `references` input already carries the form-factor weights: each curve is a partial as it enters the electron G(r) per unit pair fraction (e.g. a structure model's S_ab(Q) − 1 times f_a f_b/⟨f⟩², transformed over the data's band), so amounts are not divided by f_a f_b/⟨f⟩² again",
    },
  },
  outputs: {
    fields: {
      '<name>': {
        dims: ['ny', 'nx'],
        unit: '%',
        description:
          'pair-fraction map per reference name (e.g. ZrZr, ZrX, XX); NaN where the NMF has no weights',
      },
    },
  },
  check(p, { node }) {
    if (
      typeof p.firstShell !== 'object' ||
      p.firstShell === null ||
      Array.isArray(p.firstShell) ||
      !Object.values(p.firstShell).every((v) => typeof v === 'number' && v > 0)
    ) {
      throw new ParamError(
        node,
        'firstShell',
        'expected an object of name → distance in Å, e.g. {"ZrZr": 3.2, "ZrX": 2.85, "XX": 2.5}',
      );
    }
    if (!(p.qmin < p.qmax))
      throw new ParamError(node, 'qmax', `the band [qmin, qmax] = [${p.qmin}, ${p.qmax}] Å⁻¹ is empty`);
  },
  async run({ node, params: p, inputs, scan }) {
    const nmf = await inputInfo(inputs.nmf);
    const comps = nmf.fields.components;
    const weights = nmf.fields.weights;
    if (!comps || !weights)
      throw new UserError(
        `node '${node}', input 'nmf': expected a decompose.nmf result (fields components, weights)`,
      );
    const [k, n] = comps.shape;
    const axisName =
      ((nmf.meta?.axisOf ?? {}) as Record<string, string>).components ?? Object.keys(nmf.axes ?? {})[0];
    const x = nmf.axes?.[axisName]?.data as ArrayLike<number> | undefined;
    if (!x || x.length !== n)
      throw new UserError(`node '${node}', input 'nmf': components have no axis of length ${n}`);
    const physical =
      p.physical === 'auto'
        ? ((nmf.meta?.physical as number[] | undefined) ?? Array.from({ length: k }, (_, t) => t))
        : p.physical;
    for (const t of physical)
      if (t < 0 || t >= k) throw new ParamError(node, 'physical', `component ${t} does not exist (k = ${k})`);
    const [i0, i1] = axisRange(x, p.range[0], p.range[1]);
    if (i1 - i0 < 3)
      throw new ParamError(node, 'range', `[${p.range}] holds ${i1 - i0} samples of the components' axis`);
    const xs = Array.from(x).slice(i0, i1);
    // references on the components' axis
    const refs: Record<string, ArrayLike<number>> = {};
    if (inputs.references) {
      const rv = await inputInfo(inputs.references);
      const rx = Object.values(rv.axes ?? {})[0]?.data as ArrayLike<number> | undefined;
      for (const [name, f] of Object.entries(rv.fields)) {
        if (!rx || rx.length !== f.data.length)
          throw new UserError(
            `node '${node}', input 'references': field '${name}' needs an axis of the same length`,
          );
        refs[name] = xs.map((xi) => interp(rx, f.data, xi));
      }
    } else {
      for (const [name, d] of Object.entries(p.firstShell))
        refs[name] = bandLimitedShellCurve(d, xs, p.qmin, p.qmax);
    }
    const names = Object.keys(refs);
    const score = physical.map((t) =>
      names.map((nm) => pearson(Array.from(comps.data).slice(t * n + i0, t * n + i1), refs[nm])),
    );
    const pick = bestAssignment(score.map((row) => row.map((v) => (Number.isFinite(v) ? v : -1))));
    const assignment: Record<string, Json> = {};
    const compOf: Record<string, number> = {};
    pick.forEach((j, i) => {
      if (j < 0) return;
      compOf[names[j]] = physical[i];
      assignment[names[j]] = { component: physical[i], r: score[i][j] };
    });
    const total = scan.ny * scan.nx;
    const weighted = p.referencesWeighted && !!inputs.references;
    const pw = weightsOf(p, names, node, weighted);
    const mid = 0.5 * (xs[0] + xs[xs.length - 1]);
    const nuisance = p.baseline === 'linear' ? [xs.map((xi) => xi - mid)] : [];
    const M = referenceCoefficients(
      comps.data,
      n,
      k,
      i0,
      i1,
      names.map((nm) => refs[nm]),
      nuisance,
    );
    const compIdx = p.mode === 'scale' ? Int32Array.from(names, (nm) => compOf[nm] ?? -1) : null;
    const fields: Record<string, ReturnType<typeof f32>> = {};
    for (const nm of names) fields[nm] = f32([scan.ny, scan.nx]);
    const w = new Float64Array(k);
    const frac = new Float64Array(names.length);
    for (let pos = 0; pos < total; pos++) {
      for (let t = 0; t < k; t++) w[t] = weights.data[pos * k + t];
      pairFractionsAt(w, M, pw.w, compIdx, frac);
      names.forEach((nm, j) => {
        fields[nm].data[pos] = frac[j];
      });
    }
    return {
      fields,
      meta: {
        assignment,
        mode: p.mode,
        baseline: p.baseline,
        pairWeights: pw.meta,
        referenceCoefficients: Object.fromEntries(
          M.map((row, t) => [String(t), Object.fromEntries(names.map((nm, j) => [nm, row[j]]))]),
        ),
        units: Object.fromEntries(names.map((nm) => [nm, '%'])),
        references: inputs.references
          ? 'input'
          : `close-packed shells from firstShell (per neighbour, G(r) convention, band-limited to Q ∈ [${p.qmin}, ${p.qmax}] Å⁻¹)`,
      },
    };
  },
});

function interp(x: ArrayLike<number>, y: ArrayLike<number>, xi: number): number {
  if (xi <= x[0]) return y[0];
  if (xi >= x[x.length - 1]) return y[x.length - 1];
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid] <= xi) lo = mid;
    else hi = mid;
  }
  const t = (xi - x[lo]) / (x[hi] - x[lo]);
  return y[lo] + t * (y[hi] - y[lo]);
}
