/**
 * The detector geometry every per-pattern op shares, and the elliptical metric that turns a pixel
 * offset into a corrected ring radius.
 *
 * Ellipse convention: a ring of constant Q appears as an ellipse with semi-axes a ≥ b, its major axis
 * at `angleDeg` from the +column axis towards +row, and `axisRatio` = b/a ≤ 1. The corrected radius of
 * an offset (dx, dy) is r² = ρ u² + v²/ρ (u along the major axis, v along the minor, ρ = b/a): the
 * area-preserving map (det = 1) that sends that ellipse to the circle of radius √(ab). Q = r · qPerPixel
 * (linear, small-angle axis; the error of that is reported as cornerErrorQ).
 */
import { UserError } from '../../engine/errors.ts';
import type { Value } from '../../engine/types.ts';

export interface Geometry {
  /** Beam centre, px: column (x) and row (y) of the detector, pixel centres at integers. */
  cx: number;
  cy: number;
  qPerPixel: number;
  axisRatio: number;
  angleDeg: number;
  wavelength: number;
  cameraLengthPx: number;
  cornerErrorQ: number;
  h: number;
  w: number;
  /** Per-position descan shifts of the centre, px, [ny*nx] (ix fastest), or null. */
  dx: Float64Array | null;
  dy: Float64Array | null;
}

/** r² = xx·dx² + 2·xy·dx·dy + yy·dy², and the linear map T with |T d|² = r² (rows t00 t01 / t10 t11). */
export interface EllipseMetric {
  xx: number;
  xy: number;
  yy: number;
  t00: number;
  t01: number;
  t10: number;
  t11: number;
}

export function ellipseMetric(axisRatio: number, angleDeg: number): EllipseMetric {
  const a = (angleDeg * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const sr = Math.sqrt(axisRatio);
  // u = c dx + s dy, v = −s dx + c dy; U = √ρ u, V = v / √ρ.
  const t00 = sr * c;
  const t01 = sr * s;
  const t10 = -s / sr;
  const t11 = c / sr;
  return {
    xx: t00 * t00 + t10 * t10,
    xy: t00 * t01 + t10 * t11,
    yy: t01 * t01 + t11 * t11,
    t00,
    t01,
    t10,
    t11,
  };
}

export function correctedRadius(m: EllipseMetric, dx: number, dy: number): number {
  return Math.sqrt(m.xx * dx * dx + 2 * m.xy * dx * dy + m.yy * dy * dy);
}

/** Smallest r² on the segment P0 → P1 (offsets from the centre). */
function segmentMinR2(m: EllipseMetric, x0: number, y0: number, x1: number, y1: number): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const dd = m.xx * dx * dx + 2 * m.xy * dx * dy + m.yy * dy * dy;
  const pd = m.xx * x0 * dx + m.xy * (x0 * dy + y0 * dx) + m.yy * y0 * dy;
  let t = dd > 0 ? -pd / dd : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const x = x0 + t * dx;
  const y = y0 + t * dy;
  return m.xx * x * x + 2 * m.xy * x * y + m.yy * y * y;
}

/**
 * Exact [min, max] of the corrected radius over the axis-aligned box [x0, x1] × [y0, y1] (offsets from
 * the centre): the max of a convex form is at a corner; the min is 0 inside, else on an edge.
 */
export function radiusRangeOverBox(
  m: EllipseMetric,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
  out: Float64Array,
): void {
  const r2 = (x: number, y: number) => m.xx * x * x + 2 * m.xy * x * y + m.yy * y * y;
  const hi = Math.max(r2(x0, y0), r2(x1, y0), r2(x0, y1), r2(x1, y1));
  let lo: number;
  if (x0 <= 0 && x1 >= 0 && y0 <= 0 && y1 >= 0) lo = 0;
  else {
    lo = Math.min(
      segmentMinR2(m, x0, y0, x1, y0),
      segmentMinR2(m, x1, y0, x1, y1),
      segmentMinR2(m, x1, y1, x0, y1),
      segmentMinR2(m, x0, y1, x0, y0),
    );
  }
  out[0] = Math.sqrt(lo);
  out[1] = Math.sqrt(hi);
}

/** The largest corrected radius whose whole ring lies on the detector (pixel edges at −0.5 and size−0.5). */
export function inscribedRadius(m: EllipseMetric, cx: number, cy: number, h: number, w: number): number {
  const x0 = -0.5 - cx;
  const x1 = w - 0.5 - cx;
  const y0 = -0.5 - cy;
  const y1 = h - 0.5 - cy;
  return Math.sqrt(
    Math.min(
      segmentMinR2(m, x0, y0, x1, y0),
      segmentMinR2(m, x1, y0, x1, y1),
      segmentMinR2(m, x1, y1, x0, y1),
      segmentMinR2(m, x0, y1, x0, y0),
    ),
  );
}

/** Corrected radius of the farthest detector corner. */
export function cornerRadius(m: EllipseMetric, cx: number, cy: number, h: number, w: number): number {
  const out = new Float64Array(2);
  radiusRangeOverBox(m, -0.5 - cx, w - 0.5 - cx, -0.5 - cy, h - 0.5 - cy, out);
  return out[1];
}

function scalar(v: Value, name: string, node: string, port: string, len: number): Float64Array {
  const f = v.fields[name];
  if (!f || f.data.length < len)
    throw new UserError(
      `node '${node}', input '${port}': expected a calib.geometry result with field '${name}'`,
    );
  return Float64Array.from(f.data as ArrayLike<number>);
}

/** Parse a calib.geometry value (fields center, qPerPixel, ellipse, …) for a consumer op. */
export function readGeometry(v: Value, node: string, port = 'geometry'): Geometry {
  const center = scalar(v, 'center', node, port, 2);
  const shape = scalar(v, 'detectorShape', node, port, 2);
  const ellipse = v.fields.ellipse ? scalar(v, 'ellipse', node, port, 2) : Float64Array.of(1, 0);
  const one = (n: string, fallback: number) => (v.fields[n] ? Number(v.fields[n].data[0]) : fallback);
  const dx = v.fields.dx ? Float64Array.from(v.fields.dx.data as ArrayLike<number>) : null;
  const dy = v.fields.dy ? Float64Array.from(v.fields.dy.data as ArrayLike<number>) : null;
  return {
    cx: center[0],
    cy: center[1],
    qPerPixel: scalar(v, 'qPerPixel', node, port, 1)[0],
    axisRatio: ellipse[0],
    angleDeg: ellipse[1],
    wavelength: one('wavelength', NaN),
    cameraLengthPx: one('cameraLengthPx', NaN),
    cornerErrorQ: one('cornerErrorQ', NaN),
    h: shape[0],
    w: shape[1],
    dx,
    dy,
  };
}

/** Centre shift (px) of scan position `pos`, zero without descan. */
export function shiftAt(g: Geometry, pos: number, out: Float64Array): Float64Array {
  out[0] = g.dx ? g.dx[pos] : 0;
  out[1] = g.dy ? g.dy[pos] : 0;
  if (!Number.isFinite(out[0])) out[0] = 0;
  if (!Number.isFinite(out[1])) out[1] = 0;
  return out;
}
