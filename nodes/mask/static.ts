/**
 * mask.static: the pixels no pattern of the dataset should use — the beam-stop disc, the detector
 * border, pixels saturated (at the dtype maximum) in a fraction of the frames, dead and hot pixels
 * from a user mask image or from statistics over the dataset.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { fieldOf } from '../../engine/inputs.ts';
import { resolveParamFile } from '../../engine/param-files.ts';
import type { ChunkedInput, DatasetContext, Json, NDArray, OpParams, Value } from '../../engine/types.ts';
import { defineOp } from '../../engine/types.ts';
import { readNpy } from '../../formats/npy.ts';
import { readGeometry } from '../calib/geometry-model.ts';
import { classifyDeadHot, mergePixelStats, pixelStatsOf, pixelStatsPartial } from './pixel-stats.ts';

export type StaticMaskParams = OpParams<typeof maskStatic>;

/** The dataset statistics are wanted (a frame pass reads every pattern for them). */
function wantsStats(p: StaticMaskParams): boolean {
  return p.saturation > 0 || p.deadFraction > 0 || p.hotFactor > 0;
}

function framesOf(v: Value, node: string): NDArray {
  const f = v.fields.frames ?? Object.values(v.fields)[0];
  if (f?.shape.length !== 3)
    throw new UserError(
      `node '${node}', input 'frames': expected patterns [positions, rows, cols], got [${f?.shape ?? ''}]`,
    );
  return f;
}

async function detectorShape(ctx: DatasetContext<StaticMaskParams>): Promise<[number, number]> {
  const g = ctx.inputs.geometry;
  if (g) {
    const v = g.scope === 'dataset' ? g.value : await g.first();
    const geom = readGeometry(v, ctx.node);
    return [geom.h, geom.w];
  }
  if (ctx.dataset?.kind === 'frames' && ctx.dataset.frameShape.length === 2)
    return ctx.dataset.frameShape as [number, number];
  const f = ctx.inputs.frames as ChunkedInput | undefined;
  if (f) {
    const a = fieldOf(await f.first(), 'frames');
    if (a?.shape.length === 3) return [a.shape[1], a.shape[2]];
  }
  throw new UserError(`node '${ctx.node}': cannot tell the detector size; connect 'geometry' or 'frames'`);
}

export const maskStatic = defineOp({
  name: 'mask.static',
  // v2: a reduce op; the mean of float frames is summed per chunk, then over chunks (rounding level)
  version: 2,
  scope: 'reduce',
  title: 'Static detector mask (beam stop, saturated, dead, hot, user mask)',
  description:
    'One mask for the whole dataset (1 = excluded): a beam-stop disc about the geometry centre, a detector border, pixels at the dtype maximum in at least `saturation` of the frames, dead / hot pixels whose dataset mean is below deadFraction × or above hotFactor × the median of their 5 × 5 neighbourhood, and any non-zero pixel of a user .npy mask image.',
  inputs: {
    frames: {
      scope: 'frame',
      optional: true,
      description: 'patterns, for saturation and dead/hot statistics over the dataset',
    },
    geometry: {
      scope: 'dataset',
      optional: true,
      description: 'calib.geometry, for the beam-stop centre and detector size',
    },
  },
  params: {
    beamstopRadius: {
      type: 'number',
      min: 0,
      default: 0,
      unit: 'px',
      description: 'radius of the masked disc about the beam centre (0 = none)',
    },
    edge: {
      type: 'integer',
      min: 0,
      default: 0,
      unit: 'px',
      description: 'width of the detector border to mask',
    },
    saturation: {
      type: 'number',
      min: 0,
      max: 1,
      default: 0.5,
      description: 'mask pixels at the dtype maximum in at least this fraction of the frames (0 = off)',
    },
    deadFraction: {
      type: 'number',
      min: 0,
      max: 1,
      default: 0.05,
      description: 'dead: dataset mean below this fraction of the neighbourhood median (0 = off)',
    },
    hotFactor: {
      type: 'number',
      min: 0,
      default: 10,
      description: 'hot: dataset mean above this multiple of the neighbourhood median (0 = off)',
    },
    minCounts: {
      type: 'number',
      min: 0,
      default: 20,
      unit: 'counts',
      description:
        'dead/hot are only judged where the neighbourhood has this many counts summed over the dataset',
    },
    maskFile: {
      type: 'string',
      file: true,
      optional: true,
      description:
        'a .npy image [rows, cols]; non-zero = excluded (path absolute, relative to the working directory, or to the dataset file)',
    },
  },
  outputs: { fields: { mask: { dims: ['rows', 'cols'], description: 'uint8, 1 = excluded pixel' } } },
  // The pixel statistics depend on the frames alone: their chunk partials are shared by every
  // mask.static over the same frames, whatever its thresholds, and are computed in the first pass.
  reduce: { ports: ['frames'], params: [], positions: (p): 'all' | number[] => (wantsStats(p) ? 'all' : []) },
  process: (ctx): Value => pixelStatsPartial(framesOf(ctx.inputs.frames, ctx.node)),
  merge: (a, b) => mergePixelStats(a, b),
  async finish(ctx): Promise<Value> {
    const { params: p, node } = ctx;
    const [h, w] = await detectorShape(ctx);
    const mask = new Uint8Array(h * w);
    const counts: Record<string, Json> = {};
    const mark = (reason: string, pix: number) => {
      if (!mask[pix]) counts[reason] = ((counts[reason] as number) ?? 0) + 1;
      mask[pix] = 1;
    };

    if (p.beamstopRadius > 0) {
      if (!ctx.inputs.geometry)
        throw new ParamError(
          node,
          'beamstopRadius',
          'a beam-stop disc needs the geometry input (for the centre)',
        );
      const g = ctx.inputs.geometry;
      const geom = readGeometry(g.scope === 'dataset' ? g.value : await g.first(), node);
      const r2 = p.beamstopRadius * p.beamstopRadius;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          if ((x - geom.cx) ** 2 + (y - geom.cy) ** 2 <= r2) mark('beamstop', y * w + x);
    }
    if (p.edge > 0) {
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          if (x < p.edge || y < p.edge || x >= w - p.edge || y >= h - p.edge) mark('edge', y * w + x);
    }
    if (p.maskFile) {
      const file = resolveParamFile(node, 'maskFile', p.maskFile, ctx.dataset?.path ?? null);
      const a = readNpy(file);
      if (a.data.length !== h * w)
        throw new ParamError(node, 'maskFile', `${file} has shape [${a.shape}], expected [${h}, ${w}]`);
      for (let i = 0; i < h * w; i++) if (a.data[i]) mark('maskFile', i);
    }
    if (ctx.partial && wantsStats(p)) {
      const stats = pixelStatsOf(ctx.partial);
      if (stats.mean.length !== h * w)
        throw new UserError(
          `node '${node}', input 'frames': patterns of ${stats.mean.length} pixels on a ${h} × ${w} detector`,
        );
      if (p.saturation > 0 && Number.isFinite(stats.saturation)) {
        for (let i = 0; i < h * w; i++)
          if (stats.saturatedFrames[i] > 0 && stats.saturatedFrames[i] >= p.saturation * stats.frames)
            mark('saturated', i);
      }
      if (p.deadFraction > 0 || p.hotFactor > 0) {
        const cls = classifyDeadHot(stats, h, w, mask.slice(), {
          deadFraction: p.deadFraction > 0 ? p.deadFraction : null,
          hotFactor: p.hotFactor > 0 ? p.hotFactor : null,
          minCounts: p.minCounts,
        });
        for (let i = 0; i < h * w; i++) if (cls[i]) mark(cls[i] === 1 ? 'dead' : 'hot', i);
      }
      counts.frames = stats.frames;
    }
    ctx.log(`static mask: ${mask.reduce((s, v) => s + v, 0)} of ${h * w} pixels (${JSON.stringify(counts)})`);
    const out: Value = {
      fields: { mask: { dtype: 'uint8', shape: [h, w], data: mask } },
      meta: { maskShape: [h, w], counts },
    };
    return out;
  },
});
