/**
 * decompose.assign: names NMF components by correlating them with reference curves (partial PDFs
 * from a structure model or the simulator via the `references` input, else built-in close-packed
 * shell curves from first-neighbour distances) and returns one pair-fraction map per name
 * (e.g. ZrZr, ZrX, XX), renormalised to 100 % over the assigned components.
 */
import { axisRange } from '../../engine/curves.ts';
import { ParamError, UserError } from '../../engine/errors.ts';
import { inputInfo } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type Json } from '../../engine/types.ts';
import { pearson } from '../map/pearson-core.ts';
import { DEFAULT_FIRST_SHELL, bestAssignment, shellCurve } from './references.ts';

interface AssignParams {
  firstShell: Record<string, number>;
  range: number[];
  physical: number[] | 'auto';
}

export const decomposeAssign = defineOp<AssignParams>({
  name: 'decompose.assign',
  version: 1,
  scope: 'dataset',
  title: 'Name NMF components by reference curves',
  description:
    'Correlates the physical NMF components with reference curves over `range` and picks the best one-to-one assignment (all permutations). References: the `references` input (fields = names, curves on the same x axis kind), else close-packed shell curves from `firstShell` distances. Output: one map per name = that component\'s share (%) of the assigned components.',
  inputs: {
    nmf: { scope: 'dataset', description: 'decompose.nmf result (components, weights)' },
    references: { scope: 'dataset', optional: true, description: 'reference curves: one field [n] per name, with an axis' },
  },
  params: {
    firstShell: { type: 'json', default: DEFAULT_FIRST_SHELL as unknown as Json, unit: 'Å', description: 'built-in references: name → first-neighbour distance' },
    range: { type: 'number[]', length: 2, default: [2.0, 4.0], unit: 'Å', description: 'x range over which curves are correlated' },
    physical: { type: 'number[]', auto: true, default: 'auto', description: 'components to assign (0-based); "auto" = the nmf result\'s physical components' },
  },
  outputs: {
    '<name>': { unit: '%', description: 'pair-fraction map [ny, nx] per reference name (e.g. ZrZr, ZrX, XX)' },
  },
  check(p, { node }) {
    if (typeof p.firstShell !== 'object' || p.firstShell === null || Array.isArray(p.firstShell) || !Object.values(p.firstShell).every((v) => typeof v === 'number' && v > 0)) {
      throw new ParamError(node, 'firstShell', 'expected an object of name → distance in Å, e.g. {"ZrZr": 3.2, "ZrX": 2.85, "XX": 2.5}');
    }
  },
  async run({ node, params: p, inputs, scan }) {
    const nmf = await inputInfo(inputs.nmf);
    const comps = nmf.fields.components;
    const weights = nmf.fields.weights;
    if (!comps || !weights) throw new UserError(`node '${node}', input 'nmf': expected a decompose.nmf result (fields components, weights)`);
    const [k, n] = comps.shape;
    const axisName = ((nmf.meta?.axisOf ?? {}) as Record<string, string>).components ?? Object.keys(nmf.axes ?? {})[0];
    const x = nmf.axes?.[axisName]?.data as ArrayLike<number> | undefined;
    if (!x || x.length !== n) throw new UserError(`node '${node}', input 'nmf': components have no axis of length ${n}`);
    const physical = p.physical === 'auto' ? ((nmf.meta?.physical as number[] | undefined) ?? Array.from({ length: k }, (_, t) => t)) : p.physical;
    for (const t of physical) if (t < 0 || t >= k) throw new ParamError(node, 'physical', `component ${t} does not exist (k = ${k})`);
    const [i0, i1] = axisRange(x, p.range[0], p.range[1]);
    if (i1 - i0 < 3) throw new ParamError(node, 'range', `[${p.range}] holds ${i1 - i0} samples of the components' axis`);
    const xs = Array.from(x).slice(i0, i1);
    // references on the components' axis
    const refs: Record<string, ArrayLike<number>> = {};
    if (inputs.references) {
      const rv = await inputInfo(inputs.references);
      const rx = Object.values(rv.axes ?? {})[0]?.data as ArrayLike<number> | undefined;
      for (const [name, f] of Object.entries(rv.fields)) {
        if (!rx || rx.length !== f.data.length) throw new UserError(`node '${node}', input 'references': field '${name}' needs an axis of the same length`);
        refs[name] = xs.map((xi) => interp(rx, f.data, xi));
      }
    } else {
      for (const [name, d] of Object.entries(p.firstShell)) refs[name] = shellCurve(d, xs);
    }
    const names = Object.keys(refs);
    const score = physical.map((t) => names.map((nm) => pearson(Array.from(comps.data).slice(t * n + i0, t * n + i1), refs[nm])));
    const pick = bestAssignment(score.map((row) => row.map((v) => (Number.isFinite(v) ? v : -1))));
    const assignment: Record<string, Json> = {};
    const compOf: Record<string, number> = {};
    pick.forEach((j, i) => {
      if (j < 0) return;
      compOf[names[j]] = physical[i];
      assignment[names[j]] = { component: physical[i], r: score[i][j] };
    });
    const total = scan.ny * scan.nx;
    const fields: Record<string, ReturnType<typeof f32>> = {};
    const assigned = Object.values(compOf);
    for (const nm of names) {
      const out = f32([scan.ny, scan.nx]);
      const t = compOf[nm];
      for (let pos = 0; pos < total; pos++) {
        if (t === undefined) {
          out.data[pos] = NaN;
          continue;
        }
        let s = 0;
        for (const u of assigned) s += weights.data[pos * k + u];
        out.data[pos] = s > 0 ? (100 * weights.data[pos * k + t]) / s : NaN;
      }
      fields[nm] = out;
    }
    return { fields, meta: { assignment, units: Object.fromEntries(names.map((nm) => [nm, '%'])), references: inputs.references ? 'input' : 'close-packed shells from firstShell' } };
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
