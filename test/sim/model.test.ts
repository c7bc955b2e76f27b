import { describe, expect, it } from 'vitest';
import { GlassModel } from '../../sim/glass.ts';
import {
  PAIR_LIST,
  PAIR_SHAPES,
  MEAN_COORDINATION,
  alphaOf,
  coordination,
  pairFractions,
  partialG,
  percusYevick,
} from '../../sim/partials.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { Renderer } from '../../sim/render.ts';
import { REGION } from '../../sim/specimen.ts';
import { TRUTH_R, truthCurves, truthMaps, truthPositions } from '../../sim/truth.ts';
import { zoneReflections } from '../../sim/crystal.ts';

/** α straight from SCIENCE.md, written out independently of sim/partials.ts. */
function scienceAlpha(zz: number, zx: number, xx: number): number {
  const pMax = zx + 2 * Math.min(xx, zz);
  return zx / (pMax / 2) - 1;
}

describe('pair fractions and chemical order', () => {
  it('pair fractions sum to 1, conserve composition and reproduce α', () => {
    for (const c of [0.3, 0.45, 0.5, 0.65, 0.8])
      for (const a of [-0.45, -0.1, 0, 0.2, 0.45]) {
        const p = pairFractions(c, a);
        expect(p.ZrZr + p.ZrX + p.XX).toBeCloseTo(1, 12);
        expect(p.ZrZr + p.ZrX / 2).toBeCloseTo(c, 12);
        expect(scienceAlpha(p.ZrZr, p.ZrX, p.XX)).toBeCloseTo(a, 12);
        expect(alphaOf(p)).toBeCloseTo(a, 12);
        const n = coordination(c, p);
        expect(n.ZrZr + n.ZrX).toBeCloseTo(MEAN_COORDINATION, 10);
        expect(n.XZr + n.XX).toBeCloseTo(MEAN_COORDINATION, 10);
      }
  });

  it('hard-sphere reference has the Percus–Yevick compressibility limit', () => {
    const eta = 0.5;
    expect(percusYevick(1e-4, eta)).toBeCloseTo((1 - eta) ** 4 / (1 + 2 * eta) ** 2, 5);
  });

  it('partial g_ab(r) peak at the first-shell distances (3.15, 2.70, 2.48 Å) ', () => {
    const r = Float64Array.from({ length: 250 }, (_, i) => 2 + i * 0.01);
    for (const pair of PAIR_LIST) {
      const g = partialG(pair, r, MEAN_COORDINATION, 0.0512);
      let best = 0;
      for (let i = 1; i < r.length; i++) if (g[i] > g[best]) best = i;
      // X–X: part hard-sphere (2.48 Å), part close-packed (2.56 Å, sim/close-packed.ts): the peak lies between
      if (pair === 'XX') expect(r[best]).toBeGreaterThan(2.47), expect(r[best]).toBeLessThan(2.57);
      else expect(Math.abs(r[best] - PAIR_SHAPES[pair].r1)).toBeLessThan(0.02);
      // Zr–Zr is the broad shell (blur 0.35 Å), so its peak is the lowest
      expect(g[best]).toBeGreaterThan(pair === 'ZrZr' ? 1.5 : 1.8);
    }
  });

  it('a coordination change scales the first shell of g_ab without moving its peak', () => {
    const r = Float64Array.from({ length: 250 }, (_, i) => 2 + i * 0.01);
    for (const pair of PAIR_LIST) {
      const heights: number[] = [];
      for (const f of [0.7, 1, 1.3]) {
        const g = partialG(pair, r, f * MEAN_COORDINATION, 0.0512);
        let best = 0;
        for (let i = 1; i < r.length; i++) if (g[i] > g[best]) best = i;
        // X–X: its shell is part hard-sphere (2.48 Å), part close-packed (2.56 Å), so scaling it moves the peak a little
        expect(Math.abs(r[best] - PAIR_SHAPES[pair].r1)).toBeLessThan(pair === 'XX' ? 0.1 : 0.03);
        heights.push(g[best] - 1);
      }
      // More neighbours, a higher first peak (the shell is scaled, not reshaped).
      expect(heights[0]).toBeLessThan(heights[1]);
      expect(heights[1]).toBeLessThan(heights[2]);
    }
  });

  it('glass I(Q) stays positive and its first maximum sits near 2.3–2.7 Å⁻¹', () => {
    const q = Float64Array.from({ length: 600 }, (_, i) => 0.5 + i * 0.02);
    const m = new GlassModel(q, { Cu: 0.5, Ni: 0.2857, Al: 0.2143 });
    for (const c of [0.45, 0.55, 0.65])
      for (const a of [-0.45, 0, 0.45]) {
        const I = m.intensity({ c, alpha: a });
        expect(Math.min(...I)).toBeGreaterThan(0);
        let best = -1;
        for (let i = 0; i < q.length; i++)
          if (q[i] > 1.5 && q[i] < 4 && (best < 0 || I[i] > I[best])) best = i;
        expect(q[best]).toBeGreaterThan(2.2);
        expect(q[best]).toBeLessThan(2.8);
      }
  });

  it('FCC Ni reflections of the [011] zone are (111), (200), (022)… at Q = 2π|hkl|/a', () => {
    const refl = zoneReflections(3.524, [0, 1, 1], 6);
    const qs = [...new Set(refl.map((r) => r.q.toFixed(4)))].map(Number).sort((a, b) => a - b);
    expect(qs[0]).toBeCloseTo((2 * Math.PI * Math.sqrt(3)) / 3.524, 4);
    expect(qs[1]).toBeCloseTo((2 * Math.PI * 2) / 3.524, 4);
    expect(qs[2]).toBeCloseTo((2 * Math.PI * Math.sqrt(8)) / 3.524, 4);
    for (const r of refl) expect(Math.hypot(r.q1, r.q2)).toBeCloseTo(r.q, 10);
    expect(refl.every((r) => r.hkl[1] + r.hkl[2] === 0)).toBe(true);
  });
});

describe('ground truth of a scan', () => {
  const r = new Renderer(resolveSimParams('demo', { seed: 3 }));
  const maps = truthMaps(r);
  const { ny, nx } = r.p;

  it('labels Ni at both edges, glass in between, and inclusions as a mask', () => {
    for (let iy = 0; iy < ny; iy++) {
      expect(maps.region.data[iy * nx]).toBe(REGION.ni);
      expect(maps.region.data[iy * nx + nx - 1]).toBe(REGION.ni);
    }
    const counts = [0, 0, 0];
    maps.region.data.forEach((v, i) => {
      counts[v]++;
      expect(maps.inclusion.data[i]).toBe(v === REGION.inclusion ? 1 : 0);
    });
    expect(counts[REGION.glass]).toBeGreaterThan(counts[REGION.ni]);
    expect(counts[REGION.inclusion]).toBeGreaterThan(10);
  });

  it('pair fractions sum to 1 and α matches its definition; both signs of α occur', () => {
    let pos = 0;
    let neg = 0;
    for (let i = 0; i < ny * nx; i++) {
      if (maps.region.data[i] === REGION.ni) {
        expect(Number.isNaN(maps.alpha.data[i])).toBe(true);
        continue;
      }
      const zz = maps.p_zrzr.data[i];
      const zx = maps.p_zrx.data[i];
      const xx = maps.p_xx.data[i];
      expect(zz + zx + xx).toBeCloseTo(1, 5);
      expect(maps.alpha.data[i]).toBeCloseTo(scienceAlpha(zz, zx, xx), 5);
      if (maps.alpha.data[i] > 0.05) pos++;
      if (maps.alpha.data[i] < -0.05) neg++;
    }
    expect(pos).toBeGreaterThan(30);
    expect(neg).toBeGreaterThan(30);
  });

  it('is X-rich at the interfaces and nominal (Zr 0.65) in the middle', () => {
    const row = Math.floor(ny / 2);
    let firstGlass = 0;
    while (maps.region.data[row * nx + firstGlass] === REGION.ni) firstGlass++;
    const edge = maps.zr_fraction.data[row * nx + firstGlass];
    const mid = maps.zr_fraction.data[row * nx + Math.floor(nx / 2)];
    expect(edge).toBeLessThan(0.52);
    expect(mid).toBeGreaterThan(0.62);
  });

  it('model G(r): first peak 2.75–2.85 Å in the centre, lower in the X-rich glass', () => {
    const positions = truthPositions(r);
    const curves = truthCurves(r, positions);
    const nr = curves.r.length;
    const firstPeak = (k: number) => {
      let best = -1;
      for (let j = 0; j < nr; j++) {
        const x = curves.r[j];
        if (x < 2.3 || x > 3.6) continue;
        if (best < 0 || curves.gr[k * nr + j] > curves.gr[k * nr + best]) best = j;
      }
      return curves.r[best];
    };
    const centre = positions.findIndex((p) => p.label.startsWith('glass, centre'));
    const xrich = positions.findIndex((p) => p.label.includes('X-rich'));
    expect(firstPeak(centre)).toBeGreaterThan(2.75);
    expect(firstPeak(centre)).toBeLessThan(2.85);
    expect(firstPeak(centre) - firstPeak(xrich)).toBeGreaterThan(0.05);
    expect(TRUTH_R.qmax).toBe(8.1);
  });
});
