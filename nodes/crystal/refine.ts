/**
 * Refinement of a match below the template grid: hill-climbing of the beam direction around the
 * best template (8 neighbours at half the grid step, then a quarter, then an eighth), each candidate
 * direction's spots computed afresh (templates.ts) and scored on the same folded pattern, its
 * in-plane angle found by the same correlation. The result is brought back into the fundamental
 * zone by the crystal's rotations where one reaches it (a direction just past a mirror edge of the
 * zone stays outside), the in-plane angle following the equivalent orientation.
 */
import type { Matcher } from './matcher.ts';
import {
  inFundamentalZone,
  inPlaneBasis,
  mul,
  orientationMatrix,
  rotationGroup,
  transpose,
  type LaueClass,
  type Mat3,
  type Vec3,
} from './symmetry.ts';
import { templateSpots, type ReflectionTable, type TemplateOptions } from './templates.ts';

export interface Refined {
  direction: Vec3;
  inplane: number;
  correlation: number;
}

export class Refiner {
  private readonly groups: Mat3[][];

  constructor(
    private readonly tables: ReflectionTable[],
    private readonly laue: LaueClass[],
    private readonly opts: TemplateOptions,
    private readonly stepRad: number,
  ) {
    this.groups = laue.map(rotationGroup);
  }

  /** Refine the last match of `m` (phase `phase`, direction d0, score c0). */
  refine(m: Matcher, phase: number, d0: Vec3, inplane0: number, c0: number): Refined {
    const table = this.tables[phase];
    let cur = d0;
    let best = { score: c0, inplane: inplane0 };
    for (let level = 1; level <= 3; level++) {
      const s = this.stepRad / 2 ** level;
      for (let move = 0; move < 3; move++) {
        const [e1, e2] = inPlaneBasis(cur);
        let next: Vec3 | null = null;
        for (let k = 0; k < 8; k++) {
          const a = (k * Math.PI) / 4;
          const t = [0, 1, 2].map((j) => Math.cos(a) * e1[j] + Math.sin(a) * e2[j]);
          const d = [0, 1, 2].map((j) => Math.cos(s) * cur[j] + Math.sin(s) * t[j]) as Vec3;
          const r = m.scoreSpots(templateSpots(table, d, this.opts));
          if (r.score > best.score) {
            best = r;
            next = d;
          }
        }
        if (!next) break;
        cur = next;
      }
    }
    return { ...this.toFundamentalZone(phase, cur, best.inplane), correlation: best.score };
  }

  /** The symmetry-equivalent description whose beam direction lies in the fundamental zone. */
  private toFundamentalZone(phase: number, d: Vec3, inplane: number): { direction: Vec3; inplane: number } {
    const laue = this.laue[phase];
    if (inFundamentalZone(laue, d, 1e-9)) return { direction: d, inplane };
    const r = orientationMatrix(d, inplane);
    for (const sym of this.groups[phase]) {
      // The equivalent orientation R·Sᵀ looks down S·d.
      const rs = mul(r, transpose(sym));
      const z: Vec3 = [rs[6], rs[7], rs[8]];
      if (!inFundamentalZone(laue, z, 1e-9)) continue;
      const [e1] = inPlaneBasis(z);
      const c = rs[0] * e1[0] + rs[1] * e1[1] + rs[2] * e1[2];
      const s = rs[3] * e1[0] + rs[4] * e1[1] + rs[5] * e1[2];
      let a = Math.atan2(s, c) % Math.PI;
      if (a < 0) a += Math.PI;
      return { direction: z, inplane: a };
    }
    // Proper rotations reach the zone or its mirror image: a direction just past a mirror edge stays as is.
    return { direction: d, inplane };
  }
}
