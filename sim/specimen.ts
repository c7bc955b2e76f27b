/**
 * The simulated specimen: a Ni / Zr–X glass / Ni laminate. Positions are expressed in units of the
 * scan width (x = (ix + ½)/nx across the laminate, y = (iy + ½)/nx along it), so a smaller scan
 * shows the same specimen at a coarser step and shapes stay round whatever ny/nx.
 *
 * - Ni (region 0) at both edges, cut into Voronoi grains, each with a zone axis and an in-plane
 *   rotation; the interfaces are slightly wavy.
 * - Glass (region 1) in between: Zr fraction c rising smoothly from `zrInterface` (X-rich) at the
 *   interfaces to the nominal value in the centre; chemical order α in Gaussian patches of both
 *   signs (clustering / ordering), independent of composition.
 * - Nanocrystalline inclusions (region 2) inside the glass: discs with their own Zr fraction, a
 *   zone axis and rotation; the glass around them still fills part of the beam path.
 */
import { parseComposition, zrFraction } from './composition.ts';
import { ZONES, type Vec3 } from './crystal.ts';
import type { SimParams } from './presets.ts';
import { Rng, STREAM } from './rng.ts';

export const REGION = { ni: 0, glass: 1, inclusion: 2 } as const;

export interface Grain {
  x: number;
  y: number;
  zone: Vec3;
  /** In-plane rotation (rad). */
  rot: number;
  /** Relative spot strength (thickness, excitation). */
  strength: number;
}

export interface Inclusion extends Grain {
  r: number;
  /** Zr fraction of the inclusion. */
  c: number;
  /** Fraction of the beam path that is crystal (the rest is glass). */
  crystalFraction: number;
}

interface Patch {
  x: number;
  y: number;
  s: number;
  amp: number;
}

/** What the renderer and the truth maps need about one position. */
export interface LocalState {
  region: number;
  /** Zr fraction of the glass in the beam path. */
  c: number;
  alpha: number;
  thickness: number;
  /** Index into grains (Ni) or inclusions (inclusion), else −1. */
  grain: number;
  inclusion: number;
}

export function newLocalState(): LocalState {
  return { region: 1, c: 0, alpha: 0, thickness: 1, grain: -1, inclusion: -1 };
}

export class Specimen {
  readonly cNominal: number;
  readonly ylen: number;
  readonly grains: Grain[] = [];
  readonly inclusions: Inclusion[] = [];
  private readonly patches: Patch[] = [];
  private readonly phase: number[];

  constructor(readonly p: SimParams) {
    this.cNominal = zrFraction(parseComposition(p.composition));
    this.ylen = p.ny / p.nx;
    const rng = new Rng(p.seed, STREAM.specimen);
    this.phase = Array.from({ length: 8 }, () => rng.range(0, 2 * Math.PI));
    const glassWidth = 1 - 2 * p.niWidth;

    // Chemical-order patches, alternating sign so both clustering and ordering are present.
    const nPatch = Math.max(2, Math.round(p.alphaPatchDensity * glassWidth * this.ylen));
    for (let i = 0; i < nPatch; i++) {
      this.patches.push({
        x: rng.range(p.niWidth, 1 - p.niWidth),
        y: rng.range(0, this.ylen),
        s: rng.range(0.05, 0.09),
        amp: (i % 2 ? -1 : 1) * p.alphaAmplitude * rng.range(0.8, 1.2),
      });
    }

    // Ni grains: Voronoi seeds in each Ni strip.
    const grng = new Rng(p.seed, STREAM.grains);
    const perSide = Math.max(3, Math.round(p.grainDensity * p.niWidth * this.ylen));
    for (const side of [0, 1]) {
      for (let i = 0; i < perSide; i++) {
        const x = grng.range(-0.03, p.niWidth + 0.02);
        this.grains.push({
          x: side ? 1 - x : x,
          y: grng.range(0, this.ylen),
          zone: ZONES[grng.int(ZONES.length)],
          rot: grng.range(0, 2 * Math.PI),
          strength: grng.range(0.6, 1.4),
        });
      }
    }

    // Inclusions: non-overlapping discs well inside the glass.
    const irng = new Rng(p.seed, STREAM.inclusions);
    const nIncl = Math.max(2, Math.round(p.inclusionDensity * glassWidth * this.ylen));
    for (let tries = 0; this.inclusions.length < nIncl && tries < 2000; tries++) {
      const r = irng.range(p.inclusionRadius[0], p.inclusionRadius[1]);
      const x = irng.range(p.niWidth + r + 0.05, 1 - p.niWidth - r - 0.05);
      const y = irng.range(r + 0.02, Math.max(r + 0.03, this.ylen - r - 0.02));
      if (this.inclusions.some((o) => Math.hypot(o.x - x, o.y - y) < o.r + r + 0.04)) continue;
      this.inclusions.push({
        x,
        y,
        r,
        zone: (
          [
            [0, 1, 1],
            [0, 0, 1],
            [1, 1, 2],
          ] as Vec3[]
        )[irng.int(3)],
        rot: irng.range(0, 2 * Math.PI),
        strength: irng.range(0.8, 1.2),
        c: this.cNominal + irng.range(-0.02, 0.06),
        crystalFraction: irng.range(0.45, 0.6),
      });
    }
  }

  /** Left and right Ni / glass interfaces at height y (units of scan width). */
  interfaces(y: number): [number, number] {
    const { niWidth } = this.p;
    const w = 0.012;
    return [
      niWidth + w * Math.sin((2 * Math.PI * y) / 0.55 + this.phase[0]),
      1 - niWidth + w * Math.sin((2 * Math.PI * y) / 0.7 + this.phase[1]),
    ];
  }

  /** Zr fraction of the glass at (x, y): X-rich at the interfaces, nominal in the middle. */
  glassZr(x: number, y: number): number {
    const [xl, xr] = this.interfaces(y);
    const d = Math.max(0, Math.min(x - xl, xr - x));
    const t = Math.min(1, d / this.p.gradientWidth);
    const wiggle =
      0.006 *
      Math.sin((2 * Math.PI * y) / 0.4 + this.phase[2]) *
      Math.sin((2 * Math.PI * x) / 0.5 + this.phase[3]);
    return this.cNominal - (this.cNominal - this.p.zrInterface) * (1 - t) * (1 - t) + wiggle;
  }

  /** Chemical short-range order α at (x, y). */
  alpha(x: number, y: number): number {
    let a = 0;
    for (const pt of this.patches) {
      const dx = x - pt.x;
      const dy = y - pt.y;
      a += pt.amp * Math.exp(-(dx * dx + dy * dy) / (2 * pt.s * pt.s));
    }
    return Math.max(-0.45, Math.min(0.45, a));
  }

  thickness(x: number, y: number): number {
    return (
      1 +
      0.05 *
        Math.sin((2 * Math.PI * y) / 1.1 + this.phase[4]) *
        Math.cos((2 * Math.PI * x) / 0.9 + this.phase[5])
    );
  }

  /** Fill `out` with the state of scan position (iy, ix). */
  describe(iy: number, ix: number, out: LocalState): LocalState {
    const { nx } = this.p;
    const x = (ix + 0.5) / nx;
    const y = (iy + 0.5) / nx;
    const [xl, xr] = this.interfaces(y);
    out.thickness = this.thickness(x, y);
    out.grain = -1;
    out.inclusion = -1;
    if (x < xl || x > xr) {
      out.region = REGION.ni;
      out.c = 0;
      out.alpha = Number.NaN;
      let best = Infinity;
      const left = x < xl;
      for (let g = 0; g < this.grains.length; g++) {
        const gr = this.grains[g];
        if (gr.x < 0.5 !== left) continue;
        const d = (gr.x - x) ** 2 + (gr.y - y) ** 2;
        if (d < best) {
          best = d;
          out.grain = g;
        }
      }
      return out;
    }
    out.region = REGION.glass;
    out.c = this.glassZr(x, y);
    out.alpha = this.alpha(x, y);
    for (let i = 0; i < this.inclusions.length; i++) {
      const inc = this.inclusions[i];
      if ((inc.x - x) ** 2 + (inc.y - y) ** 2 <= inc.r * inc.r) {
        out.region = REGION.inclusion;
        out.inclusion = i;
        break;
      }
    }
    return out;
  }
}
