/** Scan positions along a straight line between two positions (nearest position per sample). */
import type { ScanStep } from './map-panel.ts';

export interface LineCut {
  iy: Int32Array;
  ix: Int32Array;
  /** Distance from the start, in nm when the step is known, else in positions. */
  distance: Float64Array;
  unit: 'nm' | 'positions';
}

/** One sample per position along the longer axis: [y0, x0] → [y1, x1], inclusive. */
export function lineCut(from: [number, number], to: [number, number], step: ScanStep | null = null): LineCut {
  const [y0, x0] = from;
  const [y1, x1] = to;
  const n = Math.max(Math.abs(y1 - y0), Math.abs(x1 - x0)) + 1;
  const iy = new Int32Array(n);
  const ix = new Int32Array(n);
  const distance = new Float64Array(n);
  const sy = step?.y ?? 1;
  const sx = step?.x ?? 1;
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 0 : i / (n - 1);
    iy[i] = Math.round(y0 + t * (y1 - y0));
    ix[i] = Math.round(x0 + t * (x1 - x0));
    distance[i] = Math.hypot((iy[i] - y0) * sy, (ix[i] - x0) * sx);
  }
  return { iy, ix, distance, unit: step ? 'nm' : 'positions' };
}

/** Values of a row-major [ny, nx] map along a cut. */
export function sampleMap(values: ArrayLike<number>, nx: number, cut: LineCut): Float64Array {
  const out = new Float64Array(cut.iy.length);
  for (let i = 0; i < out.length; i++) out[i] = values[cut.iy[i] * nx + cut.ix[i]];
  return out;
}
