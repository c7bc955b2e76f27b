/**
 * decompose.references: reference curves — e.g. the partial PDFs of a structure model (MD, a
 * small-box fit, the simulator's model) — for decompose.assign's `references` input, either written
 * into the graph (`curves`) or read from a table file (`file`, what modelling tools export). Either
 * way they are part of the key: inline curves through the params, a file through its content hash
 * (engine/param-files.ts), so editing them recomputes what depends on them.
 */
import fs from 'node:fs';
import { FileFormatError } from '../../engine/errors.ts';
import { resolveParamFile } from '../../engine/param-files.ts';
import { parseCurveTable } from '../../formats/curve-table.ts';
import { ParamError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type Json, type Value, type OpParams } from '../../engine/types.ts';

type ReferencesParams = OpParams<typeof decomposeReferences>;

/** Exactly one source: inline curves on rmin + i·rstep, or a file. */
function checkSource(p: ReferencesParams, node: string): void {
  if ((p.curves === null) === (p.file === null))
    throw new ParamError(
      node,
      p.file === null ? 'curves' : 'file',
      'give either inline `curves` (with rmin, rstep) or a `file`, not both and not neither',
    );
  if (p.curves !== null) {
    for (const k of ['rmin', 'rstep'] as const)
      if (p[k] === null)
        throw new ParamError(node, k, 'needed with inline curves (the axis is r = rmin + i·rstep)');
    checkCurves(p.curves as unknown as Json, node);
  }
}

/** Checks `curves`: an object of name → array of finite numbers, all of one length ≥ 2. */
export function checkCurves(curves: Json, node: string): number {
  const bad = (msg: string) =>
    new ParamError(
      node,
      'curves',
      `${msg}; expected an object of name → array of numbers, all of one length, e.g. {"ZrZr": […], "ZrX": […], "XX": […]}`,
    );
  if (
    typeof curves !== 'object' ||
    curves === null ||
    Array.isArray(curves) ||
    Object.keys(curves).length === 0
  )
    throw bad('no curves');
  let n = -1;
  for (const [name, c] of Object.entries(curves)) {
    if (!Array.isArray(c) || !c.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw bad(`curve '${name}' is not an array of finite numbers`);
    if (n >= 0 && c.length !== n) throw bad(`curve '${name}' has ${c.length} samples, the others ${n}`);
    n = c.length;
  }
  if (n < 2) throw bad('curves need at least 2 samples');
  return n;
}

export const decomposeReferences = defineOp({
  name: 'decompose.references',
  version: 1,
  scope: 'dataset',
  title: 'Reference curves given in the graph',
  description:
    'Reference curves (e.g. a structure model\'s partial PDFs G_ab(r)), given inline — `curves` maps a name (ZrZr, ZrX, XX, …) to its samples on the uniform axis r = rmin + i·rstep — or read from `file`, a table with a header naming the columns ("r,ZrZr,ZrX,XX"; first column r in Å, increasing). One field [n] per name, with the axis r; feed it to decompose.assign\'s `references` input.',
  inputs: {},
  params: {
    rmin: { type: 'number', optional: true, unit: 'Å', description: 'inline curves: r of the first sample' },
    rstep: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å',
      description: 'inline curves: sample spacing',
    },
    curves: {
      type: 'json',
      optional: true,
      description: 'inline: name → samples (all of one length), e.g. {"ZrZr": […], "ZrX": […], "XX": […]}',
    },
    file: {
      type: 'string',
      file: true,
      optional: true,
      description:
        'a table of curves: header "r,ZrZr,ZrX,XX" (any names), rows of numbers separated by commas, tabs or spaces, # comments; r in Å, increasing (e.g. the simulator\'s partials.csv)',
    },
    unit: { type: 'string', default: 'Å⁻²', description: 'unit of the curves (documentation)' },
  },
  outputs: (p) => ({
    fields: {
      '<name>': {
        dims: ['n'],
        unit: p.unit,
        axis: 'r',
        description: 'one reference curve per name (unit: the unit param)',
      },
    },
    axes: { r: { unit: 'Å', description: 'r of the curves' } },
  }),
  check(p, { node }) {
    checkSource(p, node);
  },
  run({ node, params: p, dataset }): Value {
    checkSource(p, node);
    if (p.file !== null) {
      const file = resolveParamFile(node, 'file', p.file, dataset?.path ?? null);
      let t: ReturnType<typeof parseCurveTable>;
      try {
        t = parseCurveTable(file, fs.readFileSync(file, 'utf8'));
      } catch (e) {
        if (e instanceof FileFormatError) throw new ParamError(node, 'file', e.message);
        throw e;
      }
      const names = Object.keys(t.curves);
      return {
        fields: Object.fromEntries(names.map((k) => [k, f32([t.x.length], t.curves[k])])),
        axes: { r: { dtype: 'float64' as const, shape: [t.x.length], data: t.x } },
        meta: {
          axisOf: Object.fromEntries(names.map((k) => [k, 'r'])),
          units: { ...Object.fromEntries(names.map((k) => [k, p.unit])), r: 'Å' },
          file: p.file,
          xColumn: t.xName,
        },
      };
    }
    const curves = p.curves!;
    const n = checkCurves(curves as unknown as Json, node);
    const rmin = p.rmin!;
    const rstep = p.rstep!;
    const fields = Object.fromEntries(
      Object.entries(curves).map(([name, c]) => [name, f32([n], Float32Array.from(c))]),
    );
    const r = {
      dtype: 'float64' as const,
      shape: [n],
      data: Float64Array.from({ length: n }, (_, i) => rmin + i * rstep),
    };
    return {
      fields,
      axes: { r },
      meta: {
        axisOf: Object.fromEntries(Object.keys(fields).map((k) => [k, 'r'])),
        units: { ...Object.fromEntries(Object.keys(fields).map((k) => [k, p.unit])), r: 'Å' },
      },
    };
  },
});
