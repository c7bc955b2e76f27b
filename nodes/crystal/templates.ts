/**
 * Kinematic spot templates: for each beam direction, the reflections the Ewald sphere excites, at
 * their in-plane scattering vector (|Q| and angle in the direction's (e1, e2) frame), with
 * intensity |F|² × the excitation of a crystal of thickness t, integrated over a precession cone
 * as the instrument does.
 *
 * Excitation error of g for beam direction z (flat-Ewald-sphere expansion, g = 1/d units):
 *   s = −(g·z) − λ|g|²/2.
 * Relrod: sinc²(π t s) replaced by the Gaussian of the same peak and area, σ_s = 1 / (t √(2π)).
 * Precession by α tilts the Ewald sphere: s(ψ) = s + α |g⊥| cos ψ; the template averages the relrod
 * over ψ (exactly, through the arcsine law of s + α|g⊥| cos ψ), so a spot within ≈ α|g⊥| of the
 * sphere is seen, with weight ∝ 1/(α|g⊥|) — the Lorentz-type factor of precession.
 */
import { reflections, type Phase } from './phase-model.ts';
import { inPlaneBasis, type Vec3 } from './symmetry.ts';

export interface TemplateOptions {
  /** Electron wavelength (Å). */
  wavelength: number;
  thicknessA: number;
  precessionRad: number;
  /** In-plane |Q| range kept (Å⁻¹, Q = 2π/d). */
  qMin: number;
  qMax: number;
  /** Keep at most this many spots per template (the strongest). */
  maxSpots: number;
  /** Drop spots weaker than this fraction of the template's strongest. */
  minRelative: number;
}

export interface TemplateSpots {
  q: number[];
  angle: number[];
  intensity: number[];
  hkl: number[];
}

/** Precomputed reflections of a phase (one list reused for every direction). */
export interface ReflectionTable {
  g: Float64Array;
  gLen: Float64Array;
  intensity: Float64Array;
  hkl: Int16Array;
  n: number;
}

export function reflectionTable(phase: Phase, qMax: number): ReflectionTable {
  // A reflection's in-plane part is at most |g|, and HOLZ spots far out are not excited: g ≤ gMax.
  const list = reflections(phase, qMax / (2 * Math.PI));
  const n = list.length;
  const t: ReflectionTable = {
    g: new Float64Array(3 * n),
    gLen: new Float64Array(n),
    intensity: new Float64Array(n),
    hkl: new Int16Array(3 * n),
    n,
  };
  list.forEach((r, i) => {
    t.g.set(r.g, 3 * i);
    t.gLen[i] = r.gLen;
    t.intensity[i] = r.intensity;
    t.hkl.set(r.hkl, 3 * i);
  });
  return t;
}

/** Gaussian steps per σ_s in the precession average (the relrod is smooth on this scale). */
const STEPS_PER_SIGMA = 8;
/** The relrod is taken as zero beyond this many σ_s. */
const RELROD_REACH = 6;

/**
 * Precession weight of excitation error s for in-plane |g⊥|: the relrod exp(−x²/2σ²) averaged over
 * the cone, x = s + r cos ψ with r = α|g⊥| and ψ uniform. x − s then follows the arcsine law
 * (CDF ½ + asin(u/r)/π on (−r, r)), so the average is the Gaussian integrated against the arcsine
 * mass between Gaussian nodes — exact to the node spacing whatever r/σ. A fixed ψ grid is not: once
 * r·Δψ exceeds σ (a 40 nm crystal, 1°, |g| ≳ 0.3 Å⁻¹) it lands on or between the two crossings at
 * random and a spot's weight jumps by orders of magnitude from one beam direction to the next.
 * For |s| < r the result → σ√(2π)/(π√(r² − s²)): 1/|g| (Gjønnes' precession Lorentz factor) for
 * s ≪ r, and zero-order spots vanish beyond |g| = 2α/λ, where the sphere's curvature λ|g|²/2
 * exceeds the tilt α|g|.
 */
export function precessionExcitation(s: number, gPerp: number, sigmaS: number, alpha: number): number {
  const r = alpha * gPerp;
  const h = sigmaS / STEPS_PER_SIGMA;
  if (r < h) return Math.exp((-s * s) / (2 * sigmaS * sigmaS));
  const cdf = (u: number) => (u <= -r ? 0 : u >= r ? 1 : 0.5 + Math.asin(u / r) / Math.PI);
  // Only the part of the relrod inside the arcsine's support (−r − s, r − s) contributes.
  const lo = Math.max(-RELROD_REACH * sigmaS, -r - s);
  const hi = Math.min(RELROD_REACH * sigmaS, r - s);
  if (!(hi > lo)) return 0;
  const n = Math.max(1, Math.ceil((hi - lo) / h));
  const dy = (hi - lo) / n;
  const inv = 1 / (2 * sigmaS * sigmaS);
  let acc = 0;
  let prev = cdf(lo + s);
  for (let k = 0; k < n; k++) {
    const y1 = lo + (k + 1) * dy;
    const next = cdf(y1 + s);
    const ym = y1 - 0.5 * dy;
    acc += Math.exp(-ym * ym * inv) * (next - prev);
    prev = next;
  }
  return acc;
}

/** The spots of one beam direction (unit vector, crystal frame). */
export function templateSpots(table: ReflectionTable, z: Vec3, o: TemplateOptions): TemplateSpots {
  const [e1, e2] = inPlaneBasis(z);
  const sigmaS = 1 / (o.thicknessA * Math.sqrt(2 * Math.PI));
  const gMin = o.qMin / (2 * Math.PI);
  const gMax = o.qMax / (2 * Math.PI);
  const cand: { q: number; angle: number; w: number; i: number }[] = [];
  let strongest = 0;
  for (let i = 0; i < table.n; i++) {
    const gx = table.g[3 * i];
    const gy = table.g[3 * i + 1];
    const gz = table.g[3 * i + 2];
    const g1 = gx * e1[0] + gy * e1[1] + gz * e1[2];
    const g2 = gx * e2[0] + gy * e2[1] + gz * e2[2];
    const gPerp = Math.hypot(g1, g2);
    if (gPerp < gMin || gPerp > gMax) continue;
    const s = -(gx * z[0] + gy * z[1] + gz * z[2]) - 0.5 * o.wavelength * table.gLen[i] * table.gLen[i];
    // Far from the sphere even at the cone's edge: skip the integral.
    if (Math.abs(s) > o.precessionRad * gPerp + 5 * sigmaS) continue;
    const w = table.intensity[i] * precessionExcitation(s, gPerp, sigmaS, o.precessionRad);
    if (!(w > 0)) continue;
    if (w > strongest) strongest = w;
    cand.push({ q: 2 * Math.PI * gPerp, angle: Math.atan2(g2, g1), w, i });
  }
  cand.sort((a, b) => b.w - a.w);
  const out: TemplateSpots = { q: [], angle: [], intensity: [], hkl: [] };
  for (const c of cand) {
    if (out.q.length >= o.maxSpots || c.w < o.minRelative * strongest) break;
    out.q.push(c.q);
    out.angle.push(c.angle);
    out.intensity.push(c.w / strongest);
    out.hkl.push(table.hkl[3 * c.i], table.hkl[3 * c.i + 1], table.hkl[3 * c.i + 2]);
  }
  return out;
}
