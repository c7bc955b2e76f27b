/**
 * The live virtual detector: a disc / annulus / sector drawn on the pattern → its image over the
 * whole scan, computed with `qoi.virtual`'s own prepare/process chunk by chunk over the dataset
 * (so the values are exactly what a saved `qoi.virtual` node stores). The pixel list is small
 * (hundreds to a few thousand pixels), so a pass over the paper-size scan is bounded by reading
 * the frames (791 MB, from the page cache after the first pass). A newer request supersedes an
 * older one at the next chunk boundary: while dragging, only the latest shape is finished.
 */
import { getOp } from '../../nodes/registry.ts';
import { resolveParams } from '../../engine/params.ts';
import { badRequestFrom, HttpError } from './http-errors.ts';
import type { NDArray, Value } from '../../engine/types.ts';
import type { Studio } from './studio.ts';

/** Positions per read: big enough for sequential reads, small enough to notice a newer request soon. */
const CHUNK = 512;
const PARAMS = ['shape', 'radius', 'inner', 'outer', 'startDeg', 'endDeg', 'unit', 'stat', 'excludeSaturated', 'center', 'maskFile'];

export class VirtualDetector {
  private generation = 0;

  constructor(private readonly s: Studio) {}

  async image(body: Record<string, unknown>): Promise<{ array: NDArray; header: Record<string, unknown> }> {
    const gen = ++this.generation;
    const t0 = performance.now();
    const ds = this.s.ctx.dataset;
    if (!ds || ds.kind !== 'frames') throw new HttpError(409, 'this session has no 4D dataset');
    const op = getOp('qoi.virtual');
    const given: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (k === 'geometry') continue;
      if (!PARAMS.includes(k)) throw new HttpError(400, `virtual detector: unknown field '${k}' (${PARAMS.join(', ')}, geometry)`, { field: k });
      if (k === 'maskFile' || k === 'center') throw new HttpError(400, `virtual detector: '${k}' is not available live; add a qoi.virtual node instead`, { field: k });
      given[k] = v;
    }
    let params;
    try {
      params = resolveParams('virtual', op, given);
      op.check?.(params as never, { node: 'virtual', dataset: ds });
    } catch (e) {
      throw badRequestFrom(e);
    }
    const resolved = this.s.session.resolved();
    const geomId = typeof body.geometry === 'string' ? body.geometry : [...resolved.graph.nodes.values()].find((n) => n.op.name === 'calib.geometry')?.id;
    const inputs: Record<string, Value> = {};
    if (geomId) {
      const g = resolved.graph.nodes.get(geomId);
      if (!g || g.op.name !== 'calib.geometry') throw new HttpError(400, `virtual detector: no calib.geometry node '${geomId}'`, { field: 'geometry' });
      const pre = await this.s.preview.prereqs.get(resolved);
      if (!pre.hashes.has(geomId)) throw new HttpError(409, `geometry node '${geomId}' feeds no per-position node, so it has not been computed: wire it or run the graph`, { node: geomId });
      inputs.geometry = this.s.preview.prereqs.value(pre, { node: geomId });
    }
    const base = { node: 'virtual', params, scan: resolved.scan, dataset: ds, log: () => {} };
    const state = await op.prepare!({ ...base, inputs });
    const total = resolved.scan.ny * resolved.scan.nx;
    const out = new Float32Array(total);
    let pixels = 0;
    for (let start = 0; start < total; start += CHUNK) {
      if (gen !== this.generation) throw new HttpError(409, 'superseded by a newer virtual-detector request');
      const count = Math.min(CHUNK, total - start);
      const frames = ds.read(start, count);
      const v = (await op.process!({ ...base, chunk: { index: -1, start, count }, inputs: { ...inputs, frames: { fields: { frames } } }, state })) as Value;
      out.set(v.fields.value.data as Float32Array, start);
      pixels = (v.meta?.pixels as number) ?? pixels;
      // Let a newer request in between chunks.
      await new Promise((r) => setImmediate(r));
    }
    return {
      array: { dtype: 'float32', shape: [resolved.scan.ny, resolved.scan.nx], data: out },
      header: { ms: Math.round(performance.now() - t0), pixels, params, geometry: geomId ?? null, unit: 'counts' },
    };
  }
}
