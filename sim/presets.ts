/**
 * Simulator parameters and the named presets. A dataset is a pure function of these params (and
 * the seed inside them): `snem simulate`, the `source.simulated` op and the tests all start here.
 */
import { UserError } from '../engine/errors.ts';

export interface SimParams {
  preset: string;
  seed: number;
  /** Scan rows (slow) and columns (fast). The laminate normal runs along the columns (x). */
  ny: number;
  nx: number;
  /** Detector side (px); Q per pixel scales with 144/size so the Q range stays the same. */
  size: number;
  /** Expected counts per pixel at the amorphous-ring maximum of the nominal glass (sets the Poisson noise). */
  dose: number;
  /** Q per pixel (Å⁻¹, Q = 2π/d) for a 144-px detector. */
  qPerPixel144: number;
  /** Beam centre offset from the detector middle, [Δcol, Δrow] px at 144 px. */
  centerOffset: [number, number];
  /** Elliptical distortion: [axis ratio b/a ≤ 1, major-axis angle in degrees from +col towards +row] (calib.geometry's convention). */
  ellipse: [number, number];
  /** Gaussian point spread of the detector (σ, px). */
  psfSigma: number;
  /** Radius of the direct-beam disc (px at 144 px). */
  beamRadius: number;
  beamEnergyKeV: number;
  /** Scan step of the paper-size scan (nm); smaller scans cover the same specimen with a coarser step. */
  paperStepNm: number;
  /** Nominal glass composition. */
  composition: string;
  /** Zr fraction at the Ni / glass interfaces (X-rich) — rises to the nominal value over `gradientWidth`. */
  zrInterface: number;
  /** Width of the composition gradient (fraction of the scan width). */
  gradientWidth: number;
  /** Fraction of the scan width that is crystalline Ni at each edge. */
  niWidth: number;
  /** Peak |α| of the chemical-order patches. */
  alphaAmplitude: number;
  /** α patches per unit area (area in units of the scan width squared). */
  alphaPatchDensity: number;
  /** Nanocrystalline inclusions per unit area of glass. */
  inclusionDensity: number;
  /** Inclusion radius range (fraction of the scan width). */
  inclusionRadius: [number, number];
  /** Ni grains per unit area of Ni. */
  grainDensity: number;
  /** Per-position descan: centre shift (px) across the full scan, along [col, row]; 0 = none. */
  descan: [number, number];
  deadPixels: number;
  hotPixels: number;
}

const BASE: Omit<SimParams, 'preset' | 'ny' | 'nx'> = {
  seed: 1,
  size: 144,
  dose: 120,
  // The reference study's ASTAR calibration: g per pixel 0.0319 Å⁻¹ (1/d) → Q per pixel 2π·0.0319 = 0.2004 Å⁻¹.
  qPerPixel144: 2 * Math.PI * 0.0319,
  centerOffset: [2.8, -1.7],
  ellipse: [0.97, 25],
  psfSigma: 0.6,
  beamRadius: 3.5,
  beamEnergyKeV: 200,
  paperStepNm: 3,
  composition: 'Zr65Cu17.5Ni10Al7.5',
  zrInterface: 0.45,
  gradientWidth: 0.3,
  niWidth: 0.13,
  alphaAmplitude: 0.18,
  alphaPatchDensity: 14,
  inclusionDensity: 7,
  inclusionRadius: [0.05, 0.07],
  grainDensity: 60,
  descan: [0, 0],
  deadPixels: 6,
  hotPixels: 4,
};

/** Paper scan: 289 × 132, as in the reference study. */
export const PAPER_SCAN = { ny: 289, nx: 132 } as const;

export const PRESETS: Record<string, SimParams> = {
  demo: { ...BASE, preset: 'demo', ny: 32, nx: 48 },
  paper: { ...BASE, preset: 'paper', ny: PAPER_SCAN.ny, nx: PAPER_SCAN.nx },
  /** A few dozen patterns for unit tests. */
  tiny: { ...BASE, preset: 'tiny', ny: 8, nx: 16, size: 64 },
};

export function presetParams(name: string): SimParams {
  const p = PRESETS[name];
  if (!p)
    throw new UserError(
      `unknown simulator preset '${name}' (expected one of: ${Object.keys(PRESETS).join(', ')})`,
    );
  return structuredClone(p);
}

/** Overrides a user may give (CLI flags, op params); anything else stays at the preset's value. */
export type SimOverrides = Partial<Omit<SimParams, 'preset'>>;

export function resolveSimParams(preset: string, overrides: SimOverrides = {}): SimParams {
  const p = presetParams(preset);
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined || v === null) continue;
    if (!(k in p)) throw new UserError(`simulator: unknown parameter '${k}'`);
    (p as unknown as Record<string, unknown>)[k] = v;
  }
  validateSimParams(p);
  return p;
}

export function validateSimParams(p: SimParams): void {
  const bad = (what: string) => {
    throw new UserError(`simulator: ${what}`);
  };
  if (!Number.isInteger(p.ny) || !Number.isInteger(p.nx) || p.ny < 1 || p.nx < 4)
    bad(`scan must be at least 1×4 positions, got ${p.ny}×${p.nx}`);
  if (!Number.isInteger(p.size) || p.size < 32 || p.size > 1024)
    bad(`detector size must be an integer 32–1024 px, got ${p.size}`);
  if (!(p.dose > 0)) bad(`dose must be > 0 counts, got ${p.dose}`);
  if (!Number.isInteger(p.seed) || p.seed < 0) bad(`seed must be a non-negative integer, got ${p.seed}`);
  if (!(p.ellipse[0] > 0.67 && p.ellipse[0] <= 1))
    bad(`ellipse axis ratio b/a must be in (0.67, 1], got ${p.ellipse[0]}`);
  if (!(p.zrInterface > 0 && p.zrInterface < 1)) bad(`zrInterface must be in (0, 1), got ${p.zrInterface}`);
  if (!(p.niWidth >= 0 && p.niWidth < 0.45)) bad(`niWidth must be in [0, 0.45), got ${p.niWidth}`);
  if (!(p.alphaAmplitude >= 0 && p.alphaAmplitude <= 0.5))
    bad(`alphaAmplitude must be in [0, 0.5], got ${p.alphaAmplitude}`);
}

/** Parse "NYxNX" (e.g. "289x132"). */
export function parseScan(text: string): { ny: number; nx: number } {
  const m = /^(\d+)\s*[x×]\s*(\d+)$/i.exec(text.trim());
  if (!m) throw new UserError(`--scan: expected NYxNX such as 289x132, got '${text}'`);
  return { ny: Number(m[1]), nx: Number(m[2]) };
}
