/**
 * The sparse pixel → Q-bin table of azimuthal integration, built once per geometry (centre,
 * ellipse, bins, splitting) and applied to every frame with that frame's mask as weights.
 *
 * Splitting (a pixel's area shared between the bins it overlaps), in corrected-radius space:
 * - none: the pixel centre's bin, weight 1;
 * - bbox: the pixel's exact radius range [r_min, r_max] over its square, weight = the fraction of
 *   that range inside the bin (pyFAI's "bbox" idea);
 * - full: the exact area of pixel ∩ annulus (the pixel square mapped by the area-preserving ellipse
 *   correction is a parallelogram; its overlap with each disc is computed in closed form).
 * Weights are fractions of one pixel's area, so a bin's summed weight is its area in pixels.
 */
import { radiusRangeOverBox, type EllipseMetric } from '../calib/geometry-model.ts';
import { polygonDiscArea } from './disc-overlap.ts';

export type Split = 'none' | 'bbox' | 'full';

export interface PixelTable {
  bins: number;
  pixels: number;
  /** Bin-major (CSC): entries of bin b are binStart[b] … binStart[b+1]). */
  binStart: Int32Array;
  binPix: Int32Array;
  binW: Float32Array;
  /** Pixel-major (CSR) copy: entries of pixel p are pixStart[p] … pixStart[p+1]). */
  pixStart: Int32Array;
  pixBin: Int32Array;
  pixW: Float32Array;
}

export interface BinSpec {
  /** Corrected-radius bin edges are r0 + k·dr, k = 0 … bins (px). */
  r0: number;
  dr: number;
  bins: number;
}

export function buildPixelTable(
  m: EllipseMetric,
  cx: number,
  cy: number,
  h: number,
  w: number,
  spec: BinSpec,
  split: Split,
): PixelTable {
  const { r0, dr, bins } = spec;
  const rEnd = r0 + dr * bins;
  // Pixel-major entries first (growable typed buffers), then transposed to bin-major.
  let cap = h * w * (split === 'none' ? 1 : 4);
  let pixOf = new Int32Array(cap);
  let binOf = new Int32Array(cap);
  let wOf = new Float64Array(cap);
  let n = 0;
  const push = (p: number, b: number, wt: number) => {
    if (n === cap) {
      cap *= 2;
      const a = new Int32Array(cap);
      a.set(pixOf);
      pixOf = a;
      const c = new Int32Array(cap);
      c.set(binOf);
      binOf = c;
      const d = new Float64Array(cap);
      d.set(wOf);
      wOf = d;
    }
    pixOf[n] = p;
    binOf[n] = b;
    wOf[n] = wt;
    n++;
  };
  const range = new Float64Array(2);
  const qx = new Float64Array(4);
  const qy = new Float64Array(4);
  const cornerX = [-0.5, 0.5, 0.5, -0.5];
  const cornerY = [-0.5, -0.5, 0.5, 0.5];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const dx = x - cx;
      const dy = y - cy;
      if (split === 'none') {
        const r = Math.sqrt(m.xx * dx * dx + 2 * m.xy * dx * dy + m.yy * dy * dy);
        const b = Math.floor((r - r0) / dr);
        if (b >= 0 && b < bins) push(p, b, 1);
        continue;
      }
      radiusRangeOverBox(m, dx - 0.5, dx + 0.5, dy - 0.5, dy + 0.5, range);
      const lo = range[0];
      const hi = range[1];
      if (hi <= r0 || lo >= rEnd) continue;
      const b0 = Math.max(0, Math.floor((lo - r0) / dr));
      const b1 = Math.min(bins - 1, Math.floor((hi - r0) / dr));
      if (split === 'bbox') {
        const span = hi - lo;
        for (let b = b0; b <= b1; b++) {
          const e0 = r0 + b * dr;
          const ov = Math.min(hi, e0 + dr) - Math.max(lo, e0);
          if (ov > 0) push(p, b, ov / span);
        }
        continue;
      }
      // full: parallelogram in corrected space (det T = 1, so areas are pixel areas).
      for (let k = 0; k < 4; k++) {
        const ox = dx + cornerX[k];
        const oy = dy + cornerY[k];
        qx[k] = m.t00 * ox + m.t01 * oy;
        qy[k] = m.t10 * ox + m.t11 * oy;
      }
      let below = r0 + b0 * dr <= lo ? 0 : polygonDiscArea(qx, qy, 4, r0 + b0 * dr);
      for (let b = b0; b <= b1; b++) {
        const e1 = r0 + (b + 1) * dr;
        const upTo = e1 >= hi ? 1 : polygonDiscArea(qx, qy, 4, e1);
        const wt = upTo - below;
        if (wt > 1e-12) push(p, b, wt);
        below = upTo;
      }
    }
  }
  const binStart = new Int32Array(bins + 1);
  for (let i = 0; i < n; i++) binStart[binOf[i] + 1]++;
  for (let b = 0; b < bins; b++) binStart[b + 1] += binStart[b];
  const fill = binStart.slice(0, bins);
  const binPix = new Int32Array(n);
  const binW = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = fill[binOf[i]]++;
    binPix[k] = pixOf[i];
    binW[k] = wOf[i];
  }
  // Entries were pushed in pixel order, so the pixel-major table is a prefix count away.
  const pixStart = new Int32Array(h * w + 1);
  for (let i = 0; i < n; i++) pixStart[pixOf[i] + 1]++;
  for (let p = 0; p < h * w; p++) pixStart[p + 1] += pixStart[p];
  return {
    bins,
    pixels: h * w,
    binStart,
    binPix,
    binW,
    pixStart,
    pixBin: binOf.slice(0, n),
    pixW: Float32Array.from(wOf.subarray(0, n)),
  };
}
