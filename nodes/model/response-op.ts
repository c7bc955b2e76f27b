/**
 * model.response: how the study's first-shell QoIs respond to chemistry, simulated from a structure
 * model (the reference study's Fig. 7(c)). From reference partials per unit pair fraction (the
 * convention of model.partials and the simulator's partials: Σ_t P_t G_t is the glass's G(r)), the
 * G(r) of a glass with Zr fraction c and short-range order α is built with the pair fractions of
 * SCIENCE.md (P_ZrX = (1 + α)·min(c, 1 − c), P_ZrZr = c − P_ZrX/2, P_XX = 1 − c − P_ZrX/2), and read
 * as the data are: r₁max (first maximum in `peakRange`) and the two-Gaussian fit's c₁ + c₂
 * ("r₁max + r₂max", sensitive to chemical short-range order). One row per c, one column per α, so
 * a user can see, for their alloy's model, which way and how far each QoI moves with clustering.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { inputInfo } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type Value, type OpParams } from '../../engine/types.ts';
import { fitCurves } from '../fit/gaussians.ts';
import { argmaxIn, refineAt } from '../qoi/peak-find.ts';

type ResponseParams = OpParams<typeof modelResponseOp>;

/** Pair fractions of a quasi-binary glass with Zr fraction c and SCIENCE.md's α (clamped to [−1, 1]). */
export function pairFractionsOf(c: number, alpha: number): [number, number, number] {
  const zrx = (1 + Math.max(-1, Math.min(1, alpha))) * Math.min(c, 1 - c);
  return [Math.max(0, c - zrx / 2), zrx, Math.max(0, 1 - c - zrx / 2)];
}

function check(p: ResponseParams, node: string): void {
  if (p.c.length === 0 || !p.c.every((v) => v > 0 && v < 1))
    throw new ParamError(node, 'c', `expected Zr fractions in (0, 1), got [${p.c}]`);
  if (p.alpha.length !== 2 || !(p.alpha[0] < p.alpha[1]) || p.alpha[0] < -1 || p.alpha[1] > 1)
    throw new ParamError(node, 'alpha', `expected [αmin, αmax] with −1 ≤ αmin < αmax ≤ 1, got [${p.alpha}]`);
  for (const k of ['peakRange', 'fitRange'] as const)
    if (p[k].length !== 2 || !(p[k][0] < p[k][1]))
      throw new ParamError(node, k, `expected [r0, r1] with r0 < r1 (Å), got [${p[k]}]`);
  if (p.names.length !== 3)
    throw new ParamError(
      node,
      'names',
      `expected the three pair names [Zr–Zr, Zr–X, X–X] as the references name them, got [${p.names}]`,
    );
}

export const modelResponseOp = defineOp({
  name: 'model.response',
  version: 1,
  scope: 'dataset',
  title: 'QoI response to chemistry, simulated from a structure model',
  description:
    "The reference study's Fig. 7(c): from reference partials per unit pair fraction (model.partials, decompose.references or the simulator's partials: Σ_t P_t G_t is the glass G(r)), builds the G(r) of a glass with Zr fraction c (one row per value of `c`) and short-range order α (`steps` values over `alpha`), with SCIENCE.md's pair fractions P_ZrX = (1 + α)·min(c, 1 − c), P_ZrZr = c − P_ZrX/2, P_XX = 1 − c − P_ZrX/2, and reads r₁max (first maximum in peakRange) and the study's two-Gaussian fit (reference starts and bounds, soft-L1, fScale 0.005) over fitRange: c₁, c₂ and c₁ + c₂ (\"r₁max + r₂max\").",
  inputs: {
    references: {
      scope: 'dataset',
      description: 'reference partials: one field [n] per pair name, with the r axis',
    },
  },
  params: {
    c: { type: 'number[]', default: [0.45, 0.55, 0.65], description: 'Zr fractions, one output row each' },
    alpha: {
      type: 'number[]',
      length: 2,
      default: [-0.5, 0.5],
      description: 'range of the short-range order α (SCIENCE.md definition)',
    },
    steps: { type: 'integer', default: 21, min: 2, max: 1001, description: 'α values across the range' },
    peakRange: {
      type: 'number[]',
      length: 2,
      default: [2.2, 3.4],
      unit: 'Å',
      description: 'window of the first G(r) maximum (as the r1 node)',
    },
    fitRange: {
      type: 'number[]',
      length: 2,
      default: [2.1, 4.0],
      unit: 'Å',
      description: 'two-Gaussian fit window (as the fit node)',
    },
    names: {
      type: 'string[]',
      default: ['ZrZr', 'ZrX', 'XX'],
      description: 'field names of the Zr–Zr, Zr–X and X–X references',
    },
  },
  outputs: {
    fields: {
      r1max: { dims: ['c', 'α'], unit: 'Å', axis: 'alpha', description: 'first G(r) maximum' },
      r1r2: { dims: ['c', 'α'], unit: 'Å', axis: 'alpha', description: 'c₁ + c₂ of the two-Gaussian fit' },
      c1: { dims: ['c', 'α'], unit: 'Å', axis: 'alpha', description: 'first Gaussian centre' },
      c2: { dims: ['c', 'α'], unit: 'Å', axis: 'alpha', description: 'second Gaussian centre' },
      pZrZr: { dims: ['c', 'α'], axis: 'alpha', description: 'pair fraction P_ZrZr' },
      pZrX: { dims: ['c', 'α'], axis: 'alpha', description: 'pair fraction P_ZrX' },
      pXX: { dims: ['c', 'α'], axis: 'alpha', description: 'pair fraction P_XX' },
    },
    axes: { alpha: { description: 'the α values of the sweep' } },
  },
  check(p, { node }) {
    check(p, node);
  },
  async run({ node, params: p, inputs }): Promise<Value> {
    check(p, node);
    const refs = await inputInfo(inputs.references);
    const r = Object.values(refs.axes ?? {})[0]?.data as ArrayLike<number> | undefined;
    const curves = p.names.map((nm) => refs.fields[nm]?.data);
    curves.forEach((cv, i) => {
      if (!cv)
        throw new ParamError(
          node,
          'names',
          `input 'references' has no field '${p.names[i]}' (it has: ${Object.keys(refs.fields).join(', ')})`,
        );
    });
    if (!r || curves.some((cv) => cv!.length !== r.length))
      throw new UserError(`node '${node}', input 'references': every field needs the r axis of its length`);
    const n = r.length;
    const k = p.c.length;
    const m = p.steps;
    const alphas = Float64Array.from(
      { length: m },
      (_, j) => p.alpha[0] + ((p.alpha[1] - p.alpha[0]) * j) / (m - 1),
    );
    const G = f32([k * m, n]);
    const out = {
      r1max: f32([k, m]),
      r1r2: f32([k, m]),
      c1: f32([k, m]),
      c2: f32([k, m]),
      pZrZr: f32([k, m]),
      pZrX: f32([k, m]),
      pXX: f32([k, m]),
    };
    const i0 = Array.from(r).findIndex((x) => x >= p.peakRange[0]);
    let i1 = Array.from(r).findIndex((x) => x > p.peakRange[1]);
    if (i1 < 0) i1 = n;
    if (i0 < 0 || i1 - i0 < 3)
      throw new ParamError(
        node,
        'peakRange',
        `[${p.peakRange}] Å holds ${Math.max(0, i1 - i0)} samples of the references' r axis`,
      );
    for (let a = 0; a < k; a++)
      for (let j = 0; j < m; j++) {
        const P = pairFractionsOf(p.c[a], alphas[j]);
        const row = a * m + j;
        for (let i = 0; i < n; i++)
          G.data[row * n + i] = P[0] * curves[0]![i] + P[1] * curves[1]![i] + P[2] * curves[2]![i];
        const g = G.data.subarray(row * n, (row + 1) * n);
        out.r1max.data[row] = refineAt(r, g, 0, n, argmaxIn(g, 0, i0, i1))[0];
        out.pZrZr.data[row] = P[0];
        out.pZrX.data[row] = P[1];
        out.pXX.data[row] = P[2];
      }
    const fit = fitCurves(
      G,
      r,
      k * m,
      {
        n: 2,
        range: [p.fitRange[0], p.fitRange[1]],
        init: 'reference',
        start: null,
        lower: null,
        upper: null,
        loss: 'soft_l1',
        fScale: 0.005,
        maxEval: null,
        field: null,
      },
      'r',
      { dataStart: false },
    ).fields; // the study's table starts on every curve, as documented
    for (let row = 0; row < k * m; row++) {
      out.c1.data[row] = fit.c1.data[row];
      out.c2.data[row] = fit.c2.data[row];
      out.r1r2.data[row] = fit.c1.data[row] + fit.c2.data[row];
    }
    const names = Object.keys(out);
    return {
      fields: out,
      axes: { alpha: { dtype: 'float64', shape: [m], data: alphas } },
      meta: {
        axisOf: Object.fromEntries(names.map((nm) => [nm, 'alpha'])),
        units: { r1max: 'Å', r1r2: 'Å', c1: 'Å', c2: 'Å' },
        rows: p.c.map((c) => `c = ${c}`),
        c: p.c,
        fitStatus: Array.from(fit.status.data),
      },
    };
  },
});
