/**
 * Look-alike zone axes (sim/zone-ambiguity.ts): the excited zero-order spots of one zone against
 * every other low-index zone's, over in-plane angles, on the detector.
 */
import { describe, expect, it } from 'vitest';
import { ZONES } from '../../sim/crystal.ts';
import { zoneAmbiguities, type AmbiguityOptions } from '../../sim/zone-ambiguity.ts';

/** The simulator's and the study's conditions: Ni, 0.2004 Å⁻¹ per pixel, 200 kV, 1° precession. */
const base: AmbiguityOptions = {
  a: 3.524,
  qPerPixel: 0.20043,
  wavelength: 0.025079,
  precessionDeg: 1,
  qMin: 1.5,
  qMax: 14,
  tolPx: 2.26,
  minSepDeg: 5,
  maxIndex: 7,
};

describe('zone look-alikes at the reference camera length', () => {
  it('[122] has [433] 1 px away ({420} at 39.78 px vs {331} at 38.78 px), the other zones nothing within 8 px', () => {
    const r = zoneAmbiguities(ZONES, base);
    const z122 = r.find((x) => x.zone.join('') === '122')!;
    expect(z122.partner).toEqual([4, 3, 3]);
    // |Δr| = 2π(√20 − √19)/a/qPerPixel = 1.008 px; the best common angle leaves a little more.
    expect(z122.distancePx).toBeGreaterThan(1.0);
    expect(z122.distancePx).toBeLessThan(1.2);
    expect(z122.ambiguous).toBe(true);
    for (const x of r) if (x !== z122) expect(x.distancePx, `[${x.zone.join('')}]`).toBeGreaterThan(8);
    expect(r.filter((x) => x.ambiguous)).toHaveLength(1);
  });

  it('a camera length three times longer (spots 3 px apart) resolves them', () => {
    const r = zoneAmbiguities([[1, 2, 2]], { ...base, qPerPixel: base.qPerPixel / 3 });
    expect(r[0].distancePx).toBeGreaterThan(2.9);
    expect(r[0].ambiguous).toBe(false);
  });

  it('without precession the cut 2α/λ is 0 and no spot is excited: nothing to compare', () => {
    const r = zoneAmbiguities([[1, 2, 2]], { ...base, precessionDeg: 0 });
    expect(r[0].distancePx).toBe(Infinity);
    expect(r[0].ambiguous).toBe(false);
  });
});
