/**
 * calib.geometry: the detector geometry every per-pattern op uses — beam centre, elliptical
 * distortion, Q calibration, wavelength, effective camera length and the small-angle error at the
 * detector corner, plus optional per-position descan shifts. Calibration scalars default to what the
 * dataset file carries (meta center, qPerPixel / gPerPixel, beamEnergyKeV, ellipse); params override.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { inputField, fieldOf } from '../../engine/inputs.ts';
import { f64 } from '../../engine/ndarray.ts';
import type {
  ChunkedInput,
  DatasetContext,
  DatasetInput,
  Json,
  OpParams,
  ScanShape,
  Value,
} from '../../engine/types.ts';
import { defineOp } from '../../engine/types.ts';
import {
  framesOf,
  medianPositions,
  mergePatternPartials,
  patternOf,
  patternPartial,
  type PatternSpec,
} from './dataset-pattern.ts';
import { fitRingGeometry } from './ellipse-fit.ts';
import { cameraLengthPx, cornerErrorQ, electronWavelength, qPerPixelFromSpacing } from './electron-optics.ts';
import { cornerRadius, ellipseMetric } from './geometry-model.ts';

export type GeometryParams = OpParams<typeof calibGeometry>;

const DEFAULT_KEV = 200;

type EllipseSpec = 'auto' | 'none' | [number, number];

function parseEllipse(raw: Json, node: string, param = 'ellipse'): EllipseSpec | null {
  if (raw === null || raw === undefined) return null;
  if (raw === 'auto' || raw === 'none') return raw;
  if (
    Array.isArray(raw) &&
    raw.length === 2 &&
    raw.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    let [ratio, angle] = raw as [number, number];
    if (!(ratio > 0)) throw new ParamError(node, param, `axis ratio must be > 0, got ${ratio}`);
    // Normalise to b/a ≤ 1: a ratio above 1 means the major axis is perpendicular.
    if (ratio > 1) {
      ratio = 1 / ratio;
      angle += 90;
    }
    while (angle <= -90) angle += 180;
    while (angle > 90) angle -= 180;
    return [ratio, angle];
  }
  throw new ParamError(
    node,
    param,
    `expected "auto", "none", null or [axisRatio, angleDeg], got ${JSON.stringify(raw)}`,
  );
}

function metaNumber(meta: Record<string, Json> | undefined, key: string): number | null {
  const v = meta?.[key];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

/** Q per pixel (Å⁻¹, Q units) and where it came from. */
function resolveQ(
  p: GeometryParams,
  meta: Record<string, Json> | undefined,
  node: string,
): { q: number; source: string } {
  if (p.qPerPixel != null) return { q: p.qPerPixel, source: 'param qPerPixel' };
  if (p.gPerPixel != null) return { q: 2 * Math.PI * p.gPerPixel, source: 'param gPerPixel (×2π)' };
  if (p.dSpacing != null && p.radiusPx != null)
    return {
      q: qPerPixelFromSpacing(p.dSpacing, p.radiusPx),
      source: `d = ${p.dSpacing} Å at ${p.radiusPx} px`,
    };
  const mq = metaNumber(meta, 'qPerPixel');
  if (mq) return { q: mq, source: 'dataset meta qPerPixel' };
  const mg = metaNumber(meta, 'gPerPixel');
  if (mg) return { q: 2 * Math.PI * mg, source: 'dataset meta gPerPixel (×2π)' };
  throw new ParamError(
    node,
    'qPerPixel',
    'no Q calibration: give qPerPixel (Å⁻¹, Q = 2π/d), gPerPixel (Å⁻¹, g = 1/d), or dSpacing (Å) with radiusPx; the dataset carries none',
  );
}

async function detectorShapeOf(
  ctx: DatasetContext<GeometryParams>,
  frames: ChunkedInput | null,
): Promise<[number, number]> {
  if (ctx.params.detectorShape) return ctx.params.detectorShape;
  if (ctx.dataset && ctx.dataset.kind === 'frames' && ctx.dataset.frameShape.length === 2)
    return ctx.dataset.frameShape as [number, number];
  if (frames) {
    const f = fieldOf(await frames.first(), 'frames');
    if (f && f.shape.length === 3) return [f.shape[1], f.shape[2]];
  }
  throw new ParamError(
    ctx.node,
    'detectorShape',
    'cannot tell the detector size: connect a frames input or give detectorShape [rows, cols]',
  );
}

/** The pattern the fit uses (see dataset-pattern.ts). */
function patternSpec(p: GeometryParams, scan: ScanShape): PatternSpec {
  if (p.ellipsePosition) {
    const [iy, ix] = p.ellipsePosition;
    const inside =
      iy >= 0 && iy < scan.ny && ix >= 0 && ix < scan.nx && Number.isInteger(iy) && Number.isInteger(ix);
    return { kind: 'sampled', positions: inside ? [iy * scan.nx + ix] : [] };
  }
  return p.pattern === 'mean'
    ? { kind: 'mean' }
    : { kind: 'sampled', positions: medianPositions(scan.ny * scan.nx) };
}

/** Centre and ellipse as given (params, then the dataset meta or calibration input), 'auto' where they are to be fitted. */
function givenShape(p: GeometryParams, meta: Record<string, Json> | undefined, node: string) {
  let centre: [number, number] | 'auto' | null = p.center;
  let centreSource = 'param center';
  if (centre == null) {
    const mc = meta?.center;
    if (Array.isArray(mc) && mc.length === 2 && mc.every((x) => typeof x === 'number')) {
      centre = mc as [number, number];
      centreSource = 'dataset meta center';
    } else centre = 'auto';
  }
  let ellipse = parseEllipse(p.ellipse, node);
  let ellipseSource = 'param ellipse';
  if (ellipse == null) {
    const me = meta?.ellipse != null ? parseEllipse(meta.ellipse, node, 'ellipse (dataset meta)') : null;
    ellipse = me ?? 'none';
    ellipseSource = me ? 'dataset meta ellipse' : 'none';
  }
  return { centre, centreSource, ellipse, ellipseSource };
}

/** The dataset meta with a calibration input's center, qPerPixel and ellipse in place of its own. */
function withCalibration(
  meta: Record<string, Json> | undefined,
  cal: DatasetInput | undefined,
  node: string,
): Record<string, Json> | undefined {
  if (!cal) return meta;
  const v = cal.scope === 'dataset' ? cal.value : null;
  const f = v?.fields;
  if (!f?.qPerPixel || !f.center || !f.ellipse)
    throw new UserError(
      `node '${node}', input 'calibration': expected a calib.fromCrystal result (fields center, qPerPixel, ellipse)`,
    );
  const num = (a: { data: ArrayLike<number> }, i: number) => Number(a.data[i]);
  const { gPerPixel: _g, ...rest } = meta ?? {};
  void _g;
  return {
    ...rest,
    center: [num(f.center, 0), num(f.center, 1)],
    qPerPixel: num(f.qPerPixel, 0),
    ellipse: [num(f.ellipse, 0), num(f.ellipse, 1)],
  };
}

export const calibGeometry = defineOp({
  name: 'calib.geometry',
  // v2: a reduce op; the mean of float frames is summed per chunk, then over chunks (rounding level)
  version: 3,
  scope: 'reduce',
  title: 'Detector geometry: centre, ellipse, Q calibration',
  description:
    "Beam centre (given, or centre of mass of the direct beam refined by ring symmetry), elliptical distortion (fitted to the amorphous ring of the dataset's median (or mean) pattern or of one position; applied inside the integration geometry, no resampling), Q per pixel, relativistic wavelength, effective camera length and the small-angle error δQ at the detector corner. Ellipse convention: ring semi-axes a ≥ b, axisRatio = b/a, major axis at angleDeg from +column towards +row; corrected radius r² = ρu² + v²/ρ (area preserving).",
  inputs: {
    frames: {
      scope: 'frame',
      optional: true,
      description: 'patterns, to find the centre / ellipse ("auto") and the detector size',
    },
    shifts: {
      scope: 'any',
      optional: true,
      description: 'per-position descan map: fields dx, dy (px, [ny, nx]) added to the centre',
    },
    calibration: {
      scope: 'dataset',
      optional: true,
      description:
        "a refined calibration (calib.fromCrystal): its center, qPerPixel and ellipse replace the dataset meta's; params still override",
    },
  },
  params: {
    center: {
      type: 'number[]',
      length: 2,
      auto: true,
      optional: true,
      unit: 'px',
      description:
        '[col, row] of the beam centre, or "auto" (needs frames). Default: the dataset meta centre, else "auto".',
    },
    qPerPixel: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: 'reciprocal pixel size in Q units. Default: dataset meta.',
    },
    gPerPixel: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å⁻¹ (g = 1/d)',
      description: 'reciprocal pixel size in 1/d units (ASTAR); Q per pixel = 2π × this.',
    },
    dSpacing: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å',
      description: 'calibrate from a known reflection of this spacing seen at radiusPx',
    },
    radiusPx: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'px',
      description: 'measured radius of the dSpacing reflection',
    },
    beamEnergyKeV: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'keV',
      description: `beam energy for the relativistic wavelength. Default: dataset meta, else ${DEFAULT_KEV} keV (noted in meta).`,
    },
    ellipse: {
      type: 'json',
      optional: true,
      description:
        '"auto" (fit to the ring), "none", or [axisRatio b/a, angleDeg]. Default: dataset meta ellipse, else none.',
    },
    ellipsePosition: {
      type: 'number[]',
      length: 2,
      optional: true,
      description:
        '[iy, ix] of the position whose pattern the centre/ellipse fit uses; default the mean pattern',
    },
    ringRange: {
      type: 'number[]',
      length: 2,
      optional: true,
      min: 0,
      unit: 'px',
      description:
        'radius window in which to look for the amorphous ring; default: outside the beam to the detector edge',
    },
    detectorShape: {
      type: 'number[]',
      length: 2,
      optional: true,
      min: 1,
      unit: 'px',
      description: '[rows, cols] when there is no frames input or dataset',
    },
    pattern: {
      type: 'enum',
      values: ['median', 'mean'],
      default: 'median',
      description:
        'dataset pattern for the "auto" fit: per-pixel median of up to 512 evenly spaced positions (robust to crystalline positions) or the mean',
    },
  },
  outputs: {
    fields: {
      center: { dims: ['2'], unit: 'px', description: '[col, row] beam centre' },
      qPerPixel: { dims: ['1'], unit: 'Å⁻¹', description: 'Q per pixel (Q = 2π/d)' },
      ellipse: { dims: ['2'], description: '[axisRatio b/a, angleDeg] (1, 0 without distortion)' },
      wavelength: { dims: ['1'], unit: 'Å', description: 'relativistic electron wavelength' },
      cameraLengthPx: {
        dims: ['1'],
        unit: 'px',
        description: 'effective camera length L = 2π / (Q_pixel λ)',
      },
      cornerErrorQ: {
        dims: ['1'],
        unit: 'Å⁻¹',
        description:
          'δQ = 4π(sin θmax − θmax)/λ at the detector corner (negative: the linear axis over-states Q)',
      },
      detectorShape: { dims: ['2'], unit: 'px', description: '[rows, cols]' },
      dx: {
        dims: ['ny', 'nx'],
        unit: 'px',
        optional: true,
        description: 'descan shift of the centre along columns (only with a shifts input)',
      },
      dy: {
        dims: ['ny', 'nx'],
        unit: 'px',
        optional: true,
        description: 'descan shift of the centre along rows (only with a shifts input)',
      },
    },
  },
  check(p, { node }) {
    const given = [p.qPerPixel != null, p.gPerPixel != null, p.dSpacing != null].filter(Boolean).length;
    if (given > 1)
      throw new ParamError(
        node,
        p.qPerPixel != null ? 'qPerPixel' : 'gPerPixel',
        'give only one of qPerPixel, gPerPixel, dSpacing',
      );
    if ((p.dSpacing == null) !== (p.radiusPx == null))
      throw new ParamError(
        node,
        p.dSpacing == null ? 'dSpacing' : 'radiusPx',
        'dSpacing and radiusPx go together',
      );
    parseEllipse(p.ellipse, node);
    if (p.ringRange && !(p.ringRange[1] > p.ringRange[0]))
      throw new ParamError(node, 'ringRange', `expected [min, max] with max > min, got [${p.ringRange}]`);
  },
  // The fit's pattern is reduced from the frames in the first frame pass (chunk partials on the
  // worker pool); only the params that choose it key the partials.
  reduce: {
    ports: ['frames'],
    params: ['pattern', 'ellipsePosition'],
    positions(p, { scan, dataset, connected }) {
      // a calibration input always brings a centre and an ellipse (any stand-in values tell the same)
      const meta = connected.includes('calibration')
        ? { ...dataset?.meta, center: [0, 0], ellipse: [1, 0] }
        : dataset?.meta;
      let shape: ReturnType<typeof givenShape>;
      try {
        shape = givenShape(p, meta, '');
      } catch {
        return []; // a malformed meta ellipse: finish names it
      }
      if (shape.centre !== 'auto' && shape.ellipse !== 'auto') return [];
      const spec = patternSpec(p, scan);
      return spec.kind === 'mean' ? 'all' : spec.positions;
    },
  },
  process: (ctx): Value =>
    patternPartial(patternSpec(ctx.params, ctx.scan), framesOf(ctx.inputs.frames, ctx.node), ctx.chunk),
  merge: (a, b) => mergePatternPartials(a, b),
  async finish(ctx): Promise<Value> {
    const { params: p, node } = ctx;
    const meta = withCalibration(ctx.dataset?.meta, ctx.inputs.calibration, node);
    const frames = (ctx.inputs.frames as ChunkedInput | undefined) ?? null;
    const [h, w] = await detectorShapeOf(ctx, frames);
    const given = givenShape(p, meta, node);
    const { centre } = given;
    let { centreSource, ellipse, ellipseSource } = given;

    let cx: number;
    let cy: number;
    let ratio = 1;
    let angle = 0;
    if (Array.isArray(ellipse)) [ratio, angle] = ellipse;
    const fitInfo: Record<string, Json> = {};
    if (centre === 'auto' || ellipse === 'auto') {
      if (!frames) {
        throw new ParamError(
          node,
          centre === 'auto' ? 'center' : 'ellipse',
          '"auto" needs the frames input (connect "frames") or give the value explicitly',
        );
      }
      const pos = p.ellipsePosition;
      const spec = patternSpec(p, ctx.scan);
      if (pos && spec.kind === 'sampled' && !spec.positions.length) {
        throw new ParamError(
          node,
          'ellipsePosition',
          `[iy, ix] = [${pos[0]}, ${pos[1]}] is outside the ${ctx.scan.ny} × ${ctx.scan.nx} scan`,
        );
      }
      if (!ctx.partial) throw new Error(`node '${node}': no pattern was reduced from the frames for the fit`);
      const img = patternOf(ctx.partial, h, w, node);
      const fit = fitRingGeometry(img, {
        centre: centre === 'auto' ? null : centre,
        shape: ellipse === 'auto' ? null : ellipse === 'none' ? 'circle' : ellipse,
        ringRange: p.ringRange,
      });
      if (!fit) {
        throw new ParamError(
          node,
          centre === 'auto' ? 'center' : 'ellipse',
          'could not find the amorphous ring in the pattern to fit; give the value explicitly or set ringRange [minPx, maxPx]',
        );
      }
      cx = fit.cx;
      cy = fit.cy;
      ratio = fit.axisRatio;
      angle = fit.angleDeg;
      const from = p.ellipsePosition
        ? `fitted (position ${p.ellipsePosition})`
        : `fitted (${p.pattern} pattern)`;
      if (centre === 'auto') centreSource = from;
      if (ellipse === 'auto') ellipseSource = from;
      Object.assign(fitInfo, { ringRadiusPx: fit.ringRadius, ringPoints: fit.points });
    } else {
      [cx, cy] = centre;
    }
    if (!(cx >= -0.5 && cx <= w - 0.5 && cy >= -0.5 && cy <= h - 0.5)) {
      throw new ParamError(
        node,
        'center',
        `centre [${cx}, ${cy}] (col, row) is off the ${h} × ${w} detector`,
      );
    }

    const { q, source: resolvedQSource } = resolveQ(p, meta, node);
    let qSource = resolvedQSource;
    const keV = p.beamEnergyKeV ?? metaNumber(meta, 'beamEnergyKeV') ?? DEFAULT_KEV;
    const energySource =
      p.beamEnergyKeV != null
        ? 'param'
        : metaNumber(meta, 'beamEnergyKeV')
          ? 'dataset meta'
          : `assumed ${DEFAULT_KEV} keV`;
    const lambda = electronWavelength(keV);
    const L = cameraLengthPx(q, lambda);
    const rCorner = cornerRadius(ellipseMetric(ratio, angle), cx, cy, h, w);
    const dQ = cornerErrorQ(rCorner, q, lambda);

    const fields: Value['fields'] = {
      center: f64([2], [cx, cy]),
      qPerPixel: f64([1], [q]),
      ellipse: f64([2], [ratio, angle]),
      wavelength: f64([1], [lambda]),
      cameraLengthPx: f64([1], [L]),
      cornerErrorQ: f64([1], [dQ]),
      detectorShape: f64([2], [h, w]),
    };
    if (ctx.inputs.shifts) {
      const n = ctx.scan.ny * ctx.scan.nx;
      for (const name of ['dx', 'dy'] as const) {
        const a = await inputField(ctx.inputs.shifts, name, node, 'shifts');
        if (a.data.length !== n)
          throw new UserError(
            `node '${node}', input 'shifts': field '${name}' has ${a.data.length} values, expected one per scan position (${n})`,
          );
        fields[name] = f64([ctx.scan.ny, ctx.scan.nx], a.data as ArrayLike<number>);
      }
    }
    if (ctx.inputs.calibration) {
      const from = (x: string) => x.replace('dataset meta', "input 'calibration'");
      [centreSource, ellipseSource] = [from(centreSource), from(ellipseSource)];
      qSource = from(qSource);
    }
    ctx.log(
      `centre [${cx.toFixed(2)}, ${cy.toFixed(2)}] (${centreSource}); Q/px ${q.toPrecision(5)} Å⁻¹ (${qSource}); ellipse ${ratio.toFixed(4)} @ ${angle.toFixed(1)}°; δQ(corner) ${dQ.toExponential(2)} Å⁻¹`,
    );
    return {
      fields,
      meta: {
        center: [cx, cy],
        centerSource: centreSource,
        qPerPixel: q,
        qSource,
        ellipse: [ratio, angle],
        ellipseSource,
        beamEnergyKeV: keV,
        beamEnergySource: energySource,
        wavelength: lambda,
        cameraLengthPx: L,
        cornerRadiusPx: rCorner,
        cornerErrorQ: dQ,
        detectorShape: [h, w],
        descan: Boolean(ctx.inputs.shifts),
        ...fitInfo,
        units: {
          center: 'px',
          qPerPixel: 'Å⁻¹',
          wavelength: 'Å',
          cameraLengthPx: 'px',
          cornerErrorQ: 'Å⁻¹',
          detectorShape: 'px',
          dx: 'px',
          dy: 'px',
        },
      },
    };
  },
});
