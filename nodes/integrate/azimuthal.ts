/**
 * integrate.azimuthal: I(Q) per pattern — mean intensity of unmasked pixels per Q bin with pixel
 * splitting, its standard error and pixel count. The pixel → bin table is built once per geometry in
 * prepare(); each frame only supplies its mask as weights.
 *
 * Descan: with per-position shifts in the geometry, the table for a shifted centre is built for the
 * shift rounded to `shiftQuantum` (1/8 px by default: centre error ≤ 1/16 px) and cached (LRU), so a
 * smooth descan map costs a few dozen tables, not one per position.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { fieldOf } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import type { NDArray, Value, OpParams } from '../../engine/types.ts';
import { defineOp } from '../../engine/types.ts';
import { ShiftBuckets } from '../calib/descan.ts';
import { ellipseMetric, inscribedRadius, readGeometry, type Geometry } from '../calib/geometry-model.ts';
import { packedBytes } from '../mask/bits.ts';
import { staticMaskOf } from '../mask/static-input.ts';
import { BINS_PER_PIXEL, checkBins, MIN_MAX_BINS } from '../size-limits.ts';
import type { Integrator } from './apply-table.ts';
import { buildPixelTable, type BinSpec } from './pixel-table.ts';
import { WasmIntegrator } from './wasm-integrator.ts';

export type AzimuthalParams = OpParams<typeof integrateAzimuthal>;

interface AzimuthalState {
  geom: Geometry;
  spec: BinSpec;
  q: NDArray<Float32Array>;
  tables: ShiftBuckets<Integrator>;
  qMax: number;
}

/** Byte-per-pixel or bit-packed per-frame masks → packed bits for position i (null = none). */
function packedMaskOf(
  v: Value | undefined,
  node: string,
  count: number,
  pixels: number,
): { bits: Uint8Array; stride: number } | null {
  if (!v) return null;
  const f = fieldOf(v, 'mask');
  if (!f) throw new UserError(`node '${node}', input 'mask': expected a mask.auto result (field 'mask')`);
  const nb = packedBytes(pixels);
  if (f.shape[0] !== count)
    throw new UserError(`node '${node}', input 'mask': ${f.shape[0]} masks for ${count} positions`);
  if (f.data.length === count * nb && (v.meta?.packed === 'bits' || nb !== pixels))
    return { bits: f.data as Uint8Array, stride: nb };
  if (f.data.length === count * pixels) {
    // Byte-per-pixel masks: pack them so there is one apply path.
    const bits = new Uint8Array(count * nb);
    for (let i = 0; i < count * pixels; i++) {
      if (f.data[i]) {
        const k = Math.floor(i / pixels);
        const p = i - k * pixels;
        bits[k * nb + (p >> 3)] |= 1 << (p & 7);
      }
    }
    return { bits, stride: nb };
  }
  throw new UserError(
    `node '${node}', input 'mask': shape [${f.shape}] is neither bit-packed [${count}, ${nb}] nor [${count}, ${pixels}] pixels`,
  );
}

export const integrateAzimuthal = defineOp({
  name: 'integrate.azimuthal',
  version: 2, // 2: non-finite pixels of float frames are masked (one +Inf spoiled every bin outward of it)
  scope: 'frame',
  title: 'Azimuthal integration to I(Q)',
  description:
    'Mean intensity of unmasked pixels per Q bin (Q = 2π/d, linear in corrected radius), with pixel splitting none | bbox (radius range) | full (exact pixel ∩ annulus area), the standard error of the mean and the effective pixel count per bin. The ellipse correction is part of the geometry (no resampling). The sparse pixel → bin table is built once per geometry; per-frame masks are applied as weights.',
  inputs: {
    frames: { scope: 'frame', description: 'patterns [positions, rows, cols]' },
    geometry: { scope: 'dataset', description: 'calib.geometry' },
    mask: { scope: 'frame', optional: true, description: 'per-pattern mask (mask.auto, bit-packed)' },
    static: { scope: 'dataset', optional: true, description: 'dataset mask (mask.static, uint8 [h, w])' },
  },
  params: {
    bins: {
      type: 'integer',
      min: 1,
      max: 1_000_000,
      default: 400,
      description: `number of Q bins (at most ${BINS_PER_PIXEL} per pixel of the detector's diagonal, or ${MIN_MAX_BINS})`,
    },
    qMin: {
      type: 'number',
      min: 0,
      default: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: 'lower edge of the first bin',
    },
    qMax: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: 'upper edge of the last bin; default: the largest complete ring on the detector',
    },
    split: {
      type: 'enum',
      values: ['none', 'bbox', 'full'],
      default: 'bbox',
      description: 'pixel splitting: none, bbox (radius range) or full (exact area)',
    },
    shiftQuantum: {
      type: 'number',
      min: 0,
      default: 0.125,
      unit: 'px',
      description:
        'descan shifts are rounded to this step (0 = exact) so tables are shared between positions',
    },
  },
  outputs: {
    fields: {
      I: {
        dims: ['positions', 'bins'],
        unit: 'counts/pixel',
        axis: 'q',
        description: 'mean intensity per Q bin (NaN where no unmasked pixel)',
      },
      sigma: {
        dims: ['positions', 'bins'],
        unit: 'counts/pixel',
        axis: 'q',
        description: 'standard error of that mean',
      },
      count: {
        dims: ['positions', 'bins'],
        unit: 'pixels',
        axis: 'q',
        description: 'unmasked pixel area in the bin',
      },
    },
    axes: { q: { unit: 'Å⁻¹', description: 'bin centres, Q = 2π/d' } },
  },
  check(p, { node, dataset }) {
    if (dataset?.kind === 'frames' && dataset.frameShape.length === 2)
      checkBins(
        node,
        p.bins,
        dataset.frameShape[0],
        dataset.frameShape[1],
        dataset.scan.ny * dataset.scan.nx,
      );
  },
  prepare({ inputs, params, node, scan }): AzimuthalState {
    const geom = readGeometry(inputs.geometry, node);
    checkBins(node, params.bins, geom.h, geom.w, scan.ny * scan.nx);
    const m = ellipseMetric(geom.axisRatio, geom.angleDeg);
    const qMax = params.qMax ?? inscribedRadius(m, geom.cx, geom.cy, geom.h, geom.w) * geom.qPerPixel;
    if (!(qMax > params.qMin)) {
      throw new ParamError(
        node,
        params.qMax == null ? 'qMin' : 'qMax',
        `empty Q range: qMin ${params.qMin} ≥ qMax ${qMax.toPrecision(4)} Å⁻¹`,
      );
    }
    const spec: BinSpec = {
      r0: params.qMin / geom.qPerPixel,
      dr: (qMax - params.qMin) / params.bins / geom.qPerPixel,
      bins: params.bins,
    };
    const q = f32([params.bins]);
    for (let b = 0; b < params.bins; b++)
      q.data[b] = params.qMin + ((b + 0.5) * (qMax - params.qMin)) / params.bins;
    const st = staticMaskOf(inputs.static, node, geom.h, geom.w);
    const build = (sx: number, sy: number): Integrator => {
      const cx = geom.cx + sx;
      const cy = geom.cy + sy;
      // bbox: the prefix-sum form (O(1) per pixel, no table); none / full: a gather over the table.
      if (params.split === 'bbox')
        return new WasmIntegrator({ bbox: { m, cx, cy, h: geom.h, w: geom.w, spec } }, st);
      return new WasmIntegrator(
        { table: buildPixelTable(m, cx, cy, geom.h, geom.w, spec, params.split) },
        st,
      );
    };
    const tables = new ShiftBuckets(params.shiftQuantum, build);
    // Build the unshifted table now so the first chunk does not pay for it.
    tables.get(0, 0);
    return { geom, spec, q, tables, qMax };
  },
  process({ inputs, state, chunk, node, params }) {
    const f = fieldOf(inputs.frames, 'frames');
    const { geom } = state;
    const pixels = geom.h * geom.w;
    if (f?.shape.length !== 3 || f.shape[1] !== geom.h || f.shape[2] !== geom.w) {
      throw new UserError(
        `node '${node}', input 'frames': expected patterns [positions, ${geom.h}, ${geom.w}] matching the geometry, got [${f?.shape}]`,
      );
    }
    const n = chunk.count;
    const bins = params.bins;
    const mask = packedMaskOf(inputs.mask, node, n, pixels);
    const I = f32([n, bins]);
    const sigma = f32([n, bins]);
    const count = f32([n, bins]);
    for (let i = 0; i < n; i++) {
      const t = state.tables.forPosition(geom, chunk.start + i);
      t.integrate(
        f.data,
        i * pixels,
        mask ? mask.bits : null,
        mask ? i * mask.stride : 0,
        I.data,
        sigma.data,
        count.data,
        i * bins,
      );
    }
    return {
      fields: { I, sigma, count },
      axes: { q: state.q },
      meta: {
        axisOf: { I: 'q', sigma: 'q', count: 'q' },
        units: { I: 'counts/pixel', sigma: 'counts/pixel', count: 'pixels', q: 'Å⁻¹' },
        split: params.split,
        qMin: params.qMin,
        qMax: state.qMax,
        binWidth: (state.qMax - params.qMin) / bins,
        descan: geom.dx ? { shiftQuantum: params.shiftQuantum } : null,
      },
    };
  },
});
