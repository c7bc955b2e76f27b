/** `/api/preview`: the chain view's JSON (studio/API.md "Per-position preview"). */
import type { GraphDoc } from '../../engine/graph.ts';
import { DEFAULT_CHUNK_SIZE } from '../../engine/prepare.ts';
import type { NDArray, Value } from '../../engine/types.ts';
import type { Resolved } from './engine-context.ts';
import { ndJson } from './http-io.ts';
import { fieldUnit } from './field-units.ts';
import { previewExtras } from './preview-extras.ts';
import { meanPattern } from './patterns.ts';
import type { Studio } from './studio.ts';

function valueJson(v: Value, op?: string) {
  const map = (rec: Record<string, NDArray> | undefined) =>
    Object.fromEntries(Object.entries(rec ?? {}).map(([k, a]) => [k, ndJson(a)]));
  return { ...(op ? { op } : {}), fields: map(v.fields), axes: map(v.axes), meta: v.meta ?? {} };
}

/** Each field's unit, curve-relative ones resolved (field-units.ts). */
const unitsOf = (doc: GraphDoc, id: string, v: Value) =>
  Object.fromEntries(Object.keys(v.fields).map((f) => [f, fieldUnit(doc, id, f, v.meta)]));

/**
 * The chain at (iy, ix) — or, with `roi` (sorted position indices), on the ROI's mean pattern
 * (float32) given to the frame source; position-dependent inputs still come from (iy, ix).
 */
export async function previewResponse(s: Studio, iy: number, ix: number, doc?: GraphDoc, roi?: Int32Array) {
  const t0 = performance.now();
  const resolved: Resolved = doc ? s.session.resolve(doc) : s.session.resolved();
  const index = iy * resolved.scan.nx + ix;
  let frames: Value | undefined;
  if (roi) {
    const m = meanPattern(s.ctx.dataset, roi);
    frames = { fields: { frames: { dtype: 'float32', shape: [1, ...m.shape], data: m.data } } };
  }
  const pv = await s.preview.run(resolved, index, frames);
  const pre = await s.preview.prereqs.get(resolved);
  const chunkSize = resolved.graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const extras = await previewExtras(s.preview, resolved, pre, pv, {
    index: Math.floor(index / chunkSize),
    start: index,
    count: 1,
  });
  const nodes: Record<string, unknown> = {};
  for (const [id, v] of pv.values) {
    const n = resolved.graph.nodes.get(id)!;
    if (n.op.cached === false) continue; // sources: the raw pattern is /api/pattern
    nodes[id] = { ...valueJson(v, n.op.name), units: unitsOf(resolved.graph.doc, id, v) };
  }
  const a = (x: NDArray) => ndJson(x);
  return {
    iy,
    ix,
    ...(roi ? { roi: { count: roi.length } } : {}),
    version: doc ? null : s.session.version,
    nodes,
    extra: {
      iqUnmasked: Object.fromEntries(Object.entries(extras.iqUnmasked).map(([id, v]) => [id, valueJson(v)])),
      fRaw: Object.fromEntries(
        Object.entries(extras.fRaw).map(([id, f]) => [
          id,
          { q: a(f.q), rawF: a(f.rawF), F: a(f.F), polynomial: a(f.polynomial) },
        ]),
      ),
      fitCurves: Object.fromEntries(
        Object.entries(extras.fitCurves).map(([id, f]) => [
          id,
          {
            x: a(f.x),
            components: f.components.map(a),
            baseline: a(f.baseline),
            model: a(f.model),
            data: a(f.data),
            residual: a(f.residual),
          },
        ]),
      ),
    },
    errors: Object.fromEntries(pv.errors),
    ms: Math.round((performance.now() - t0) * 100) / 100,
  };
}
