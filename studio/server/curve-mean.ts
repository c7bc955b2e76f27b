/**
 * `POST /api/curve/mean`: an ROI's mean curve (I(Q), S(Q), F(Q), G(r), …) with its per-bin spread,
 * from the latest run's stored per-position results. Only the chunks the ROI touches are read, one
 * at a time, through the engine's chunk reader (the cache), never the whole scan at once.
 */
import type { NDArray } from '../../engine/types.ts';
import { CurveStats } from './curve-stats.ts';
import { HttpError } from './http-errors.ts';
import { ndJson } from './http-io.ts';
import { roiPositions } from './patterns.ts';
import type { Studio } from './studio.ts';

export async function curveMean(s: Studio, body: Record<string, unknown>) {
  const node = body.node;
  if (typeof node !== 'string' || !node)
    throw new HttpError(400, 'body: node must be a node id (string)', { field: 'node' });
  if (body.field !== undefined && typeof body.field !== 'string')
    throw new HttpError(400, 'body: field must be a string', { field: 'field' });
  const { ny, nx } = s.session.resolved().scan;
  const positions = roiPositions(body.roi, ny, nx);
  const { exec, state } = s.runs.liveState(node);
  if (!state.chunks)
    throw new HttpError(400, `node '${node}' is dataset-level: it has no curve per position`, { node });
  const input = exec.chunkedInput(node, undefined);
  const chunks = input.chunks;
  let stats: CurveStats | null = null;
  let head: { field: string; axisName: string | null; x: NDArray | null; unit: string | null } | null = null;
  let ci = 0;
  let i = 0;
  while (i < positions.length) {
    while (positions[i] >= chunks[ci].start + chunks[ci].count) ci++;
    const c = chunks[ci];
    const v = await input.chunk(ci);
    if (!head) {
      const names = Object.keys(v.fields);
      const field = (body.field as string | undefined) ?? (names.length === 1 ? names[0] : null);
      if (!field)
        throw new HttpError(400, `node '${node}' has several fields (${names.join(', ')}): give field`, {
          node,
          field: 'field',
        });
      if (!names.includes(field))
        throw new HttpError(404, `node '${node}' has no field '${field}' (fields: ${names.join(', ')})`, {
          node,
          field,
        });
      const axisOf = (v.meta?.axisOf ?? {}) as Record<string, string>;
      const axisName = axisOf[field] ?? (v.axes ? (Object.keys(v.axes)[0] ?? null) : null);
      const units = (v.meta?.units ?? {}) as Record<string, string>;
      head = { field, axisName, x: axisName && v.axes ? v.axes[axisName] : null, unit: units[field] ?? null };
    }
    const a = v.fields[head.field];
    const bins = a.shape.slice(1).reduce((x, y) => x * y, 1);
    if (bins < 2)
      throw new HttpError(
        400,
        `node '${node}', field '${head.field}' is a scalar per position (a map): use /api/map`,
        { node, field: head.field },
      );
    stats ??= new CurveStats(bins);
    const data = a.data as ArrayLike<number>;
    for (; i < positions.length && positions[i] < c.start + c.count; i++)
      stats.add(data, (positions[i] - c.start) * bins);
  }
  const r = stats!.result();
  const f = (d: Float32Array): NDArray => ({ dtype: 'float32', shape: [d.length], data: d });
  return {
    node,
    field: head!.field,
    unit: head!.unit,
    axisName: head!.axisName,
    runId: s.runs.latest?.info.runId ?? null,
    positions: stats!.curves,
    failed: stats!.empty,
    x: head!.x ? ndJson(head!.x) : null,
    mean: ndJson(f(r.mean)),
    std: ndJson(f(r.std)),
    min: ndJson(f(r.min)),
    max: ndJson(f(r.max)),
    count: ndJson({ dtype: 'int32', shape: [stats!.bins], data: stats!.count }),
  };
}
