/** Regions of interest on a scan map: a rectangle or a lasso polygon, in scan positions (x = column, y = row). */
export type Roi =
  | { kind: 'rect'; x0: number; y0: number; x1: number; y1: number }
  | { kind: 'lasso'; points: [number, number][] };

/** Positions (iy, ix) whose centres lie inside the ROI. */
export function roiPositions(roi: Roi, ny: number, nx: number): [number, number][] {
  const out: [number, number][] = [];
  if (roi.kind === 'rect') {
    const xa = Math.max(0, Math.ceil(Math.min(roi.x0, roi.x1) - 0.5));
    const xb = Math.min(nx - 1, Math.floor(Math.max(roi.x0, roi.x1) - 0.5));
    const ya = Math.max(0, Math.ceil(Math.min(roi.y0, roi.y1) - 0.5));
    const yb = Math.min(ny - 1, Math.floor(Math.max(roi.y0, roi.y1) - 0.5));
    for (let iy = ya; iy <= yb; iy++) for (let ix = xa; ix <= xb; ix++) out.push([iy, ix]);
    return out;
  }
  for (let iy = 0; iy < ny; iy++)
    for (let ix = 0; ix < nx; ix++) if (insidePolygon(ix + 0.5, iy + 0.5, roi.points)) out.push([iy, ix]);
  return out;
}

/** Even–odd rule point-in-polygon. */
export function insidePolygon(x: number, y: number, pts: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * A line drawn on a map (page coordinates: position centres at +0.5) as `map.cut` sees it: from / to
 * in map pixel coordinates (centres on integers), one bilinear sample per scan step.
 */
export function lineProfile(
  values: ArrayLike<number>,
  ny: number,
  nx: number,
  a: [number, number],
  b: [number, number],
): { from: [number, number]; to: [number, number]; s: Float64Array; v: Float64Array } {
  const clampX = (x: number) => Math.min(nx - 1, Math.max(0, x - 0.5));
  const clampY = (y: number) => Math.min(ny - 1, Math.max(0, y - 0.5));
  const from: [number, number] = [round2(clampX(a[0])), round2(clampY(a[1]))];
  const to: [number, number] = [round2(clampX(b[0])), round2(clampY(b[1]))];
  const len = Math.hypot(to[0] - from[0], to[1] - from[1]);
  const n = Math.max(2, Math.round(len) + 1);
  const s = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    s[i] = t * len;
    v[i] = bilinearAt(values, ny, nx, from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1]));
  }
  return { from, to, s, v };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function bilinearAt(m: ArrayLike<number>, ny: number, nx: number, x: number, y: number): number {
  const x0 = Math.max(0, Math.min(Math.floor(x), nx - 2));
  const y0 = Math.max(0, Math.min(Math.floor(y), ny - 2));
  const x1 = Math.min(x0 + 1, nx - 1);
  const y1 = Math.min(y0 + 1, ny - 1);
  const fx = nx > 1 ? x - x0 : 0;
  const fy = ny > 1 ? y - y0 : 0;
  return (
    (1 - fy) * ((1 - fx) * m[y0 * nx + x0] + fx * m[y0 * nx + x1]) +
    fy * ((1 - fx) * m[y1 * nx + x0] + fx * m[y1 * nx + x1])
  );
}
