/**
 * fit.structure: the small-box quasi-binary structure model (PDFgui-style, SCIENCE.md) fitted to each
 * position's G(r): per phase (X–X, Zr–Zr, Zr–X) a scale and an FCC lattice parameter with standard
 * errors, the pair fractions (normalised scales) and α / α_WC from them (qoi.sro's formulas), Rw,
 * iterations, a status code, and the fitted curve. A failed fit is NaN plus a status, never an exception.
 * Also takes one dataset-level curve (e.g. a region's mean G(r)): it is fitted once and the result
 * is the same at every position (and in meta.datasetFit).
 */
import { curveOf } from '../../engine/curves.ts';
import { requireFieldOf } from '../../engine/inputs.ts';
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import {
  defineOp,
  type FieldDecl,
  type Json,
  type OutputDecl,
  type NDArray,
  type Value,
  type OpParams,
} from '../../engine/types.ts';
import { CompositionError, parseComposition } from '../pdf/composition.ts';
import type { FormFactorTable } from '../pdf/formfactors.ts';
import {
  STRUCTURE_FIELDS,
  STRUCTURE_STATUS,
  StructurePlan,
  structureOutputs,
  type StructureSettings,
} from './fit.ts';
import { PHASES } from './model.ts';
import { WeightsError, pairWeights } from './weights.ts';

/** The op's params: the fit settings, with the band, weights and density still as written in the graph. */
export type StructureParams = OpParams<typeof fitStructure>;

/** pdf.reduce's defaults: the band assumed when neither the params nor the input's meta give one. */
const REDUCE_QMIN = 0.1;
const REDUCE_QMAX = 8.1;

interface Resolved {
  key: string;
  /** Said once per plan (an assumption the user may want to know about). */
  note: string | null;
  settings: StructureSettings;
  meta: Record<string, Json>;
}

interface StructureState {
  plans: Map<string, StructurePlan>;
  /** Set when the input is one dataset-level curve: its fit, broadcast to every position. */
  datasetFit: {
    fields: Record<string, number>;
    curve: Float32Array | null;
    plan: StructurePlan;
    meta: Record<string, Json>;
  } | null;
}

function compositionOf(spec: Json, node: string) {
  try {
    return parseComposition(spec);
  } catch (e) {
    if (e instanceof CompositionError) throw new ParamError(node, 'composition', e.message);
    throw e;
  }
}

/** Settings for one input value: params first, then what pdf.reduce wrote into meta, then defaults. */
function resolve(p: StructureParams, v: Value, node: string): Resolved {
  const meta = (v.meta ?? {}) as Record<string, Json>;
  const compSpec = p.composition ?? meta.composition ?? null;
  if (compSpec === null)
    throw new ParamError(
      node,
      'composition',
      'not given, and the input carries no composition in its meta (pdf.reduce writes one): give e.g. "Zr65Cu17.5Ni10Al7.5"',
    );
  const comp = compositionOf(compSpec, node);
  const table = (p.formFactors ??
    (meta.formFactors === 'kirkland' ? 'kirkland' : 'lobato')) as FormFactorTable;
  const metaNum = (k: string) => (typeof meta[k] === 'number' ? (meta[k] as number) : null);
  const qmin = p.qmin === 'auto' ? (metaNum('qmin') ?? REDUCE_QMIN) : p.qmin;
  const qmax = p.qmax === 'auto' ? (metaNum('qmax') ?? REDUCE_QMAX) : p.qmax;
  if (!(qmin < qmax))
    throw new ParamError(node, 'qmax', `the band [qmin, qmax] = [${qmin}, ${qmax}] Å⁻¹ is empty`);
  const window = p.window === 'auto' ? (meta.window === 'lorch' ? 'lorch' : 'none') : p.window;
  let weights: ReturnType<typeof pairWeights>;
  try {
    weights = pairWeights(comp, p.zr, table, p.weightQ === 'auto' ? null : p.weightQ, qmin, qmax);
  } catch (e) {
    if (e instanceof WeightsError)
      throw new ParamError(node, p.composition !== null ? 'composition' : 'zr', e.message);
    throw e;
  }
  const settings: StructureSettings = {
    range: p.range,
    aStart: p.aStart,
    aDelta: p.aDelta,
    u: p.u,
    diameter: p.diameter,
    qdamp: p.qdamp,
    qmin,
    qmax,
    window,
    weights: weights.w,
    rho0: p.rho0 === 'auto' ? null : p.rho0,
    maxEval: p.maxEval ?? undefined,
  };
  const outMeta: Record<string, Json> = {
    phases: [...PHASES],
    weights: Object.fromEntries(PHASES.map((ph, k) => [ph, weights.w[k]])),
    cZr: weights.cZr,
    composition: Object.fromEntries(comp.symbols.map((s, k) => [s, comp.fractions[k]])),
    formFactors: table,
    band: { qmin, qmax, window },
    rho0: settings.rho0 ?? 'each phase 4/a³',
    fitRange: p.range,
    statusCodes: STRUCTURE_STATUS as unknown as Record<string, string>,
    axisOf: { fit: 'r' },
    units: {
      aXX: 'Å',
      aZrZr: 'Å',
      aZrX: 'Å',
      aXX_err: 'Å',
      aZrZr_err: 'Å',
      aZrX_err: 'Å',
      fit: 'Å⁻²',
      r: 'Å',
    },
  };
  const note =
    p.qmax === 'auto' && metaNum('qmax') === null
      ? `${node}: the input does not say its transform band; assuming pdf.reduce's default Q ∈ [${qmin}, ${qmax}] Å⁻¹ (set qmin / qmax if the data used another)`
      : null;
  return {
    key: JSON.stringify(settings, (_, x) => (x instanceof Float64Array ? Array.from(x) : x)),
    settings,
    meta: outMeta,
    note,
  };
}

function planFor(
  state: StructureState,
  res: Resolved,
  x: ArrayLike<number>,
  log: (m: string) => void,
): StructurePlan {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * (i + 1);
  const key = `${res.key}|${x.length}:${x[0]}:${x[x.length - 1]}:${sum}`;
  let plan = state.plans.get(key);
  if (!plan) {
    if (res.note) log(res.note);
    plan = new StructurePlan(x, res.settings);
    state.plans.set(key, plan);
  }
  return plan;
}

/** The fields: per phase a scale and lattice parameter, their errors, pair fractions, α, fit quality; `fit` with param curve. */
function outputsFor(curve: boolean): OutputDecl {
  const f = (description: string, unit?: string): FieldDecl => ({
    dims: ['positions'],
    ...(unit ? { unit } : {}),
    description,
  });
  const fields: Record<string, FieldDecl> = {};
  for (const ph of PHASES) {
    fields[`scale${ph}`] = f(`scale of phase ${ph} (the model is Σ scale·(f_i f_j/⟨f⟩²)·G_FCC)`);
    fields[`a${ph}`] = f(`FCC lattice parameter of phase ${ph}; nearest neighbours at a/√2`, 'Å');
  }
  for (const ph of PHASES) {
    fields[`scale${ph}_err`] = f(
      `standard error of scale${ph} (curve_fit convention: √diag((JᵀJ)⁻¹·2cost/(m − 6)))`,
    );
    fields[`a${ph}_err`] = f(`standard error of a${ph}`, 'Å');
  }
  for (const ph of PHASES)
    fields[ph] = f(`pair fraction of ${ph} = normalised scale (the three sum to 1); the name qoi.sro reads`);
  fields.alpha = f('chemical short-range order α = P_ZrX/P_random − 1 (qoi.sro)');
  fields.alphaWC = f('Warren–Cowley α from the same fractions');
  fields.rw = f('Rw = √(Σ(G − fit)² / Σ G²) over the fit range');
  fields.chi2 = f('Σ(G − fit)² / (m − 6)');
  fields.iterations = f('accepted solver steps');
  fields.status = f(
    'fit outcome, see meta.statusCodes: 0 converged, 1 maxEval, 2 on a bound, 3 non-finite, 4 too few points, 5 all scales 0, 6 outside the mask (not fitted)',
  );
  if (curve)
    fields.fit = {
      dims: ['positions', 'm'],
      unit: 'Å⁻²',
      axis: 'r',
      description: 'fitted G(r) on the fit range (param curve)',
    };
  return { fields, axes: { r: { unit: 'Å', description: 'r of the fit range' } } };
}

export const fitStructure = defineOp({
  name: 'fit.structure',
  version: 3, // 2: range ends on a float32 axis included (engine/curves.ts axisRange); 3: mask input, status 6
  scope: 'frame',
  title: 'Small-box structure fit (quasi-binary FCC phases, PDFgui-style)',
  description:
    'Fits G(r) with three FCC "phases" X–X, Zr–Zr, Zr–X, each counting only its own pair type weighted by f_i f_j/⟨f⟩² (quasi-binary Zr / X, electron form factors): per phase a scale and lattice parameter; Gaussian shells of σ² = 2U, (1/r)Σ − 4πρr, spherical envelope and Qdamp, and the data\'s own band limit [qmin, qmax] (termination ripples). Normalised scales are pair fractions → α (qoi.sro). Bounded trust-region least squares (nodes/fit) with an analytic Jacobian; starts from the non-negative linear least-squares scales at aStart.',
  inputs: {
    g: {
      scope: 'any',
      description:
        'G(r): pdf.reduce (field G) or source.profiles with axis r; per position, or one dataset-level curve',
    },
    mask: {
      scope: 'dataset',
      optional: true,
      description:
        "positions to fit, [ny, nx] nonzero = fit (e.g. map.cut positions: only a line cut, as the study's Fig. S9); the others get NaN and status 6 at no cost",
    },
  },
  params: {
    composition: {
      type: 'json',
      optional: true,
      description:
        "formula or amounts as in pdf.reduce; default: the composition in the input's meta (pdf.reduce writes it)",
    },
    zr: {
      type: 'string',
      default: 'Zr',
      description:
        'the element playing "Zr" in the quasi-binary; every other element is "X" (form factors averaged by composition)',
    },
    formFactors: {
      type: 'enum',
      values: ['lobato', 'kirkland'],
      optional: true,
      description:
        "electron form factors for the weights; default: the input's (pdf.reduce meta), else lobato",
    },
    weightQ: {
      type: 'number',
      auto: true,
      default: 'auto',
      min: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: 'Q at which f_i f_j/⟨f⟩² is taken; "auto" = averaged over [qmin, qmax]',
    },
    rho0: {
      type: 'number',
      auto: true,
      default: 'auto',
      exclusiveMin: 0,
      unit: 'Å⁻³',
      description:
        'number density of the −4πρr baseline; "auto" = each phase\'s own 4/a³ (PDFgui: from the unit cell, so the normalised scales are pair fractions); a number (e.g. 0.051 for Zr65Cu17.5Ni10Al7.5) fixes it for every phase',
    },
    range: { type: 'number[]', length: 2, default: [1.8, 8.0], unit: 'Å', description: 'fit range [r0, r1]' },
    aStart: {
      type: 'number[]',
      length: 3,
      default: [3.68, 4.67, 4.17],
      exclusiveMin: 0,
      unit: 'Å',
      description: 'starting lattice parameters [X–X, Zr–Zr, Zr–X] = (nearest-neighbour distance + 0.1)·√2',
    },
    aDelta: {
      type: 'number',
      default: 0.4,
      exclusiveMin: 0,
      unit: 'Å',
      description:
        'each lattice parameter is bounded to aStart ± aDelta (keeps the phases from trading places)',
    },
    u: {
      type: 'number',
      default: 0.005,
      exclusiveMin: 0,
      unit: 'Å²',
      description: 'isotropic ADP of every atom (fixed); peak σ² = 2U',
    },
    diameter: {
      type: 'number',
      default: 9,
      min: 0,
      unit: 'Å',
      description: 'spherical-particle envelope diameter; 0 = none',
    },
    qdamp: {
      type: 'number',
      default: 0.4,
      min: 0,
      unit: 'Å⁻¹',
      description: 'Q-resolution damping exp(−(Qdamp·r)²/2); 0 = none',
    },
    qmin: {
      type: 'number',
      auto: true,
      default: 'auto',
      min: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description:
        'lower end of the data\'s transform band; "auto" = from the input meta, else pdf.reduce\'s default 0.1',
    },
    qmax: {
      type: 'number',
      auto: true,
      default: 'auto',
      exclusiveMin: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description:
        'upper end of the band (termination ripples); "auto" = from the input meta, else pdf.reduce\'s default 8.1',
    },
    window: {
      type: 'enum',
      values: ['auto', 'none', 'lorch'],
      default: 'auto',
      description:
        'the window the data\'s transform used; "auto" = the input\'s (pdf.reduce meta), else none',
    },
    curve: {
      type: 'boolean',
      default: true,
      description: 'also output the fitted curve per position (field fit)',
    },
    maxEval: {
      type: 'integer',
      optional: true,
      min: 1,
      description: 'maximum model evaluations per fit (default 600)',
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input to fit (default: G, else the only field)',
    },
  },
  outputs: (p) => outputsFor(p.curve),
  check(p, { node }) {
    if (!(p.range[0] < p.range[1]))
      throw new ParamError(node, 'range', `expected [r0, r1] with r0 < r1, got [${p.range}]`);
    if (!(p.range[0] > 0))
      throw new ParamError(node, 'range', `r0 must be > 0 Å (G(r) carries 1/r), got ${p.range[0]}`);
    for (let k = 0; k < 3; k++) {
      if (!((p.aStart[k] - p.aDelta) / Math.SQRT2 >= 1))
        throw new ParamError(
          node,
          'aDelta',
          `aStart ${p.aStart[k]} − aDelta ${p.aDelta} puts the ${PHASES[k]} nearest neighbours below 1 Å`,
        );
    }
    if (!(p.diameter > 0 || p.qdamp > 0))
      throw new ParamError(
        node,
        'diameter',
        'a diameter > 0 or a qdamp > 0 is needed (an infinite crystal has no finite model range)',
      );
    if (p.composition !== null) {
      const comp = compositionOf(p.composition, node);
      if (!comp.symbols.includes(p.zr))
        throw new ParamError(node, 'zr', `'${p.zr}' is not in the composition (${comp.symbols.join(', ')})`);
      if (comp.symbols.length < 2)
        throw new ParamError(node, 'composition', `needs at least one element besides ${p.zr}`);
    }
    if (p.qmin !== 'auto' && p.qmax !== 'auto' && !(p.qmin < p.qmax))
      throw new ParamError(node, 'qmin', `qmin ${p.qmin} must be below qmax ${p.qmax} Å⁻¹`);
  },
  prepare({ node, params: p, inputs, log }): StructureState {
    const state: StructureState = { plans: new Map(), datasetFit: null };
    const v = inputs.g;
    if (!v) return state; // per-position input: plans are built per r axis in process()
    const c = curveOf(v, node, { field: p.field, preferred: ['G'] });
    if (c.xName !== 'r')
      throw new UserError(
        `node '${node}', input 'g': field '${c.field}' is on axis '${c.xName}'; fit.structure needs G(r) (axis r in Å)`,
      );
    const n = c.x.data.length;
    if (c.y.data.length !== n)
      throw new UserError(
        `node '${node}', input 'g': a dataset-level input must be one curve of ${n} points, got shape [${c.y.shape}] (per-position curves come from a per-position node)`,
      );
    const res = resolve(p, v, node);
    const plan = planFor(state, res, c.x.data, log);
    const out = structureOutputs(1);
    const flat = Object.fromEntries(Object.entries(out).map(([k, a]) => [k, a.data]));
    const curve = p.curve ? new Float32Array(plan.r.length) : null;
    plan.fitRows(c.y.data, n, 1, flat, curve);
    const fields = Object.fromEntries(STRUCTURE_FIELDS.map((f) => [f, flat[f][0]]));
    const summary = Object.fromEntries(
      Object.entries(fields).map(([k, x]) => [k, Number.isFinite(x) ? x : null]),
    );
    state.datasetFit = { fields, curve, plan, meta: { ...res.meta, datasetFit: summary } };
    return state;
  },
  process({ node, params: p, inputs, chunk, state, log }) {
    const count = chunk.count;
    if (state.datasetFit) {
      const { fields, curve, plan, meta } = state.datasetFit;
      const out: Record<string, NDArray> = {};
      for (const f of STRUCTURE_FIELDS) out[f] = f32([count], new Float32Array(count).fill(fields[f]));
      if (curve) {
        const fit = f32([count, curve.length]);
        for (let c = 0; c < count; c++) fit.data.set(curve, c * curve.length);
        out.fit = fit;
      }
      return { fields: out, axes: { r: f32([plan.r.length], plan.r) }, meta };
    }
    const v = inputs.g;
    const c = curveOf(v, node, { field: p.field, preferred: ['G'] });
    if (c.xName !== 'r')
      throw new UserError(
        `node '${node}', input 'g': field '${c.field}' is on axis '${c.xName}'; fit.structure needs G(r) (axis r in Å)`,
      );
    const n = c.x.data.length;
    if (c.y.data.length !== count * n)
      throw new UserError(
        `node '${node}', input 'g': field '${c.field}' has shape [${c.y.shape}], expected [${count}, ${n}]`,
      );
    const res = resolve(p, v, node);
    const plan = planFor(state, res, c.x.data, log);
    const out = structureOutputs(count);
    const flat = Object.fromEntries(Object.entries(out).map(([k, a]) => [k, a.data]));
    const m = plan.r.length;
    const fit = p.curve ? f32([count, m]) : null;
    const rows = selectedRows(inputs.mask, node, chunk.start, count);
    if (rows) fitSelected(plan, c.y.data, n, rows, flat, fit ? fit.data : null, m);
    else plan.fitRows(c.y.data, n, count, flat, fit ? fit.data : null);
    const fields: Record<string, NDArray> = { ...out };
    if (fit) fields.fit = fit;
    return { fields, axes: { r: f32([m], plan.r) }, meta: res.meta };
  },
});

/** Rows of the chunk the mask selects (null: no mask, fit every row). */
function selectedRows(mask: Value | undefined, node: string, start: number, count: number): number[] | null {
  if (!mask) return null;
  const f = requireFieldOf(mask, 'mask', node, 'mask');
  if (f.data.length < start + count)
    throw new UserError(
      `node '${node}', input 'mask': expected one value per scan position, got shape [${f.shape}]`,
    );
  const rows: number[] = [];
  for (let c = 0; c < count; c++) if (f.data[start + c]) rows.push(c);
  return rows;
}

/** Fit only `rows` of y (gathered into a compact block), the rest NaN with status 6. */
function fitSelected(
  plan: StructurePlan,
  y: ArrayLike<number>,
  n: number,
  rows: number[],
  flat: Record<string, Float32Array>,
  curve: Float32Array | null,
  m: number,
): void {
  const k = rows.length;
  const ySel = new Float32Array(k * n);
  rows.forEach((c, j) => {
    for (let i = 0; i < n; i++) ySel[j * n + i] = y[c * n + i];
  });
  const sub = Object.fromEntries(Object.keys(flat).map((f) => [f, new Float32Array(k)]));
  const subCurve = curve ? new Float32Array(k * m) : null;
  if (k) plan.fitRows(ySel, n, k, sub, subCurve);
  for (const f of Object.keys(flat)) flat[f].fill(f === 'status' ? 6 : Number.NaN);
  if (curve) curve.fill(Number.NaN);
  rows.forEach((c, j) => {
    for (const f of Object.keys(flat)) flat[f][c] = sub[f][j];
    if (curve && subCurve) curve.set(subCurve.subarray(j * m, (j + 1) * m), c * m);
  });
}
