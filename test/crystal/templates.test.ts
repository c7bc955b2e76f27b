/**
 * Templates against hand-computed geometry: Ni (FCC, a = 3.524 Å) zone axes [001], [011], [111]
 * must show exactly the reflections perpendicular to the beam at |Q| = 2π √(h²+k²+l²) / a, at the
 * angles between those reflections; the fundamental zone holds 1/24 of the hemisphere's templates.
 */
import { describe, expect, it } from 'vitest';
import { electronWavelength } from '../../nodes/calib/electron-optics.ts';
import { parseCif } from '../../nodes/crystal/cif.ts';
import { builtinPhase, reflections } from '../../nodes/crystal/phase-model.ts';
import {
  fundamentalZoneArea,
  inFundamentalZone,
  directionAngle,
  rotationGroup,
  sampleDirections,
  type Vec3,
} from '../../nodes/crystal/symmetry.ts';
import { precessionExcitation, reflectionTable, templateSpots } from '../../nodes/crystal/templates.ts';

const A = 3.524;
const ni = builtinPhase('fcc', A, null, ['Ni'], 0.45);
const opts = {
  wavelength: electronWavelength(200),
  thicknessA: 400,
  precessionRad: Math.PI / 180,
  qMin: 1.5,
  qMax: 8,
  maxSpots: 200,
  minRelative: 0.001,
};
const qOf = (h: number, k: number, l: number) => (2 * Math.PI * Math.hypot(h, k, l)) / A;

function spotsOf(z: Vec3) {
  const n = Math.hypot(...z);
  return templateSpots(reflectionTable(ni, 9), [z[0] / n, z[1] / n, z[2] / n], opts);
}

/** Distinct |Q| (rounded to 1e-3) with their multiplicities. */
function shells(q: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of q) m.set(Math.round(x * 1000) / 1000, (m.get(Math.round(x * 1000) / 1000) ?? 0) + 1);
  return m;
}

describe('crystal templates: Ni zone axes', () => {
  it('[001]: {200} ×4 at 3.566 Å⁻¹ and {220} ×4 at 5.043 Å⁻¹, 90° apart', () => {
    const s = spotsOf([0, 0, 1]);
    const sh = shells(s.q);
    expect(sh.get(Math.round(qOf(2, 0, 0) * 1000) / 1000)).toBe(4);
    expect(sh.get(Math.round(qOf(2, 2, 0) * 1000) / 1000)).toBe(4);
    expect(qOf(2, 0, 0)).toBeCloseTo(3.566, 3);
    // No {111} (not perpendicular to [001]) and nothing inside {200}.
    expect(Math.min(...s.q)).toBeCloseTo(qOf(2, 0, 0), 6);
    const a200 = s.angle
      .filter((_, i) => Math.abs(s.q[i] - qOf(2, 0, 0)) < 1e-6)
      .map((a) => ((a * 180) / Math.PI + 360) % 360)
      .sort((x, y) => x - y);
    for (let i = 1; i < 4; i++) expect(a200[i] - a200[i - 1]).toBeCloseTo(90, 6);
    for (let i = 0; i < s.q.length; i++) expect(s.hkl[3 * i + 2]).toBe(0);
  });

  it('[011]: {111} ×4 at 3.088 Å⁻¹ (70.53° apart), {200} ×2 at 3.566, {220} ×2 at 5.043', () => {
    const s = spotsOf([0, 1, 1]);
    const sh = shells(s.q);
    expect(sh.get(Math.round(qOf(1, 1, 1) * 1000) / 1000)).toBe(4);
    expect(sh.get(Math.round(qOf(2, 0, 0) * 1000) / 1000)).toBe(2);
    expect(sh.get(Math.round(qOf(0, 2, 2) * 1000) / 1000)).toBe(2);
    expect(qOf(1, 1, 1)).toBeCloseTo(3.088, 3);
    const i111 = s.q.map((q, i) => (Math.abs(q - qOf(1, 1, 1)) < 1e-6 ? i : -1)).filter((i) => i >= 0);
    const angles = i111.map((i) => s.angle[i]);
    const sep = Math.min(
      ...angles.slice(1).map((a) => Math.abs(((((a - angles[0]) * 180) / Math.PI + 540) % 360) - 180)),
    );
    expect(
      [70.53, 109.47, 180].some(
        (x) => Math.abs(Math.abs(sep) - x) < 0.01 || Math.abs(180 - Math.abs(sep) - x) < 0.01,
      ),
    ).toBe(true);
    for (let i = 0; i < s.q.length; i++) expect(s.hkl[3 * i + 1] + s.hkl[3 * i + 2]).toBe(0);
  });

  it('[111]: {220} ×6 at 5.043 Å⁻¹, 60° apart; {422} ×6 at 8.735 beyond qMax 8 are not listed', () => {
    const s = spotsOf([1, 1, 1]);
    const sh = shells(s.q);
    expect(Math.min(...s.q)).toBeCloseTo(qOf(2, 2, 0), 6);
    expect(sh.get(Math.round(qOf(2, 2, 0) * 1000) / 1000)).toBe(6);
    const a = s.angle
      .filter((_, i) => Math.abs(s.q[i] - qOf(2, 2, 0)) < 1e-6)
      .map((x) => ((x * 180) / Math.PI + 360) % 360)
      .sort((x, y) => x - y);
    for (let i = 1; i < 6; i++) expect(a[i] - a[i - 1]).toBeCloseTo(60, 6);
    expect(Math.max(...s.q)).toBeLessThan(8);
    for (let i = 0; i < s.q.length; i++) expect(s.hkl[3 * i] + s.hkl[3 * i + 1] + s.hkl[3 * i + 2]).toBe(0);
  });

  it('FCC extinctions and |F|² = 16 f²: (100) and (110) absent, (111) present', () => {
    const r = reflections(ni, 1);
    const has = (h: number, k: number, l: number) =>
      r.some((x) => x.hkl[0] === h && x.hkl[1] === k && x.hkl[2] === l);
    expect(has(1, 1, 1)).toBe(true);
    expect(has(2, 0, 0)).toBe(true);
    expect(has(1, 0, 0)).toBe(false);
    expect(has(1, 1, 0)).toBe(false);
  });
});

describe('crystal templates: precession-integrated excitation', () => {
  const sigma = 1 / (400 * Math.sqrt(2 * Math.PI));
  const alpha = Math.PI / 180;
  /** The cone average by brute force: 200,000 azimuths resolve a 40 nm relrod at any |g| here. */
  const brute = (s: number, g: number) => {
    let acc = 0;
    const n = 200_000;
    for (let k = 0; k < n; k++) {
      const x = s + alpha * g * Math.cos(((k + 0.5) * 2 * Math.PI) / n);
      acc += Math.exp(-(x * x) / (2 * sigma * sigma));
    }
    return acc / n;
  };

  it('matches the brute-force cone average within 1.5 % where a coarse azimuth grid aliases', () => {
    // (s, |g⊥|): on the sphere, near the cone's edge, zero-order spots near the 2α/λ cut-off, tiny |g|.
    for (const [s, g] of [
      [0, 0.5],
      [0.004, 0.3],
      [-0.02, 1.268],
      [-0.0215, 1.268],
      [0.0005, 0.05],
      [0, 1.2],
    ]) {
      expect(Math.abs(precessionExcitation(s, g, sigma, alpha) / brute(s, g) - 1)).toBeLessThan(0.015);
    }
    expect(precessionExcitation(0.03, 1, sigma, alpha)).toBe(0);
  });

  it('gives the precession Lorentz factor σ√(2π)/(π α |g|) on the sphere, and no zero-order spot beyond |g| = 2α/λ', () => {
    for (const g of [0.4, 0.8])
      expect(
        precessionExcitation(0, g, sigma, alpha) / ((sigma * Math.sqrt(2 * Math.PI)) / (Math.PI * alpha * g)),
      ).toBeCloseTo(1, 1.5);
    const lambda = electronWavelength(200);
    const zolz = (g: number) => precessionExcitation(-0.5 * lambda * g * g, g, sigma, alpha);
    const gCut = (2 * alpha) / lambda;
    expect(zolz(0.95 * gCut)).toBeGreaterThan(zolz(0.5 * gCut) / 2);
    // The relrod (σ_s = 0.001 Å⁻¹ for 40 nm) only blurs the cut-off.
    expect(zolz(1.15 * gCut)).toBeLessThan(0.01 * zolz(0.5 * gCut));
    expect(zolz(1.25 * gCut)).toBe(0);
  });
});

describe('crystal templates: fundamental zone sampling', () => {
  it('m-3m at 1°: ≈ (2π/24) / step² templates, all in the standard triangle, covering every direction within 1°', () => {
    const d = sampleDirections('m-3m', 1);
    const expected = fundamentalZoneArea('m-3m') / (Math.PI / 180) ** 2;
    expect(expected).toBeCloseTo(859.4, 0);
    expect(Math.abs(d.length / expected - 1)).toBeLessThan(0.08);
    for (const x of d) expect(inFundamentalZone('m-3m', x, 0.01)).toBe(true);
    // Full hemisphere on the same grid: 24× as many directions (the symmetry reduction).
    const all = sampleDirections('-1', 1);
    expect(all.length / d.length).toBeGreaterThan(22);
    expect(all.length / d.length).toBeLessThan(26);
    // Coverage: random directions have a template within 1° up to the cubic symmetry.
    const group = rotationGroup('m-3m');
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (let k = 0; k < 60; k++) {
      const v: Vec3 = [rnd(), rnd(), rnd()];
      const n = Math.hypot(...v);
      const u: Vec3 = [v[0] / n, v[1] / n, v[2] / n];
      let best = Infinity;
      for (const x of d) best = Math.min(best, directionAngle(u, x, group));
      expect((best * 180) / Math.PI).toBeLessThan(1);
    }
  });

  it('rotation groups have the orders of 432, 23, 622, 422, 222, 1', () => {
    expect(
      ['m-3m', 'm-3', '6/mmm', '4/mmm', 'mmm', '-1'].map((l) => rotationGroup(l as never).length),
    ).toEqual([24, 12, 12, 8, 4, 1]);
  });
});

describe('crystal.phase from a CIF', () => {
  const cif = `data_Ni
_cell_length_a 3.524(1)
_cell_length_b 3.524
_cell_length_c 3.524
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_space_group_IT_number 225
loop_
_space_group_symop_operation_xyz
'x, y, z'
'x, y+1/2, z+1/2'
'x+1/2, y, z+1/2'
'x+1/2, y+1/2, z'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Ni1 Ni 0 0 0
`;
  it('expands the symmetry operations to the 4 FCC sites and gives the built-in reflections', () => {
    const p = parseCif(cif, 'ni.cif', 0.45);
    expect(p.atoms.length).toBe(4);
    expect(p.laue).toBe('m-3m');
    const a = reflections(p, 1.2);
    const b = reflections(ni, 1.2);
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(a[i].intensity).toBeCloseTo(b[i].intensity, 6);
  });
  it('names the line of a bad value', () => {
    const bad = cif.replace('_cell_length_b 3.524', '_cell_length_b abc');
    expect(() => parseCif(bad, 'bad.cif', 0.45)).toThrow(
      /bad\.cif, line 3: _cell_length_b: expected a number, got 'abc'/,
    );
    const badOp = cif.replace("'x, y+1/2, z+1/2'", "'x, q, z'");
    expect(() => parseCif(badOp, 'bad.cif', 0.45)).toThrow(/line 12: symmetry operation/);
  });
});
