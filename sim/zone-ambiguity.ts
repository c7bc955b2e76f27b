/**
 * Which of the simulator's zone axes have a look-alike at the data's camera length: another
 * low-index zone axis (more than `minSepDeg` away, up to the cubic symmetry) whose excited spots,
 * at some in-plane angle, all lie within the spot width of the zone's own spots and vice versa
 * (symmetric Hausdorff distance on the detector ≤ the spot FWHM).
 *
 * Why: ASTAR's reliability, 100·(1 − Q₂/Q₁), compares the best solution with the best one of a
 * different orientation. Where two orientations' patterns coincide to within a spot width the second
 * solution is a real one and the index is low by design — it flags exactly that ambiguity. Down
 * [122] of Ni at 0.2 Å⁻¹/px with a 1° precession cone only (02-2) and the four {420} spots are
 * excited; [433], 24° away about the same (02-2) row, gives (02-2) and four {331} spots 1.06 px from
 * them, with spots 2.3 px wide (FWHM). The accuracy table scores the reliability on the other zones
 * and reports the ambiguous ones separately.
 * Spots: the zero-order Laue zone (FCC reflection rule) that a precession cone of semi-angle α
 * excites, |g| < 2α/λ (g = 1/d; beyond it the sphere's curvature λg²/2 exceeds the tilt αg), between
 * qMin and the detector's qMax. Candidates: every zone [uvw] with 0 ≤ w ≤ v ≤ u ≤ `maxIndex`.
 */
import { rotationGroup, directionAngle, type Vec3 } from '../nodes/crystal/symmetry.ts';
import { zoneReflections } from './crystal.ts';

export interface AmbiguityOptions {
  /** FCC lattice parameter (Å). */
  a: number;
  qPerPixel: number;
  wavelength: number;
  precessionDeg: number;
  qMin: number;
  qMax: number;
  /** Spots two patterns may differ by and still look alike (px): the spot FWHM. */
  tolPx: number;
  /** Orientations closer than this are the same solution (°), as crystal.match's reliabilityMinDeg. */
  minSepDeg: number;
  /** Largest Miller index of the candidate zones. */
  maxIndex: number;
}

export interface Ambiguity {
  zone: Vec3;
  /** The closest-looking other zone axis and its Hausdorff distance (px); NaN / Infinity when none is within 4 × tolPx. */
  partner: Vec3;
  distancePx: number;
  ambiguous: boolean;
}

type Points = { x: Float64Array; y: Float64Array };

/** The excited zero-order spots of a zone, in detector pixels from the centre. */
function spotsPx(zone: Vec3, o: AmbiguityOptions): Points {
  const qCut = Math.min(o.qMax, (2 * Math.PI * 2 * ((o.precessionDeg * Math.PI) / 180)) / o.wavelength);
  const r = zoneReflections(o.a, zone, qCut).filter((x) => x.q >= o.qMin);
  return {
    x: Float64Array.from(r, (x) => x.q1 / o.qPerPixel),
    y: Float64Array.from(r, (x) => x.q2 / o.qPerPixel),
  };
}

function unit(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Largest distance from a point of `a` to its nearest point of `b` turned by (c, s). */
function directed(a: Points, b: Points, c: number, s: number, turnB: boolean): number {
  let worst = 0;
  for (let i = 0; i < a.x.length; i++) {
    let near = Infinity;
    for (let j = 0; j < b.x.length; j++) {
      const bx = turnB ? c * b.x[j] - s * b.y[j] : b.x[j];
      const by = turnB ? s * b.x[j] + c * b.y[j] : b.y[j];
      const ax = turnB ? a.x[i] : c * a.x[i] - s * a.y[i];
      const ay = turnB ? a.y[i] : s * a.x[i] + c * a.y[i];
      near = Math.min(near, Math.hypot(ax - bx, ay - by));
    }
    worst = Math.max(worst, near);
  }
  return worst;
}

/** A rotation-free lower bound of the Hausdorff distance: the same, on radii alone. */
function radialBound(a: Points, b: Points): number {
  const r = (p: Points) => Array.from(p.x, (x, i) => Math.hypot(x, p.y[i]));
  const ra = r(a);
  const rb = r(b);
  const one = (u: number[], v: number[]) =>
    u.reduce(
      (w, x) =>
        Math.max(
          w,
          v.reduce((m, y) => Math.min(m, Math.abs(x - y)), Infinity),
        ),
      0,
    );
  return Math.max(one(ra, rb), one(rb, ra));
}

/** Smallest symmetric Hausdorff distance (px) between two spot sets over in-plane angles (0.5° steps). */
function bestHausdorff(a: Points, b: Points): number {
  if (a.x.length === 0 || b.x.length === 0) return Infinity;
  let best = Infinity;
  for (let k = 0; k < 720; k++) {
    const t = (k * Math.PI) / 360;
    const c = Math.cos(t);
    const s = Math.sin(t);
    const d1 = directed(a, b, c, s, true);
    if (d1 >= best) continue;
    best = Math.min(best, Math.max(d1, directed(b, a, c, s, false)));
  }
  return best;
}

/** For each zone, its closest-looking other zone axis and whether it is within tolPx. */
export function zoneAmbiguities(zones: Vec3[], o: AmbiguityOptions): Ambiguity[] {
  const group = rotationGroup('m-3m');
  const cands: Vec3[] = [];
  for (let u = 1; u <= o.maxIndex; u++)
    for (let v = 0; v <= u; v++)
      for (let w = 0; w <= v; w++) if (gcd(gcd(u, v), w) === 1) cands.push([u, v, w]);
  const candSpots = cands.map((c) => spotsPx(c, o));
  return zones.map((zone) => {
    const own = spotsPx(zone, o);
    let best = Infinity;
    let partner: Vec3 = [Number.NaN, Number.NaN, Number.NaN];
    cands.forEach((c, i) => {
      if ((directionAngle(unit(zone), unit(c), group) * 180) / Math.PI <= o.minSepDeg) return;
      // Only near look-alikes need the angle search (the radial bound is rotation-free).
      if (radialBound(own, candSpots[i]) >= Math.min(best, 4 * o.tolPx)) return;
      const h = bestHausdorff(own, candSpots[i]);
      if (h < best) {
        best = h;
        partner = c;
      }
    });
    return { zone, partner, distancePx: best, ambiguous: best <= o.tolPx };
  });
}
