/**
 * Crystal symmetry for orientation work: the proper-rotation group of a Laue class (to compare
 * orientations), and the fundamental zone of beam directions (to sample templates once per
 * distinct pattern). Directions are unit vectors in the crystal's Cartesian frame (for cubic
 * crystals the same as [uvw]/|uvw|). Friedel's law makes a kinematic pattern centrosymmetric, so
 * every Laue class here includes the inversion and beam directions only need a hemisphere.
 */
export type Vec3 = [number, number, number];
/** Row-major 3×3 matrix. */
export type Mat3 = Float64Array;

export const LAUE_CLASSES = ['m-3m', 'm-3', '6/mmm', '4/mmm', 'mmm', '-1'] as const;
export type LaueClass = (typeof LAUE_CLASSES)[number];

function mat(rows: number[][]): Mat3 {
  return Float64Array.from(rows.flat());
}

export function mul(a: Mat3, b: Mat3, out: Mat3 = new Float64Array(9)): Mat3 {
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      out[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
  return out;
}

export function transpose(a: Mat3): Mat3 {
  return Float64Array.of(a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]);
}

function det(a: Mat3): number {
  return (
    a[0] * (a[4] * a[8] - a[5] * a[7]) -
    a[1] * (a[3] * a[8] - a[5] * a[6]) +
    a[2] * (a[3] * a[7] - a[4] * a[6])
  );
}

/** Rotation by `angle` (rad) about the unit axis u (right-handed). */
export function axisAngle(u: Vec3, angle: number): Mat3 {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  const [x, y, z] = u;
  return mat([
    [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
    [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
    [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
  ]);
}

/** The 24 proper rotations of the cube: signed permutation matrices with determinant +1. */
function cubicRotations(): Mat3[] {
  const perms = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
  ];
  const out: Mat3[] = [];
  for (const p of perms)
    for (let signs = 0; signs < 8; signs++) {
      const m = new Float64Array(9);
      for (let i = 0; i < 3; i++) m[i * 3 + p[i]] = signs & (1 << i) ? -1 : 1;
      if (det(m) > 0) out.push(m);
    }
  return out;
}

/** Rotations about z by 2πk/n, and (dihedral) the 2-folds perpendicular to z. */
function dihedral(n: number, withTwofolds: boolean): Mat3[] {
  const out: Mat3[] = [];
  for (let k = 0; k < n; k++) out.push(axisAngle([0, 0, 1], (2 * Math.PI * k) / n));
  if (withTwofolds)
    for (let k = 0; k < n; k++)
      out.push(axisAngle([Math.cos((Math.PI * k) / n), Math.sin((Math.PI * k) / n), 0], Math.PI));
  return out;
}

/** The proper rotations of a Laue class (its rotation subgroup: 432, 23, 622, 422, 222, 1). */
export function rotationGroup(laue: LaueClass): Mat3[] {
  switch (laue) {
    case 'm-3m':
      return cubicRotations();
    case 'm-3':
      // 23: the rotations of the cube that are even permutations.
      return cubicRotations().filter((m) => {
        const p = [0, 1, 2].map((i) => [0, 1, 2].find((j) => m[i * 3 + j] !== 0)!);
        return (p[0] === 0 && p[1] === 1) || (p[0] === 1 && p[1] === 2) || (p[0] === 2 && p[1] === 0);
      });
    case '6/mmm':
      return dihedral(6, true);
    case '4/mmm':
      return dihedral(4, true);
    case 'mmm':
      return dihedral(2, true);
    default:
      return [
        mat([
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ]),
      ];
  }
}

/**
 * Is the unit direction d inside the fundamental zone of beam directions of the Laue class (all
 * symmetry-distinct patterns once)? `tol` (rad, small) widens the zone so grid points on its edges
 * are kept.
 * m-3m: the standard triangle 001–011–111 (0 ≤ x ≤ y ≤ z); m-3: 0 ≤ x, y ≤ z; 6/mmm: azimuth
 * 0–30°; 4/mmm: 0–45°; mmm: the positive octant; −1: the upper hemisphere.
 */
export function inFundamentalZone(laue: LaueClass, d: Vec3, tol = 0): boolean {
  const [x, y, z] = d;
  const e = tol;
  if (z < -e) return false;
  switch (laue) {
    case 'm-3m':
      return x >= -e && y - x >= -e && z - y >= -e;
    case 'm-3':
      return x >= -e && y >= -e && z - x >= -e && z - y >= -e;
    case '6/mmm': {
      const phi = Math.atan2(y, x);
      return y >= -e && phi <= Math.PI / 6 + e / Math.max(Math.hypot(x, y), 1e-9);
    }
    case '4/mmm':
      return y >= -e && x - y >= -e;
    case 'mmm':
      return x >= -e && y >= -e;
    default:
      return true;
  }
}

/** Solid angle (sr) of the fundamental zone of beam directions. */
export function fundamentalZoneArea(laue: LaueClass): number {
  const hemisphere = 2 * Math.PI;
  const divide: Record<LaueClass, number> = {
    'm-3m': 24,
    'm-3': 12,
    '6/mmm': 12,
    '4/mmm': 8,
    mmm: 4,
    '-1': 1,
  };
  return hemisphere / divide[laue];
}

/**
 * Beam directions on a grid of `stepDeg` over the fundamental zone: rings of constant polar angle
 * θ (from z) every step, each ring with points every step of arc. Count ≈ area / step².
 */
export function sampleDirections(laue: LaueClass, stepDeg: number): Vec3[] {
  const step = (stepDeg * Math.PI) / 180;
  const out: Vec3[] = [];
  const tol = 0.3 * step;
  const rings = Math.floor(Math.PI / 2 / step + 1e-9);
  for (let i = 0; i <= rings; i++) {
    const th = i * step;
    const st = Math.sin(th);
    const n = i === 0 ? 1 : Math.max(1, Math.round((2 * Math.PI * st) / step));
    for (let j = 0; j < n; j++) {
      const ph = (2 * Math.PI * j) / n;
      const d: Vec3 = [st * Math.cos(ph), st * Math.sin(ph), Math.cos(th)];
      if (inFundamentalZone(laue, d, tol)) out.push(d);
    }
  }
  return out;
}

/**
 * An orthonormal in-plane basis (e1, e2) perpendicular to the beam direction z (crystal frame):
 * e1 = z × x̂ normalised (z × ŷ when z is within 26° of x̂), e2 = z × e1. The in-plane angle of an
 * orientation is the angle of e1 on the detector from +column towards +row; the simulator's truth
 * uses the same definition.
 */
export function inPlaneBasis(z: Vec3): [Vec3, Vec3] {
  const n = Math.hypot(z[0], z[1], z[2]);
  const u: Vec3 = [z[0] / n, z[1] / n, z[2] / n];
  const t: Vec3 = Math.abs(u[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const c: Vec3 = [u[1] * t[2] - u[2] * t[1], u[2] * t[0] - u[0] * t[2], u[0] * t[1] - u[1] * t[0]];
  const m = Math.hypot(c[0], c[1], c[2]);
  const e1: Vec3 = [c[0] / m, c[1] / m, c[2] / m];
  const e2: Vec3 = [u[1] * e1[2] - u[2] * e1[1], u[2] * e1[0] - u[0] * e1[2], u[0] * e1[1] - u[1] * e1[0]];
  return [e1, e2];
}

/**
 * Orientation matrix R (crystal → lab): lab axes (column, row, beam); a crystal vector v lands at
 * R v. Built from the beam direction z (crystal frame) and the in-plane angle (rad) of e1.
 */
export function orientationMatrix(z: Vec3, inplane: number): Mat3 {
  const n = Math.hypot(z[0], z[1], z[2]);
  const u: Vec3 = [z[0] / n, z[1] / n, z[2] / n];
  const [e1, e2] = inPlaneBasis(u);
  const c = Math.cos(inplane);
  const s = Math.sin(inplane);
  const row0 = [0, 1, 2].map((k) => c * e1[k] - s * e2[k]);
  const row1 = [0, 1, 2].map((k) => s * e1[k] + c * e2[k]);
  return mat([row0, row1, [u[0], u[1], u[2]]]);
}

/**
 * Misorientation angle (rad) between orientations A and B (crystal → lab), the smallest over the
 * crystal's rotations S (A vs B·S) and, with `friedel`, also over a 180° turn about the beam (which
 * a kinematic pattern cannot see).
 */
export function misorientation(a: Mat3, b: Mat3, group: Mat3[], friedel = true): number {
  let best = -Infinity;
  const bs = new Float64Array(9);
  for (const s of group) {
    mul(b, s, bs);
    // trace(Aᵀ·B·S) and, for the Friedel twin R_z(π)·B·S, the trace with rows 0 and 1 negated.
    let t = 0;
    let tf = 0;
    for (let k = 0; k < 9; k++) {
      const p = a[k] * bs[k];
      t += p;
      tf += k < 6 ? -p : p;
    }
    if (t > best) best = t;
    if (friedel && tf > best) best = tf;
  }
  return Math.acos(Math.max(-1, Math.min(1, (best - 1) / 2)));
}

/** Angle (rad) between two beam directions up to the crystal symmetry and the sign (Friedel). */
export function directionAngle(a: Vec3, b: Vec3, group: Mat3[]): number {
  let best = -1;
  for (const s of group) {
    const c = Math.abs(
      a[0] * (s[0] * b[0] + s[1] * b[1] + s[2] * b[2]) +
        a[1] * (s[3] * b[0] + s[4] * b[1] + s[5] * b[2]) +
        a[2] * (s[6] * b[0] + s[7] * b[1] + s[8] * b[2]),
    );
    if (c > best) best = c;
  }
  return Math.acos(Math.min(1, best));
}

/**
 * Bunge Euler angles (φ1, Φ, φ2, rad) of an orientation R (crystal → lab): g = Rᵀ takes lab to
 * crystal coordinates, g = Z(φ2)·X(Φ)·Z(φ1) (passive), g₃₃ = cos Φ.
 */
export function bungeEuler(r: Mat3): [number, number, number] {
  const g = transpose(r);
  const Phi = Math.acos(Math.max(-1, Math.min(1, g[8])));
  let phi1: number;
  let phi2: number;
  if (Math.abs(Math.sin(Phi)) > 1e-8) {
    phi1 = Math.atan2(g[6], -g[7]);
    phi2 = Math.atan2(g[2], g[5]);
  } else {
    // Φ = 0 or π: only φ1 ± φ2 is defined; put it all in φ1.
    phi1 = Math.atan2(g[1], g[0]);
    phi2 = 0;
  }
  const wrap = (x: number) => (x < 0 ? x + 2 * Math.PI : x);
  return [wrap(phi1), Phi, wrap(phi2)];
}

/** The passive Bunge matrix g(φ1, Φ, φ2) (lab → crystal), for tests and round trips. */
export function bungeMatrix(phi1: number, Phi: number, phi2: number): Mat3 {
  const [c1, s1, c, s, c2, s2] = [
    Math.cos(phi1),
    Math.sin(phi1),
    Math.cos(Phi),
    Math.sin(Phi),
    Math.cos(phi2),
    Math.sin(phi2),
  ];
  return mat([
    [c1 * c2 - s1 * s2 * c, s1 * c2 + c1 * s2 * c, s2 * s],
    [-c1 * s2 - s1 * c2 * c, -s1 * s2 + c1 * c2 * c, c2 * s],
    [s1 * s, -c1 * s, c],
  ]);
}
