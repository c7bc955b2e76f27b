/**
 * Virtual-detector pixel sets: which detector pixels a disc, annulus or annular sector covers, as a
 * sorted list of flat pixel indices (row·w + col). Pixel (row, col) is the point (col, row): pixel
 * centres sit on integer coordinates, the same convention as the geometry's `center` [col, row].
 * Angles: 0° along +col, increasing counter-clockwise as displayed (row 0 at the top), so 90° points
 * to smaller rows; a sector runs counter-clockwise from startDeg to endDeg (wrapping through 360°).
 */
export type DetectorShape =
  | { kind: 'disc'; radius: number }
  | { kind: 'annulus'; inner: number; outer: number }
  | { kind: 'sector'; inner: number; outer: number; startDeg: number; endDeg: number };

export function pixelAngleDeg(dcol: number, drow: number): number {
  const a = (Math.atan2(-drow, dcol) * 180) / Math.PI;
  return a < 0 ? a + 360 : a;
}

/** True when angle a (deg, [0, 360)) lies on the counter-clockwise arc from start to end. */
export function inArc(a: number, startDeg: number, endDeg: number): boolean {
  const span = endDeg - startDeg;
  if (span >= 360 || span <= -360) return true;
  const s = ((startDeg % 360) + 360) % 360;
  const e = ((endDeg % 360) + 360) % 360;
  return s <= e ? a >= s && a <= e : a >= s || a <= e;
}

/** Flat indices of the pixels of an h×w detector inside `shape` centred on (cx, cy) = (col, row). */
export function shapeIndices(shape: DetectorShape, h: number, w: number, cx: number, cy: number): Int32Array {
  const out: number[] = [];
  for (let row = 0; row < h; row++) {
    const dy = row - cy;
    for (let col = 0; col < w; col++) {
      const dx = col - cx;
      const r = Math.hypot(dx, dy);
      let keep: boolean;
      switch (shape.kind) {
        case 'disc':
          keep = r <= shape.radius;
          break;
        case 'annulus':
          keep = r >= shape.inner && r <= shape.outer;
          break;
        case 'sector':
          keep =
            r >= shape.inner &&
            r <= shape.outer &&
            inArc(pixelAngleDeg(dx, dy), shape.startDeg, shape.endDeg);
          break;
      }
      if (keep) out.push(row * w + col);
    }
  }
  return Int32Array.from(out);
}

/** Flat indices of the nonzero pixels of a mask image. */
export function maskIndices(mask: ArrayLike<number>): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(i);
  return Int32Array.from(out);
}

export type VirtualStat = 'sum' | 'max' | 'mean' | 'std';

/**
 * The statistic of one frame over pixel indices idx (each shifted by `offset` in flat units, for a
 * descan shift), skipping pixels at or above `saturation`. Pixels shifted off the detector are
 * skipped (bounds given by h, w and the shift in rows/cols). Empty → NaN (0 for sum).
 */
export function frameStat(
  frame: ArrayLike<number>,
  base: number,
  idx: Int32Array,
  w: number,
  h: number,
  shiftRow: number,
  shiftCol: number,
  saturation: number,
  stat: VirtualStat,
): number {
  let n = 0;
  let s = 0;
  let s2 = 0;
  let mx = -Infinity;
  const noShift = shiftRow === 0 && shiftCol === 0;
  for (let k = 0; k < idx.length; k++) {
    let p = idx[k];
    if (!noShift) {
      const row = ((p / w) | 0) + shiftRow;
      const col = (p % w) + shiftCol;
      if (row < 0 || row >= h || col < 0 || col >= w) continue;
      p = row * w + col;
    }
    const v = frame[base + p];
    if (v >= saturation) continue;
    n++;
    s += v;
    s2 += v * v;
    if (v > mx) mx = v;
  }
  switch (stat) {
    case 'sum':
      return s;
    case 'max':
      return n ? mx : NaN;
    case 'mean':
      return n ? s / n : NaN;
    case 'std': {
      if (!n) return NaN;
      const mean = s / n;
      return Math.sqrt(Math.max(0, s2 / n - mean * mean));
    }
  }
}
