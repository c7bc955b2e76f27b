/**
 * Curves of a per-position preview answer (POST /api/preview) by role: I(Q) with and without the
 * mask, S(Q), Q(S−1), F(Q) and the rpoly polynomial P(Q) = Q(S−1) − F, G(r), the fit's components,
 * model and residual, and the position's scalar QoI values.
 */
import { ndarray, type Graph, type NDArrayJson, type OpSpec, type Preview } from './api.ts';

export interface Curve {
  x: Float64Array | Float32Array;
  y: Float32Array | Float64Array;
}
export interface ChainCurves {
  iqNode: string | null;
  pdfNode: string | null;
  fitNode: string | null;
  iq?: Curve;
  iqUnmasked?: Curve;
  S?: Curve;
  QS1?: Curve;
  F?: Curve;
  P?: Curve;
  G?: Curve;
  fit?: {
    x: ArrayLike<number>;
    components: ArrayLike<number>[];
    model: ArrayLike<number>;
    residual: ArrayLike<number>;
    baseline?: ArrayLike<number>;
  };
  values: { key: string; value: number; unit: string }[];
}

/** A unit without its explanation: "counts (stat of pixel values)" → "counts". */
export const shortUnit = (u: string) => u.replace(/\s*\(.*\)\s*$/, '');

const arr = (a: NDArrayJson | undefined) => (a ? (ndarray(a) as Float32Array | Float64Array) : undefined);

export function chainCurves(p: Preview, ops: Record<string, OpSpec>, graph?: Graph | null): ChainCurves {
  // The chain the graph's outputs use: prefer a node that is listed in outputs.
  const pick = (op: string) => {
    const ids = Object.keys(p.nodes).filter((k) => p.nodes[k].op === op);
    return ids.find((k) => graph?.outputs.includes(k) && !/lorch/i.test(k)) ?? ids[0] ?? null;
  };
  const iqNode = pick('integrate.azimuthal');
  const pdfNode = pick('pdf.reduce');
  const fitNode = pick('fit.gaussians') ?? Object.keys(p.extra?.fitCurves ?? {})[0] ?? null;
  const out: ChainCurves = { iqNode, pdfNode, fitNode, values: [] };
  if (iqNode) {
    const n = p.nodes[iqNode];
    const x = arr(n.axes?.q);
    const y = arr(n.fields.I);
    if (x && y) out.iq = { x, y };
    const u = p.extra?.iqUnmasked?.[iqNode];
    const ux = arr(u?.axes?.q);
    const uy = arr(u?.fields?.I);
    if (ux && uy) out.iqUnmasked = { x: ux, y: uy };
  }
  if (pdfNode) {
    const n = p.nodes[pdfNode];
    const q = arr(n.axes?.q);
    const r = arr(n.axes?.r);
    const S = arr(n.fields.S);
    const F = arr(n.fields.F);
    const G = arr(n.fields.G);
    if (q && S) out.S = { x: q, y: S };
    const raw = p.extra?.fRaw?.[pdfNode];
    if (raw) {
      const rq = arr(raw.q)!;
      out.QS1 = { x: rq, y: arr(raw.rawF)! };
      out.F = { x: rq, y: arr(raw.F)! };
      out.P = { x: rq, y: arr(raw.polynomial)! };
    } else if (q && F) out.F = { x: q, y: F };
    if (r && G) out.G = { x: r, y: G };
  }
  const fc = fitNode ? p.extra?.fitCurves?.[fitNode] : undefined;
  if (fc) {
    out.fit = {
      x: ndarray(fc.x) as Float64Array,
      components: fc.components.map((c) => ndarray(c) as Float64Array),
      model: ndarray(fc.model) as Float64Array,
      residual: ndarray(fc.residual) as Float64Array,
      baseline: fc.baseline ? (ndarray(fc.baseline) as Float64Array) : undefined,
    };
  }
  for (const [id, n] of Object.entries(p.nodes)) {
    if (n.op.startsWith('mask.') || n.op.startsWith('integrate.') || n.op === 'pdf.reduce') continue;
    for (const [field, a] of Object.entries(n.fields)) {
      const count = a.shape.reduce((x, y) => x * y, 1);
      if (count !== 1) continue;
      const v = Number(ndarray(a)[0]);
      out.values.push({
        key: `${id}.${field}`,
        value: v,
        unit: n.units?.[field] ?? unitOf(ops[n.op], field),
      });
    }
  }
  return out;
}

/** The declared unit when the server sent none; a curve-relative one ("curve unit / Å") is left out rather than shown unresolved. */
function unitOf(op: OpSpec | undefined, field: string): string {
  const o =
    op?.outputs[field] ??
    (op
      ? Object.entries(op.outputs).find(([k]) => field.startsWith(k.replace(/\d+$|n$/, '')))?.[1]
      : undefined);
  const u = o?.unit ?? '';
  return u.includes('curve') ? '' : u;
}
