/**
 * Virtual detectors as the pattern view draws and edits them: the params of a `qoi.virtual` node
 * (disc, annulus, sector; radii in px or Å⁻¹ with unit "q"), centred on the geometry's centre.
 * Angles as the op: 0° along +col, counter-clockwise as displayed (row 0 at the top).
 */
import type { Graph } from './api.ts';

export type DetectorShape = 'disc' | 'annulus' | 'sector';
export interface Detector {
  /** The qoi.virtual node it stands for; null for a detector being drawn. */
  node: string | null;
  shape: DetectorShape;
  radius?: number;
  inner?: number;
  outer?: number;
  startDeg?: number;
  endDeg?: number;
  unit: 'px' | 'q';
  stat: 'sum' | 'max' | 'mean' | 'std';
  excludeSaturated?: boolean;
  geometry?: string;
}

export function detectorsOf(graph: Graph): Detector[] {
  const out: Detector[] = [];
  for (const [id, n] of Object.entries(graph.nodes)) {
    if (n.op !== 'qoi.virtual') continue;
    // The validator has checked these params against qoi.virtual's declaration.
    const p = (n.params ?? {}) as Partial<Omit<Detector, 'node' | 'geometry'>>;
    const shape = p.shape ?? 'disc';
    if (shape !== 'disc' && shape !== 'annulus' && shape !== 'sector') continue;
    out.push({
      node: id,
      shape,
      radius: p.radius,
      inner: p.inner,
      outer: p.outer,
      startDeg: p.startDeg ?? 0,
      endDeg: p.endDeg ?? 90,
      unit: p.unit ?? 'px',
      stat: p.stat ?? 'sum',
      excludeSaturated: p.excludeSaturated,
      geometry: n.in?.geometry,
    });
  }
  return out;
}

/** Radii in detector pixels. */
export function radiiPx(d: Detector, qPerPixel: number): { inner: number; outer: number } {
  const k = d.unit === 'q' ? 1 / qPerPixel : 1;
  return d.shape === 'disc'
    ? { inner: 0, outer: (d.radius ?? 0) * k }
    : { inner: (d.inner ?? 0) * k, outer: (d.outer ?? 0) * k };
}

/** Angle of a detector pixel offset, in the op's convention. */
export function angleDeg(dcol: number, drow: number): number {
  const a = (Math.atan2(-drow, dcol) * 180) / Math.PI;
  return a < 0 ? a + 360 : a;
}

/** The params of a `qoi.virtual` node for this detector (rounded to what a person would type). */
export function detectorParams(d: Detector): Record<string, unknown> {
  const r = (v: number | undefined) =>
    v === undefined ? undefined : Number(v.toFixed(d.unit === 'q' ? 3 : 2));
  const p: Record<string, unknown> = { shape: d.shape, unit: d.unit, stat: d.stat };
  if (d.shape === 'disc') p.radius = r(d.radius);
  else {
    p.inner = r(d.inner);
    p.outer = r(d.outer);
  }
  if (d.shape === 'sector') {
    p.startDeg = Math.round(d.startDeg ?? 0);
    p.endDeg = Math.round(d.endDeg ?? 90);
  }
  if (d.excludeSaturated) p.excludeSaturated = true;
  return p;
}

/** The body of POST /api/virtual for this detector. */
export function virtualRequest(d: Detector): Record<string, unknown> {
  const p = detectorParams(d);
  return { ...p, ...(d.geometry ? { geometry: d.geometry } : {}) };
}

/** Set radii from pixel distances (kept in the detector's unit). */
export function withRadiiPx(d: Detector, innerPx: number, outerPx: number, qPerPixel: number): Detector {
  const k = d.unit === 'q' ? qPerPixel : 1;
  if (d.shape === 'disc') return { ...d, radius: Math.max(0.5, outerPx) * k };
  const lo = Math.max(0, Math.min(innerPx, outerPx));
  const hi = Math.max(lo + 0.5, Math.max(innerPx, outerPx));
  return { ...d, inner: lo * k, outer: hi * k };
}
