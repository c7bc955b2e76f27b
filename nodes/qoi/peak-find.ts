/**
 * Peak position and height on a sampled curve with sub-grid refinement: the vertex of the parabola
 * through the best sample and its two neighbours (works on non-uniform grids too).
 */

/** Vertex of the parabola through (x0,y0), (x1,y1), (x2,y2); falls back to (x1, y1) when flat/degenerate. */
export function parabolicVertex(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
): [number, number] {
  const d0 = (x0 - x1) * (x0 - x2);
  const d1 = (x1 - x0) * (x1 - x2);
  const d2 = (x2 - x0) * (x2 - x1);
  // y = A x² + B x + C
  const A = y0 / d0 + y1 / d1 + y2 / d2;
  const B = -(y0 * (x1 + x2)) / d0 - (y1 * (x0 + x2)) / d1 - (y2 * (x0 + x1)) / d2;
  if (!(A < 0)) return [x1, y1]; // not a maximum: keep the sample
  let xv = -B / (2 * A);
  // never move more than half a step from the sample
  xv = Math.min(Math.max(xv, (x0 + x1) / 2), (x1 + x2) / 2);
  const C = y1 - A * x1 * x1 - B * x1;
  return [xv, A * xv * xv + B * xv + C];
}

/** Refine sample k of (x, y[base…]) parabolically if both neighbours exist and are finite. */
export function refineAt(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  base: number,
  n: number,
  k: number,
): [number, number] {
  const yk = y[base + k];
  if (k <= 0 || k >= n - 1) return [x[k], yk];
  const ym = y[base + k - 1];
  const yp = y[base + k + 1];
  if (!Number.isFinite(ym) || !Number.isFinite(yp)) return [x[k], yk];
  return parabolicVertex(x[k - 1], ym, x[k], yk, x[k + 1], yp);
}

/** Index of the largest finite sample in [i0, i1), or −1. */
export function argmaxIn(y: ArrayLike<number>, base: number, i0: number, i1: number): number {
  let best = -1;
  let bv = -Infinity;
  for (let i = i0; i < i1; i++) {
    const v = y[base + i];
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/**
 * First local maximum in [i0, i1) scanning upward in x, on a 3-point running mean (so one noisy
 * sample does not count as a ring): the amorphous ring of I(Q) sits on the steep fall of the direct
 * beam, where the global maximum of the range is often just the range's first sample.
 */
export function firstLocalMax(y: ArrayLike<number>, base: number, n: number, i0: number, i1: number): number {
  const sm = (i: number) => (y[base + i - 1] + y[base + i] + y[base + i + 1]) / 3;
  const end = Math.min(i1, n - 2);
  for (let i = Math.max(i0, 2); i < end; i++) {
    const b = sm(i);
    if (b > sm(i - 1) && b >= sm(i + 1)) {
      // the sample maximum next to the smoothed maximum
      return argmaxIn(y, base, Math.max(i0, i - 1), Math.min(i1, i + 2));
    }
  }
  return -1;
}
