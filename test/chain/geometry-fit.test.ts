import { describe, expect, it } from 'vitest';
import { fitRingGeometry } from '../../nodes/calib/ellipse-fit.ts';
import { addPoisson, amorphousProfile, renderRings } from './synth.ts';

// Poisson noise on a pattern with ~180 counts in the ring (a single frame of a well-exposed
// pattern, or the mean of a few dozen dim ones): the regime the centre/ellipse fit runs in.
const profile = amorphousProfile({ beam: 250, bg: 90, ring: 180 });

describe('calib: centre and ellipse from noisy synthetic rings', () => {
  const cases = [
    { cx: 70.3, cy: 73.6, axisRatio: 0.97, angleDeg: 30, seed: 1 },
    { cx: 73.85, cy: 69.2, axisRatio: 0.985, angleDeg: -55, seed: 2 },
    { cx: 71.1, cy: 72.45, axisRatio: 0.95, angleDeg: 80, seed: 3 },
  ];
  for (const c of cases) {
    it(`recovers centre (${c.cx}, ${c.cy}), ratio ${c.axisRatio}, angle ${c.angleDeg}°`, () => {
      const clean = renderRings({ h: 144, w: 144, ...c, profile, supersample: 4 });
      const img = addPoisson(clean, c.seed);
      const fit = fitRingGeometry({ data: img, h: 144, w: 144 })!;
      expect(fit).not.toBeNull();
      expect(Math.abs(fit.cx - c.cx)).toBeLessThan(0.1);
      expect(Math.abs(fit.cy - c.cy)).toBeLessThan(0.1);
      expect(Math.abs(fit.axisRatio / c.axisRatio - 1)).toBeLessThan(0.002);
      const dAng = ((fit.angleDeg - c.angleDeg + 270) % 180) - 90;
      expect(Math.abs(dAng)).toBeLessThan(5);
    });
  }

  it('fits only the centre when the shape is given, and only the shape when the centre is given', () => {
    const c = { cx: 70.6, cy: 72.2, axisRatio: 0.96, angleDeg: 12 };
    const img = addPoisson(renderRings({ h: 144, w: 144, ...c, profile, supersample: 4 }), 9);
    const a = fitRingGeometry({ data: img, h: 144, w: 144 }, { shape: [0.96, 12] })!;
    expect(a.axisRatio).toBe(0.96);
    expect(Math.abs(a.cx - c.cx)).toBeLessThan(0.1);
    expect(Math.abs(a.cy - c.cy)).toBeLessThan(0.1);
    const b = fitRingGeometry({ data: img, h: 144, w: 144 }, { centre: [70.6, 72.2] })!;
    expect(b.cx).toBe(70.6);
    expect(Math.abs(b.axisRatio / 0.96 - 1)).toBeLessThan(0.002);
  });

  it('finds the first ring right outside the beam (ASTAR scale: ring at 13 px, beam radius 4 px)', () => {
    const c = { cx: 74.3, cy: 69.8, axisRatio: 0.97, angleDeg: 25 };
    const small = amorphousProfile({ beam: 255, beamR: 4, bg: 60, ring: 120, ringR: 13, ringSigma: 2 });
    for (const seed of [1, 2, 3]) {
      const img = addPoisson(renderRings({ h: 144, w: 144, ...c, profile: small, supersample: 4 }), seed);
      const fit = fitRingGeometry({ data: img, h: 144, w: 144 })!;
      expect(Math.abs(fit.ringRadius - 12.5)).toBeLessThan(1);
      expect(Math.hypot(fit.cx - c.cx, fit.cy - c.cy)).toBeLessThan(0.1);
      // A 13-px ring pins the axis ratio only to ~1 % at this noise (σ_r / R); larger rings do 0.2 %.
      expect(Math.abs(fit.axisRatio / c.axisRatio - 1)).toBeLessThan(0.015);
    }
  });
});
