/**
 * What the chain view draws besides the nodes' own values, computed with the same ops:
 * - I(Q) without the per-pattern mask (the integration node with its `mask` input dropped);
 * - F(Q) before the rpoly polynomial correction (the reduction with rpoly → 0, i.e. degree 0),
 *   so the polynomial is `rawF − F`;
 * - each Gaussian fit drawn as components, baseline, model and residual on its fit range.
 */
import { axisRange, axisSamples, curveOf } from '../../engine/curves.ts';
import type { NDArray, Value } from '../../engine/types.ts';
import type { Resolved } from './engine-context.ts';
import type { PreviewEngine, PositionValues } from './preview.ts';
import type { Prerequisites } from './prerequisites.ts';
import type { ChunkInfo } from '../../engine/types.ts';

/** A tiny rpoly gives polynomial degree round(rpoly·qmaxinst/π) = 0: no correction. */
const NO_POLYNOMIAL = 1e-9;

export interface Extras {
  iqUnmasked: Record<string, Value>;
  fRaw: Record<string, { q: NDArray; rawF: NDArray; F: NDArray; polynomial: NDArray }>;
  fitCurves: Record<
    string,
    { x: NDArray; components: NDArray[]; baseline: NDArray; model: NDArray; data: NDArray; residual: NDArray }
  >;
}

export async function previewExtras(
  engine: PreviewEngine,
  resolved: Resolved,
  pre: Prerequisites,
  pv: PositionValues,
  chunk: ChunkInfo,
): Promise<Extras> {
  const out: Extras = { iqUnmasked: {}, fRaw: {}, fitCurves: {} };
  for (const [id, v] of pv.values) {
    const n = resolved.graph.nodes.get(id)!;
    try {
      if (n.op.name === 'integrate.azimuthal' && n.inputs.mask) {
        out.iqUnmasked[id] = await engine.process(n, pre, pv.values, chunk, resolved, {
          dropPorts: ['mask'],
        });
      } else if (n.op.name === 'pdf.reduce') {
        const raw = await engine.process(n, pre, pv.values, chunk, resolved, {
          params: { rpoly: NO_POLYNOMIAL },
        });
        const F = v.fields.F.data;
        const rawF = raw.fields.F.data;
        const poly = new Float32Array(F.length);
        for (let i = 0; i < F.length; i++) poly[i] = rawF[i] - F[i];
        out.fRaw[id] = {
          q: v.axes!.q,
          rawF: raw.fields.F,
          F: v.fields.F,
          polynomial: { dtype: 'float32', shape: [F.length], data: poly },
        };
      } else if (n.op.name === 'fit.gaussians') {
        const c = fitDrawing(
          n.params as { n: number; range: [number, number]; field: string | null },
          v,
          inputValue(resolved, pv, id),
        );
        if (c) out.fitCurves[id] = c;
      }
    } catch {
      // an extra that cannot be drawn for this position is left out; the node's own value stands
    }
  }
  return out;
}

function inputValue(resolved: Resolved, pv: PositionValues, id: string): Value | null {
  const r = resolved.graph.nodes.get(id)!.inputs.curve;
  if (!r) return null;
  const v = pv.values.get(r.node);
  if (!v) return null;
  return r.field ? { fields: { [r.field]: v.fields[r.field] }, axes: v.axes, meta: v.meta } : v;
}

const f64 = (n: number): NDArray => ({ dtype: 'float64', shape: [n], data: new Float64Array(n) });

function fitDrawing(
  p: { n: number; range: [number, number]; field: string | null },
  fit: Value,
  input: Value | null,
) {
  if (!input) return null;
  const curve = curveOf(input, 'fit', { field: p.field, preferred: ['G'] });
  const x = curve.x.data as ArrayLike<number>;
  const [i0, i1] = axisRange(x, p.range[0], p.range[1]);
  const xs = axisSamples(x, i0, i1);
  const m = xs.length;
  const get = (name: string) => fit.fields[name]?.data[0] ?? NaN;
  const components = Array.from({ length: p.n }, () => f64(m));
  const baseline = f64(m);
  const model = f64(m);
  const data = f64(m);
  const residual = f64(m);
  const a = get('a');
  const a0 = get('a0');
  for (let i = 0; i < m; i++) {
    const r = xs[i];
    let sum = a * r + a0;
    baseline.data[i] = a * r + a0;
    for (let k = 0; k < p.n; k++) {
      const A = get(`A${k + 1}`);
      const c = get(`c${k + 1}`);
      const s = get(`sigma${k + 1}`);
      const g = (A / (Math.sqrt(2 * Math.PI) * s)) * Math.exp(-((r - c) ** 2) / (2 * s * s));
      components[k].data[i] = g;
      sum += g;
    }
    model.data[i] = sum;
    data.data[i] = curve.y.data[i0 + i];
    residual.data[i] = data.data[i] - sum;
  }
  return {
    x: { dtype: 'float64' as const, shape: [m], data: xs },
    components,
    baseline,
    model,
    data,
    residual,
  };
}
