/**
 * Kinematic spot patterns of FCC crystals seen down a zone axis (with precession, so every
 * zero-order Laue-zone reflection is excited): positions |g| = Q / 2π exactly, intensities
 * |F|² = 16 f(Q)² (four atoms per cell, h, k, l unmixed), a Debye–Waller factor, and a
 * precession (Lorentz-type) factor ∝ 1/Q that integrates the rocking curve.
 */

export type Vec3 = [number, number, number];

export interface Reflection {
  hkl: Vec3;
  /** Scattering vector in the zone frame (Å⁻¹, Q = 2π/d): components along e1, e2 ⟂ zone axis. */
  q1: number;
  q2: number;
  /** |Q| (Å⁻¹). */
  q: number;
}

function norm(v: Vec3): number {
  return Math.hypot(v[0], v[1], v[2]);
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** An orthonormal in-plane basis (e1, e2) perpendicular to the zone axis. */
export function zoneBasis(zone: Vec3): [Vec3, Vec3] {
  const n = norm(zone);
  const z: Vec3 = [zone[0] / n, zone[1] / n, zone[2] / n];
  const trial: Vec3 = Math.abs(z[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0];
  const e1raw = cross(z, trial);
  const n1 = norm(e1raw);
  const e1: Vec3 = [e1raw[0] / n1, e1raw[1] / n1, e1raw[2] / n1];
  return [e1, cross(z, e1)];
}

/** FCC reflection rule: h, k, l all even or all odd (and not 000). */
export function fccAllowed(h: number, k: number, l: number): boolean {
  const odd = (x: number) => Math.abs(x) % 2 === 1;
  return (odd(h) && odd(k) && odd(l)) || (!odd(h) && !odd(k) && !odd(l) && (h || k || l) !== 0);
}

/** Zero-order Laue-zone FCC reflections of a cubic lattice (a in Å) up to qMax (Å⁻¹). */
export function zoneReflections(a: number, zone: Vec3, qMax: number): Reflection[] {
  const [e1, e2] = zoneBasis(zone);
  const out: Reflection[] = [];
  const hmax = Math.ceil((qMax * a) / (2 * Math.PI));
  for (let h = -hmax; h <= hmax; h++)
    for (let k = -hmax; k <= hmax; k++)
      for (let l = -hmax; l <= hmax; l++) {
        if (!fccAllowed(h, k, l)) continue;
        if (h * zone[0] + k * zone[1] + l * zone[2] !== 0) continue;
        const g: Vec3 = [(2 * Math.PI * h) / a, (2 * Math.PI * k) / a, (2 * Math.PI * l) / a];
        const q = norm(g);
        if (q > qMax) continue;
        out.push({ hkl: [h, k, l], q1: dot(g, e1), q2: dot(g, e2), q });
      }
  return out;
}

/** Debye–Waller factor exp(−B s² · 2)… written as exp(−B Q² / (8π²)) with s = Q/4π (B in Å²). */
export function debyeWaller(q: number, b: number): number {
  return Math.exp((-b * q * q) / (8 * Math.PI * Math.PI));
}

/**
 * Relative kinematic intensity of a reflection with precession: |F|² DW / Q, F = 4 f(Q).
 * `f` is the (mean) electron form factor at that Q.
 */
export function spotIntensity(f: number, q: number, bIso: number): number {
  return (16 * f * f * debyeWaller(q, bIso)) / Math.max(q, 1e-6);
}

/** Low-index zone axes used for grains and inclusions. */
export const ZONES: Vec3[] = [
  [0, 0, 1],
  [0, 1, 1],
  [1, 1, 1],
  [1, 1, 2],
  [0, 1, 3],
  [1, 2, 2],
];
