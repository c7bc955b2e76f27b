/**
 * Orientation truth of a simulated scan, from the grains and inclusions the renderer drew:
 * zone_axis [ny, nx, 3] (the drawn zone axis as a unit vector in the crystal frame, NaN where no
 * crystal), inplane_deg [ny, nx] (the drawn in-plane rotation: angle on the detector of the zone
 * frame's e1, from +column towards +row, degrees in [0, 360); NaN where no crystal) and phase
 * [ny, nx] (−1 glass, 0 Ni, 1 the inclusions' phase). e1 is crystal.ts's zoneBasis — the same
 * definition as nodes/crystal/symmetry.ts inPlaneBasis, so crystal.match's inplaneDeg compares
 * directly (modulo 180°: Friedel's law, and the crystal symmetry).
 */
import { f32 } from '../engine/ndarray.ts';
import type { NDArray } from '../engine/types.ts';
import type { Renderer } from './render.ts';
import { REGION, type Grain } from './specimen.ts';

export const ORIENTATION_TRUTH = ['zone_axis', 'inplane_deg', 'phase'] as const;

export function orientationTruth(
  r: Renderer,
): Record<(typeof ORIENTATION_TRUTH)[number], NDArray<Float32Array>> {
  const { ny, nx } = r.p;
  const out = { zone_axis: f32([ny, nx, 3]), inplane_deg: f32([ny, nx]), phase: f32([ny, nx]) };
  out.zone_axis.data.fill(NaN);
  out.inplane_deg.data.fill(NaN);
  for (let iy = 0; iy < ny; iy++)
    for (let ix = 0; ix < nx; ix++) {
      const i = iy * nx + ix;
      const st = r.local(iy, ix);
      let g: Grain | null = null;
      if (st.region === REGION.ni && st.grain >= 0) {
        g = r.specimen.grains[st.grain];
        out.phase.data[i] = 0;
      } else if (st.region === REGION.inclusion && st.inclusion >= 0) {
        g = r.specimen.inclusions[st.inclusion];
        out.phase.data[i] = 1;
      } else out.phase.data[i] = -1;
      if (!g) continue;
      const n = Math.hypot(g.zone[0], g.zone[1], g.zone[2]);
      for (let k = 0; k < 3; k++) out.zone_axis.data[3 * i + k] = g.zone[k] / n;
      const deg = ((g.rot * 180) / Math.PI) % 360;
      out.inplane_deg.data[i] = deg < 0 ? deg + 360 : deg;
    }
  return out;
}
