/**
 * Detector calibration from indexed Bragg spots. Each observed spot offset d (px from the beam
 * centre) of pattern p is modelled as
 *   d = S · R(φ_p) · q + c,
 * q the spot's scattering vector in its template's (e1, e2) frame (Å⁻¹, Q units), φ_p the pattern's
 * in-plane angle, c a shift of the centre and S the symmetric 2×2 map Å⁻¹ → px that holds the Q
 * calibration and the elliptical distortion: S = R(ψ)·diag(1/√k, √k)·R(−ψ) / qPerPixel (the
 * simulator's and calib.geometry's convention: k = b/a ≤ 1, major axis at ψ). Alternating
 * least squares: given the φ_p, (S, c) is linear (a general 2×2 A, then its polar decomposition
 * A = R_g·S' gives S = R_g·S'·R_gᵀ and moves the common rotation R_g into the φ_p); given (S, c), each φ_p takes Gauss–Newton steps.
 */
export interface SpotObservation {
  pattern: number;
  /** Template-frame scattering vector (Å⁻¹). */
  u: number;
  v: number;
  /** Observed offset from the current centre (px). */
  dc: number;
  dr: number;
}

export interface SpotFit {
  /** S as [s00, s01, s11] (symmetric), px per Å⁻¹. */
  s: [number, number, number];
  c: [number, number];
  phi: Float64Array;
  residual: Float64Array;
  qPerPixel: number;
  axisRatio: number;
  angleDeg: number;
}

function solve3(m: number[], b: number[]): number[] {
  const [a, bb, c, d, e, f, g, h, i] = m;
  const det = a * (e * i - f * h) - bb * (d * i - f * g) + c * (d * h - e * g);
  const inv = [
    e * i - f * h,
    c * h - bb * i,
    bb * f - c * e,
    f * g - d * i,
    a * i - c * g,
    c * d - a * f,
    d * h - e * g,
    bb * g - a * h,
    a * e - bb * d,
  ];
  return [0, 1, 2].map((r) => (inv[3 * r] * b[0] + inv[3 * r + 1] * b[1] + inv[3 * r + 2] * b[2]) / det);
}

/** Decompose a symmetric positive 2×2 [s00, s01, s11] into qPerPixel, axis ratio and major-axis angle. */
export function ellipseOf(s: [number, number, number]): {
  qPerPixel: number;
  axisRatio: number;
  angleDeg: number;
} {
  const [a, b, d] = s;
  const mean = (a + d) / 2;
  const rad = Math.hypot((a - d) / 2, b);
  const l1 = mean + rad;
  const l2 = mean - rad;
  let ang = (0.5 * Math.atan2(2 * b, a - d) * 180) / Math.PI;
  if (ang <= -90) ang += 180;
  if (ang > 90) ang -= 180;
  return { qPerPixel: 1 / Math.sqrt(l1 * l2), axisRatio: l2 / l1, angleDeg: ang };
}

export function fitSpots(obs: SpotObservation[], phi0: Float64Array, iterations = 20): SpotFit {
  const phi = Float64Array.from(phi0);
  let s: [number, number, number] = [1, 0, 1];
  let c: [number, number] = [0, 0];
  const n = obs.length;
  const residual = new Float64Array(n);
  for (let it = 0; it < iterations; it++) {
    // (A, c) given φ: two independent 3-parameter linear fits (columns and rows).
    const m = new Array(9).fill(0);
    const bc = [0, 0, 0];
    const br = [0, 0, 0];
    for (const o of obs) {
      const cp = Math.cos(phi[o.pattern]);
      const sp = Math.sin(phi[o.pattern]);
      const x = [o.u * cp - o.v * sp, o.u * sp + o.v * cp, 1];
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) m[3 * i + j] += x[i] * x[j];
        bc[i] += x[i] * o.dc;
        br[i] += x[i] * o.dr;
      }
    }
    const r0 = solve3(m, bc);
    const r1 = solve3(m, br);
    // A = [[r0[0], r0[1]], [r1[0], r1[1]]] = R(γ)·S: γ from the antisymmetric part.
    const gamma = Math.atan2(r1[0] - r0[1], r0[0] + r1[1]);
    const cg = Math.cos(gamma);
    const sg = Math.sin(gamma);
    // A·R(φ) = [R(γ)·S·R(−γ)]·R(φ + γ): the symmetric map is A·R(−γ) and every φ turns by γ.
    const s00 = r0[0] * cg - r0[1] * sg;
    const s01 = 0.5 * (r0[0] * sg + r0[1] * cg + (r1[0] * cg - r1[1] * sg));
    const s11 = r1[0] * sg + r1[1] * cg;
    s = [s00, s01, s11];
    c = [r0[2], r1[2]];
    for (let p = 0; p < phi.length; p++) phi[p] += gamma;
    // φ_p given (S, c): Gauss–Newton on Σ |S R(φ) q + c − d|².
    const num = new Float64Array(phi.length);
    const den = new Float64Array(phi.length);
    for (const o of obs) {
      const cp = Math.cos(phi[o.pattern]);
      const sp = Math.sin(phi[o.pattern]);
      const x = o.u * cp - o.v * sp;
      const y = o.u * sp + o.v * cp;
      const ex = s[0] * x + s[1] * y + c[0] - o.dc;
      const ey = s[1] * x + s[2] * y + c[1] - o.dr;
      // d/dφ of R(φ)q = (−y, x).
      const jx = -s[0] * y + s[1] * x;
      const jy = -s[1] * y + s[2] * x;
      num[o.pattern] += jx * ex + jy * ey;
      den[o.pattern] += jx * jx + jy * jy;
    }
    for (let p = 0; p < phi.length; p++) if (den[p] > 0) phi[p] -= num[p] / den[p];
  }
  obs.forEach((o, i) => {
    const cp = Math.cos(phi[o.pattern]);
    const sp = Math.sin(phi[o.pattern]);
    const x = o.u * cp - o.v * sp;
    const y = o.u * sp + o.v * cp;
    residual[i] = Math.hypot(s[0] * x + s[1] * y + c[0] - o.dc, s[1] * x + s[2] * y + c[1] - o.dr);
  });
  return { s, c, phi, residual, ...ellipseOf(s) };
}
