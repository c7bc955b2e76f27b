/**
 * The cell layout of a polar summary: detector pixel → cell, a cell being 1 px in radius × (360 /
 * sectors)° in angle about a centre [col, row] (pixel centres on integers, angles as the virtual
 * detectors measure them: 0° = +col, counter-clockwise as displayed). Cell c = ring · sectors +
 * sector with ring = ⌊r / px⌋. The op that sums patterns over the cells and the studio that turns
 * the sums into virtual images both build it from this one function.
 */
import { pixelAngleDeg } from '../qoi/detector-masks.ts';

export interface PolarLayout {
  center: [number, number];
  sectors: number;
  rings: number;
  cells: number;
  /** Cell of each detector pixel (row · w + col). */
  cellOf: Int32Array;
  /** Pixels per cell. */
  cellPixels: Int32Array;
}

export function polarLayout(center: [number, number], h: number, w: number, sectors: number): PolarLayout {
  const [cx, cy] = center;
  const far = Math.max(
    Math.hypot(cx, cy),
    Math.hypot(w - 1 - cx, cy),
    Math.hypot(cx, h - 1 - cy),
    Math.hypot(w - 1 - cx, h - 1 - cy),
  );
  const rings = Math.ceil(far) + 1;
  const cells = rings * sectors;
  const cellOf = new Int32Array(h * w);
  const cellPixels = new Int32Array(cells);
  for (let row = 0; row < h; row++) {
    for (let col = 0; col < w; col++) {
      const dx = col - cx;
      const dy = row - cy;
      const sector = Math.min(sectors - 1, Math.floor((pixelAngleDeg(dx, dy) / 360) * sectors));
      const c = Math.floor(Math.hypot(dx, dy)) * sectors + sector;
      cellOf[row * w + col] = c;
      cellPixels[c]++;
    }
  }
  return { center: [cx, cy], sectors, rings, cells, cellOf, cellPixels };
}

/** Whether a cell's sum of `dtype` pixels fits in uint16 (8-bit detectors: always at 1 px rings). */
export function fitsUint16(layout: PolarLayout, dtype: string): boolean {
  let most = 0;
  for (let c = 0; c < layout.cells; c++) most = Math.max(most, layout.cellPixels[c]);
  return dtype === 'uint8' && most * 255 < 65536;
}
