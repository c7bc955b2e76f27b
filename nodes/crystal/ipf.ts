/**
 * Inverse-pole-figure colours of beam directions (crystal frame): for the cubic standard triangle
 * 001–011–111, red at [001], green at [011], blue at [111] (r = z − y, g = (y − x)·√2, b = x·√3 for the
 * direction reduced to 0 ≤ x ≤ y ≤ z, scaled so the largest is 1). Other Laue classes: red at the
 * c axis, green → blue with the azimuth across the fundamental sector.
 */
import type { LaueClass, Vec3 } from './symmetry.ts';

const SECTOR: Partial<Record<LaueClass, number>> = {
  '6/mmm': Math.PI / 6,
  '4/mmm': Math.PI / 4,
  mmm: Math.PI / 2,
};

export function ipfColor(d: Vec3, laue: LaueClass, out: Float32Array | number[], o = 0): void {
  let r: number;
  let g: number;
  let b: number;
  if (laue === 'm-3m' || laue === 'm-3') {
    const [x, y, z] = [Math.abs(d[0]), Math.abs(d[1]), Math.abs(d[2])].sort((p, q) => p - q);
    r = z - y;
    g = (y - x) * Math.SQRT2;
    b = x * Math.sqrt(3);
  } else {
    const n = Math.hypot(d[0], d[1], d[2]);
    const ct = Math.abs(d[2]) / n;
    const sector = SECTOR[laue] ?? Math.PI;
    let phi = Math.atan2(Math.abs(d[1]), Math.abs(d[0]));
    if (laue === '-1') phi = Math.atan2(d[1], d[0]) + Math.PI;
    const f = Math.min(1, (phi % (2 * sector)) / sector);
    const t = Math.min(1, 1 - ct);
    r = 1 - t;
    g = t * (1 - Math.min(1, f > 1 ? 2 - f : f));
    b = t * Math.min(1, f > 1 ? 2 - f : f);
  }
  const m = Math.max(r, g, b, 1e-9);
  out[o] = r / m;
  out[o + 1] = g / m;
  out[o + 2] = b / m;
}
