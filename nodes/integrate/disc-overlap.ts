/**
 * Exact area of a convex polygon ∩ the disc of radius R about the origin: the sum over edges of the
 * signed area of (triangle origin–edge) ∩ disc, each edge split where it crosses the circle into
 * pieces that are either inside (a triangle) or outside (a circular sector).
 */

function pieceArea(ax: number, ay: number, bx: number, by: number, R: number): number {
  const mx = 0.5 * (ax + bx);
  const my = 0.5 * (ay + by);
  const cross = ax * by - ay * bx;
  // Strict: a piece that only touches the circle (tangent edge) is outside, i.e. a sector.
  if (mx * mx + my * my < R * R) return 0.5 * cross;
  const dot = ax * bx + ay * by;
  return 0.5 * R * R * Math.atan2(cross, dot);
}

function edgeArea(ax: number, ay: number, bx: number, by: number, R: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const a = dx * dx + dy * dy;
  if (a === 0) return 0;
  const b = ax * dx + ay * dy;
  const c = ax * ax + ay * ay - R * R;
  const disc = b * b - a * c;
  if (disc <= 0) return pieceArea(ax, ay, bx, by, R);
  const sq = Math.sqrt(disc);
  const t1 = (-b - sq) / a;
  const t2 = (-b + sq) / a;
  let area = 0;
  let px = ax;
  let py = ay;
  for (const t of [t1, t2]) {
    if (t > 0 && t < 1) {
      const qx = ax + t * dx;
      const qy = ay + t * dy;
      area += pieceArea(px, py, qx, qy, R);
      px = qx;
      py = qy;
    }
  }
  return area + pieceArea(px, py, bx, by, R);
}

/** Area of polygon (vertices xs/ys, counter-clockwise or clockwise, n of them) inside radius R. */
export function polygonDiscArea(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, R: number): number {
  if (R <= 0) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const j = i + 1 === n ? 0 : i + 1;
    s += edgeArea(xs[i], ys[i], xs[j], ys[j], R);
  }
  return Math.abs(s);
}
