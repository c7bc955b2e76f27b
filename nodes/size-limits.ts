/**
 * Bounds on size-like params, checked before anything is allocated: a typo such as `bins: 1e9` or
 * `rstep: 1e-12` must be a ParamError that states the memory it would have taken, not an OOM kill
 * minutes later (or "Invalid typed array length" after `snem validate` said fine).
 */
import { ParamError } from '../engine/errors.ts';
import { formatBytes } from '../engine/format-bytes.ts';

/** Most points of an r grid (G(r), model partials): 10⁶ = 4 MB of float32 per position. */
export const MAX_R_POINTS = 1_000_000;
/** Q bins per pixel of the detector's diagonal (the longest radius any centre can have). */
export const BINS_PER_PIXEL = 4;
/** The bound never goes below this (the default 400 must fit a 64 × 64 detector). */
export const MIN_MAX_BINS = 1024;

/** Points of the grid from, from + step, … ≤ to (what the op would allocate). */
export function gridPoints(from: number, to: number, step: number): number {
  return Math.floor((to - from) / step + 1e-9) + 1;
}

/** An r grid [rmin, rmax] in steps of rstep: at most MAX_R_POINTS points per curve. */
export function checkRGrid(
  node: string,
  rmin: number,
  rmax: number,
  rstep: number,
  bytesPerPoint: number,
  what: string,
): void {
  const n = gridPoints(rmin, rmax, rstep);
  if (n <= MAX_R_POINTS) return;
  // a step finer than 1e-4 Å is the likely slip; otherwise the range is
  const param = rstep < 1e-4 ? 'rstep' : 'rmax';
  throw new ParamError(
    node,
    param,
    `the r grid ${rmin}…${rmax} Å in steps of ${rstep} Å has ${n.toExponential(3)} points, which would need ${formatBytes(n * bytesPerPoint)} ${what}; at most ${MAX_R_POINTS.toLocaleString('en')} points (here: rstep ≥ ${((rmax - rmin) / (MAX_R_POINTS - 1)).toPrecision(3)} Å)`,
  );
}

/** Q bins for an h × w detector: at most BINS_PER_PIXEL per pixel of its diagonal, or MIN_MAX_BINS. */
export function maxBins(h: number, w: number): number {
  return Math.max(MIN_MAX_BINS, BINS_PER_PIXEL * Math.ceil(Math.hypot(h, w)));
}

export function checkBins(node: string, bins: number, h: number, w: number, positions: number | null): void {
  const max = maxBins(h, w);
  if (bins <= max) return;
  // I, sigma and count: three float32 per bin and position
  const perPosition = 12 * bins;
  const total = positions
    ? `, ${formatBytes(perPosition * positions)} for the ${positions.toLocaleString('en')} positions`
    : '';
  throw new ParamError(
    node,
    'bins',
    `${bins} bins would need ${formatBytes(perPosition)} per position (I, sigma, count as float32)${total}; a ${h}×${w} detector has at most ${Math.ceil(Math.hypot(h, w))} px along any radius: at most ${max} bins (${BINS_PER_PIXEL} per pixel of that, never fewer than ${MIN_MAX_BINS})`,
  );
}
