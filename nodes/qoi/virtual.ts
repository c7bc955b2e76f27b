/**
 * qoi.virtual: a virtual detector on the raw patterns — disc (virtual bright field), annulus or
 * annular sector (virtual dark fields), or a user mask image — and a statistic (sum, max, mean, std)
 * of the covered pixels per position. Centred on the geometry's centre, shifted per position by the
 * geometry's descan shifts (dx, dy) when present. Saturated pixels can be left out (VBF whose
 * direct-beam core is saturated). The pixel list is built once per geometry.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { requireFieldOf } from '../../engine/inputs.ts';
import { resolveParamFile } from '../../engine/param-files.ts';
import { dtypeMax, f32 } from '../../engine/ndarray.ts';
import { defineOp, type Value } from '../../engine/types.ts';
import { readNpy } from '../../formats/npy.ts';
import { frameStat, maskIndices, shapeIndices, type DetectorShape } from './detector-masks.ts';

interface VirtualState {
  /** Pixel list for an h×w detector (built on first use, then reused). */
  indices(h: number, w: number): Int32Array;
  dx: ArrayLike<number> | null;
  dy: ArrayLike<number> | null;
  center: [number, number] | null;
}

export const qoiVirtual = defineOp({
  name: 'qoi.virtual',
  version: 1,
  scope: 'frame',
  title: 'Virtual detector image (VBF / VDF)',
  description:
    'Sum, max, mean or std of the pattern pixels inside a disc, annulus, annular sector or user mask, per position. Pixel centres on integer coordinates; centre from the geometry input (else `center`, else the detector centre); per-position descan shifts dx, dy from the geometry are applied rounded to whole pixels. Sector angles: 0° = +col, counter-clockwise as displayed.',
  inputs: {
    frames: { scope: 'frame', description: 'raw patterns (source.frames)' },
    geometry: {
      scope: 'dataset',
      optional: true,
      description: 'calib.geometry: center [col,row] px, qPerPixel, optional dx/dy [ny,nx]',
    },
    mask: {
      scope: 'dataset',
      optional: true,
      description: 'shape "mask": a detector-sized mask image (nonzero = use); alternative to maskFile',
    },
  },
  params: {
    shape: {
      type: 'enum',
      values: ['disc', 'annulus', 'sector', 'mask'],
      default: 'disc',
      description: 'virtual detector shape',
    },
    radius: {
      type: 'number',
      optional: true,
      min: 0,
      unit: 'px, or Å⁻¹ with unit "q"',
      description: 'disc radius',
    },
    inner: {
      type: 'number',
      optional: true,
      min: 0,
      unit: 'px, or Å⁻¹ with unit "q"',
      description: 'annulus/sector inner radius',
    },
    outer: {
      type: 'number',
      optional: true,
      min: 0,
      unit: 'px, or Å⁻¹ with unit "q"',
      description: 'annulus/sector outer radius',
    },
    startDeg: {
      type: 'number',
      default: 0,
      unit: '°',
      description: 'sector start angle (0° = +col, counter-clockwise)',
    },
    endDeg: { type: 'number', default: 90, unit: '°', description: 'sector end angle' },
    unit: {
      type: 'enum',
      values: ['px', 'q'],
      default: 'px',
      description: 'radii in detector pixels, or in Q (Å⁻¹, Q = 2π/d; needs the geometry)',
    },
    stat: {
      type: 'enum',
      values: ['sum', 'max', 'mean', 'std'],
      default: 'sum',
      description: 'statistic over the covered pixels',
    },
    excludeSaturated: {
      type: 'boolean',
      default: false,
      description: 'leave out pixels at the dtype maximum (255 for uint8)',
    },
    center: {
      type: 'number[]',
      optional: true,
      length: 2,
      unit: 'px [col, row]',
      description: 'centre when there is no geometry input',
    },
    maskFile: {
      type: 'string',
      file: true,
      optional: true,
      description:
        'shape "mask": .npy mask image [h, w] (nonzero = use); relative paths also tried beside the dataset',
    },
  },
  outputs: {
    fields: {
      value: {
        dims: ['positions'],
        unit: 'counts',
        description: 'virtual detector value per position (the chosen statistic of pixel values)',
      },
    },
  },
  check(p, { node }) {
    if (p.shape === 'disc' && p.radius === null)
      throw new ParamError(node, 'radius', 'shape "disc" needs a radius');
    if (p.shape === 'annulus' || p.shape === 'sector') {
      if (p.inner === null)
        throw new ParamError(node, 'inner', `shape "${p.shape}" needs inner and outer radii`);
      if (p.outer === null)
        throw new ParamError(node, 'outer', `shape "${p.shape}" needs inner and outer radii`);
      if (!(p.inner < p.outer))
        throw new ParamError(node, 'outer', `expected outer > inner, got inner ${p.inner}, outer ${p.outer}`);
    }
  },
  prepare({ node, params: p, inputs, dataset }): VirtualState {
    const geom: Value | undefined = inputs.geometry;
    let center: [number, number] | null = p.center ? [p.center[0], p.center[1]] : null;
    let qPerPixel = NaN;
    let dx: ArrayLike<number> | null = null;
    let dy: ArrayLike<number> | null = null;
    if (geom) {
      const c = geom.fields.center;
      if (!c || c.data.length < 2)
        throw new UserError(`node '${node}', input 'geometry': expected a field 'center' [col, row]`);
      center = [c.data[0], c.data[1]];
      if (geom.fields.qPerPixel) qPerPixel = geom.fields.qPerPixel.data[0];
      if (geom.fields.dx && geom.fields.dy) {
        dx = geom.fields.dx.data;
        dy = geom.fields.dy.data;
      }
    }
    const toPx = (v: number | null) => (p.unit === 'q' ? (v as number) / qPerPixel : (v as number));
    if (p.unit === 'q' && !(qPerPixel > 0))
      throw new ParamError(node, 'unit', 'unit "q" needs a geometry input with qPerPixel');
    let maskData: ArrayLike<number> | null = null;
    let maskShape: number[] | null = null;
    if (p.shape === 'mask') {
      if (inputs.mask) {
        const f = requireFieldOf(inputs.mask, 'mask', node, 'mask');
        maskData = f.data;
        maskShape = f.shape.slice(-2);
      } else if (p.maskFile) {
        const file = resolveParamFile(node, 'maskFile', p.maskFile, dataset?.path ?? null);
        const a = readNpy(file);
        maskData = a.data;
        maskShape = a.shape.slice(-2);
      } else throw new ParamError(node, 'maskFile', 'shape "mask" needs a maskFile (.npy) or a mask input');
    }
    const cache = new Map<string, Int32Array>();
    const shape: DetectorShape | null =
      p.shape === 'disc'
        ? { kind: 'disc', radius: toPx(p.radius) }
        : p.shape === 'annulus'
          ? { kind: 'annulus', inner: toPx(p.inner), outer: toPx(p.outer) }
          : p.shape === 'sector'
            ? {
                kind: 'sector',
                inner: toPx(p.inner),
                outer: toPx(p.outer),
                startDeg: p.startDeg,
                endDeg: p.endDeg,
              }
            : null;
    return {
      center,
      dx,
      dy,
      indices(h, w) {
        const key = `${h}x${w}`;
        let idx = cache.get(key);
        if (!idx) {
          if (shape) {
            const [cx, cy] = center ?? [(w - 1) / 2, (h - 1) / 2];
            idx = shapeIndices(shape, h, w, cx, cy);
          } else {
            if (maskShape![0] !== h || maskShape![1] !== w)
              throw new ParamError(
                node,
                'maskFile',
                `mask is ${maskShape!.join('×')} but the patterns are ${h}×${w}`,
              );
            idx = maskIndices(maskData!);
          }
          cache.set(key, idx);
        }
        return idx;
      },
    };
  },
  process({ node, params: p, chunk, inputs, state }) {
    const frames = requireFieldOf(inputs.frames, 'frames', node, 'frames');
    const [, h, w] = frames.shape;
    const idx = state.indices(h, w);
    const saturation = p.excludeSaturated ? dtypeMax(frames.dtype) : Infinity;
    const value = f32([chunk.count]);
    const fsz = h * w;
    for (let c = 0; c < chunk.count; c++) {
      const pos = chunk.start + c;
      const sr = state.dy ? Math.round(state.dy[pos]) || 0 : 0;
      const sc = state.dx ? Math.round(state.dx[pos]) || 0 : 0;
      value.data[c] = frameStat(frames.data, c * fsz, idx, w, h, sr, sc, saturation, p.stat);
    }
    return { fields: { value }, meta: { units: { value: 'counts' }, pixels: idx.length, stat: p.stat } };
  },
});
