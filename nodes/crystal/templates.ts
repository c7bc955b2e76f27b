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
 * over ψ (24 steps), so a spot within ≈ α|g⊥| of the sphere is seen, with weight ∝ 1/(α|g⊥|) —
 * the Lorentz-type factor of precession.
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

const PSI_STEPS = 24;

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
  const t: ReflectionTable = { g: new Float64Array(3 * n), gLen: new Float64Array(n), intensity: new Float64Array(n), hkl: new Int16Array(3 * n), n };
  list.forEach((r, i) => {
    t.g.set(r.g, 3 * i);
    t.gLen[i] = r.gLen;
    t.intensity[i] = r.intensity;
    t.hkl.set(r.hkl, 3 * i);
  });
  return t;
}

/** Precession weight of excitation error s for in-plane |g⊥|: the relrod averaged over the cone. */
export function precessionExcitation(s: number, gPerp: number, sigmaS: number, alpha: number): number {
  const inv = 1 / (2 * sigmaS * sigmaS);
  if (alpha <= 0) return Math.exp(-s * s * inv);
  let acc = 0;
  const r = alpha * gPerp;
  for (let k = 0; k < PSI_STEPS; k++) {
    const x = s + r * Math.cos(((k + 0.5) * 2 * Math.PI) / PSI_STEPS);
    acc += Math.exp(-x * x * inv);
  }
  return acc / PSI_STEPS;
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
