/**
 * decompose.references: reference curves written into the graph itself — e.g. the partial PDFs of a
 * structure model (MD, a small-box fit, the simulator's model) — for decompose.assign's
 * `references` input. Inline rather than a second data file: the curves are part of the graph's
 * hash, so editing them recomputes what depends on them, and a run's manifest records them.
 */
import { ParamError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type Json } from '../../engine/types.ts';

interface ReferencesParams {
  rmin: number;
  rstep: number;
  curves: Record<string, number[]>;
  unit: string;
}

/** Checks `curves`: an object of name → array of finite numbers, all of one length ≥ 2. */
export function checkCurves(curves: Json, node: string): number {
  const bad = (msg: string) => new ParamError(node, 'curves', `${msg}; expected an object of name → array of numbers, all of one length, e.g. {"ZrZr": […], "ZrX": […], "XX": […]}`);
  if (typeof curves !== 'object' || curves === null || Array.isArray(curves) || Object.keys(curves).length === 0) throw bad('no curves');
  let n = -1;
  for (const [name, c] of Object.entries(curves)) {
    if (!Array.isArray(c) || !c.every((v) => typeof v === 'number' && Number.isFinite(v))) throw bad(`curve '${name}' is not an array of finite numbers`);
    if (n >= 0 && c.length !== n) throw bad(`curve '${name}' has ${c.length} samples, the others ${n}`);
    n = c.length;
  }
  if (n < 2) throw bad('curves need at least 2 samples');
  return n;
}

export const decomposeReferences = defineOp<ReferencesParams>({
  name: 'decompose.references',
  version: 1,
  scope: 'dataset',
  title: 'Reference curves given in the graph',
  description:
    'Reference curves (e.g. a structure model\'s partial PDFs G_ab(r)) given inline: `curves` maps a name (ZrZr, ZrX, XX, …) to its samples on the uniform axis r = rmin + i·rstep. One field [n] per name, with the axis r; feed it to decompose.assign\'s `references` input.',
  inputs: {},
  params: {
    rmin: { type: 'number', unit: 'Å', description: 'x of the first sample' },
    rstep: { type: 'number', exclusiveMin: 0, unit: 'Å', description: 'sample spacing' },
    curves: { type: 'json', description: 'name → samples (all of one length), e.g. {"ZrZr": […], "ZrX": […], "XX": […]}' },
    unit: { type: 'string', default: 'Å⁻²', description: 'unit of the curves (documentation)' },
  },
  outputs: {
    '<name>': { description: 'one reference curve [n] per name, on axes.r' },
  },
  check(p, { node }) {
    checkCurves(p.curves as unknown as Json, node);
  },
  run({ node, params: p }) {
    const n = checkCurves(p.curves as unknown as Json, node);
    const fields = Object.fromEntries(Object.entries(p.curves).map(([name, c]) => [name, f32([n], Float32Array.from(c))]));
    const r = { dtype: 'float64' as const, shape: [n], data: Float64Array.from({ length: n }, (_, i) => p.rmin + i * p.rstep) };
    return { fields, axes: { r }, meta: { axisOf: Object.fromEntries(Object.keys(fields).map((k) => [k, 'r'])), units: { ...Object.fromEntries(Object.keys(fields).map((k) => [k, p.unit])), r: 'Å' } } };
  },
});
