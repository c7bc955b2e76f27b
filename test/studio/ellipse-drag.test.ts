/** The pattern view's ellipse drag: the ring grabbed keeps its corrected radius and the pointer lands on its axis end. */
import { describe, expect, it } from 'vitest';
import { ellipseMetric, correctedRadius } from '../../nodes/calib/geometry-model.ts';
import { ellipseFromDrag, ellipseRadius } from '../../studio/web/src/lib/ellipse-drag.ts';

describe('ellipse drag', () => {
  it('the page’s corrected radius is calib.geometry’s (geometry-model) for any offset', () => {
    for (const [rho, ang] of [
      [0.9, 20],
      [0.97, -60],
      [1, 0],
      [0.8, 90],
    ])
      for (const [dx, dy] of [
        [30, 4],
        [-12, 25],
        [0, -40],
      ])
        expect(ellipseRadius(dx, dy, rho, ang)).toBeCloseTo(
          correctedRadius(ellipseMetric(rho, ang), dx, dy),
          10,
        );
  });

  it('pointer outside the ring → major-axis end there; inside → minor-axis end; the ring keeps its radius', () => {
    const R = 40;
    // Pointer at 45 px, 30° below the +col axis (rows down): major axis along 30°.
    const dx = 45 * Math.cos(Math.PI / 6);
    const dy = 45 * Math.sin(Math.PI / 6);
    const [rho, ang] = ellipseFromDrag(dx, dy, R);
    expect(rho).toBeCloseTo((40 / 45) ** 2, 12);
    expect(ang).toBeCloseTo(30, 10);
    expect(ellipseRadius(dx, dy, rho, ang)).toBeCloseTo(R, 10);
    // Pointer at 36 px along 120°: inside R, so the minor axis is there and the major one at 30°.
    const ex = 36 * Math.cos((2 * Math.PI) / 3);
    const ey = 36 * Math.sin((2 * Math.PI) / 3);
    const [rho2, ang2] = ellipseFromDrag(ex, ey, R);
    expect(rho2).toBeCloseTo((36 / 40) ** 2, 12);
    expect(ang2).toBeCloseTo(30, 10);
    expect(ellipseRadius(ex, ey, rho2, ang2)).toBeCloseTo(R, 10);
  });
});
