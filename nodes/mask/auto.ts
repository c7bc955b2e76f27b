/**
 * mask.auto: the per-pattern automatic mask — detector edge, intensity thresholds and the
 * ring-binned outlier rejection of SCIENCE.md (Bragg spots out, diffuse ring in). Stored as bits, one
 * mask per pattern; integration applies it as weights without rebuilding its geometry.
 */
import { UserError } from '../../engine/errors.ts';
import { fieldOf } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import type { DType, Value, OpParams } from '../../engine/types.ts';
import { defineOp } from '../../engine/types.ts';
import { ShiftBuckets } from '../calib/descan.ts';
import { ellipseMetric, readGeometry, type Geometry } from '../calib/geometry-model.ts';
import { packedBytes, packMask } from './bits.ts';
import { buildRingTable, RingOutlierMasker } from './ring-outliers.ts';
import { staticMaskOf } from './static-input.ts';

export type AutoMaskParams = OpParams<typeof maskAuto>;

interface AutoMaskState {
  geom: Geometry;
  h: number;
  w: number;
  /** Static ∪ edge, byte per pixel, and packed. */
  excluded: Uint8Array;
  baseBits: Uint8Array;
  maskers: Map<string, ShiftBuckets<RingOutlierMasker>>;
}

const INTEGER_DTYPES: DType[] = ['uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32'];

export const maskAuto = defineOp({
  name: 'mask.auto',
  version: 2, // 2: ±Inf pixels masked even with thresholds ±∞
  scope: 'frame',
  title: 'Automatic per-pattern mask (ring outlier rejection)',
  description:
    'Masks the detector edge, pixels outside [lowerThresh, upperThresh], and per ring of constant Q the pixels with |I − centre| > α·σ among those not yet masked: strategy "median" (one pass about the median) or "mean" (iteratively reject the single worst survivor until none exceeds α·σ; exact, O(n log n)). σ is the population standard deviation. Includes the static mask. Output is bit-packed, one mask per pattern.',
  inputs: {
    frames: { scope: 'frame', description: 'patterns [positions, rows, cols]' },
    geometry: { scope: 'dataset', description: 'calib.geometry (centre, ellipse; descan shifts if any)' },
    static: { scope: 'dataset', optional: true, description: 'mask.static (uint8 [h, w], 1 = excluded)' },
  },
  params: {
    strategy: {
      type: 'enum',
      values: ['mean', 'median'],
      default: 'mean',
      description: 'mean: iterative worst-survivor rejection; median: one pass about the ring median',
    },
    alpha: {
      type: 'number',
      exclusiveMin: 0,
      default: 3.5,
      description: 'rejection threshold in ring standard deviations',
    },
    edge: {
      type: 'integer',
      min: 0,
      default: 3,
      unit: 'px',
      description: 'width of the detector border to mask',
    },
    lowerThresh: { type: 'number', default: 1, unit: 'counts', description: 'pixels below this are masked' },
    upperThresh: {
      type: 'number',
      optional: true,
      unit: 'counts',
      description: 'pixels above this are masked; default ∞ (none); "inf" accepted',
    },
    ringWidth: {
      type: 'number',
      exclusiveMin: 0,
      default: 1,
      unit: 'px',
      description: 'width of the rings of constant (corrected) radius',
    },
    minRingPixels: {
      type: 'integer',
      min: 2,
      default: 10,
      description: 'rings with fewer unmasked pixels are not tested',
    },
    shiftQuantum: {
      type: 'number',
      min: 0,
      default: 0.125,
      unit: 'px',
      description:
        'descan shifts are rounded to this step (0 = exact) so ring tables are shared between positions',
    },
  },
  outputs: {
    fields: {
      mask: {
        dims: ['positions', 'ceil(h·w/8)'],
        description:
          'bit-packed masks: bit (p & 7) of byte p >> 3 set = pixel p masked (meta.maskShape = [h, w])',
      },
      rejected: {
        dims: ['positions'],
        unit: 'pixels',
        description: 'pixels rejected by the ring test per position (spot indicator)',
      },
    },
  },
  prepare({ inputs, node, params }): AutoMaskState {
    const geom = readGeometry(inputs.geometry, node);
    const h = geom.h;
    const w = geom.w;
    const excluded = new Uint8Array(h * w);
    const st = staticMaskOf(inputs.static, node, h, w);
    if (st) excluded.set(st);
    const e = params.edge;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) if (x < e || y < e || x >= w - e || y >= h - e) excluded[y * w + x] = 1;
    return { geom, h, w, excluded, baseBits: packMask(excluded), maskers: new Map() };
  },
  process({ inputs, state, params, chunk, node }) {
    const f = fieldOf(inputs.frames, 'frames');
    const { h, w, geom } = state;
    if (f?.shape.length !== 3 || f.shape[1] !== h || f.shape[2] !== w) {
      throw new UserError(
        `node '${node}', input 'frames': expected patterns [positions, ${h}, ${w}] matching the geometry, got [${f?.shape}]`,
      );
    }
    const integerData = INTEGER_DTYPES.includes(f.dtype);
    const key = integerData ? 'int' : 'float';
    let buckets = state.maskers.get(key);
    if (!buckets) {
      const m = ellipseMetric(geom.axisRatio, geom.angleDeg);
      const opts = {
        strategy: params.strategy,
        alpha: params.alpha,
        lowerThresh: params.lowerThresh,
        upperThresh: params.upperThresh ?? Infinity, // engine/params.ts has turned "inf" into Infinity
        minRingPixels: params.minRingPixels,
        integerData,
      };
      buckets = new ShiftBuckets(
        params.shiftQuantum,
        (sx, sy) =>
          new RingOutlierMasker(
            buildRingTable(m, geom.cx + sx, geom.cy + sy, h, w, params.ringWidth, state.excluded),
            opts,
          ),
      );
      state.maskers.set(key, buckets);
    }
    const nb = packedBytes(h * w);
    const bits = new Uint8Array(chunk.count * nb);
    const rejected = f32([chunk.count]);
    for (let i = 0; i < chunk.count; i++) {
      bits.set(state.baseBits, i * nb);
      const masker = buckets.forPosition(geom, chunk.start + i);
      rejected.data[i] = masker.maskFrame(f.data, i * h * w, bits, i * nb);
    }
    const out: Value = {
      fields: { mask: { dtype: 'uint8', shape: [chunk.count, nb], data: bits }, rejected },
      meta: {
        packed: 'bits',
        maskShape: [h, w],
        bitOrder: 'bit (p & 7) of byte p >> 3, p = row·w + col',
        units: { rejected: 'pixels' },
      },
    };
    return out;
  },
});
