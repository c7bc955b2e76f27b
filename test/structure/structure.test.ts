import { describe, expect, it } from 'vitest';
import { ParamError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import type { Value } from '../../engine/types.ts';
import { parseComposition } from '../../nodes/pdf/composition.ts';
import { qoiSro } from '../../nodes/qoi/sro.ts';
import { fccDensity, fccShells } from '../../nodes/structure/fcc.ts';
import { STRUCTURE_FIELDS, StructurePlan, type StructureSettings } from '../../nodes/structure/fit.ts';
import { envelope } from '../../nodes/structure/shell-table.ts';
import { fitStructure } from '../../nodes/structure/structure-op.ts';
import { pairWeights } from '../../nodes/structure/weights.ts';
import { params, runDataset, runFrame } from '../chain/harness.ts';
import { rng } from '../qoi/rng.ts';

const N = 1001;
// pdf.reduce's grid to 10 Å, as float32 like every axis the engine hands over
const AXIS = Float64Array.from(Float32Array.from({ length: N }, (_, i) => i * 0.01));
const COMP = 'Zr65Cu17.5Ni10Al7.5';

function settings(over: Partial<StructureSettings> = {}): StructureSettings {
  return {
    range: [1.8, 8],
    aStart: [3.68, 4.67, 4.17],
    aDelta: 0.4,
    u: 0.005,
    diameter: 9,
    qdamp: 0.4,
    qmin: 0.1,
    qmax: 8.1,
    window: 'none',
    weights: [1, 1, 1],
    rho0: null,
    ...over,
  };
}

/** First maximum of a sampled curve, refined by a parabola through the top three samples. */
function peakOf(r: Float64Array, g: Float64Array): number {
  let b = 1;
  for (let i = 1; i < g.length - 1; i++) if (g[i] > g[b]) b = i;
  const [y0, y1, y2] = [g[b - 1], g[b], g[b + 1]];
  return r[b] + ((r[1] - r[0]) * 0.5 * (y0 - y2)) / (y0 - 2 * y1 + y2);
}

/** A pdf.reduce-like value: G [count, N] on axis r, with the composition in meta. */
function gValue(
  rows: Float64Array[],
  meta: Record<string, unknown> = { composition: parseFractions(COMP), formFactors: 'lobato' },
): Value {
  const G = f32([rows.length, N]);
  rows.forEach((row, c) => {
    G.data.set(row, c * N);
  });
  return { fields: { G }, axes: { r: f32([N], AXIS) }, meta: { axisOf: { G: 'r' }, ...meta } as never };
}

function parseFractions(spec: string): Record<string, number> {
  const c = parseComposition(spec);
  return Object.fromEntries(c.symbols.map((s, k) => [s, c.fractions[k]]));
}

describe('FCC shells', () => {
  it('has 12, 6, 24, 12 neighbours at a/√2, a, a√(3/2), a√2', () => {
    const s = fccShells(2);
    expect(Array.from(s.m.slice(0, 4))).toEqual([12, 6, 24, 12]);
    const want = [1 / Math.SQRT2, 1, Math.sqrt(1.5), Math.SQRT2];
    want.forEach((d, k) => {
      expect(s.d[k]).toBeCloseTo(d, 12);
    });
    // further shells: a√(5/2) 24, a√3 8, a√(7/2) 48, 2a 6
    expect(Array.from(s.m.slice(4, 8))).toEqual([24, 8, 48, 6]);
    expect(fccDensity(3.524)).toBeCloseTo(4 / 3.524 ** 3, 15);
  });
});

describe('model G(r) of one FCC phase', () => {
  // Ni: a = 3.524 Å → nearest neighbours at 2.492 Å
  const ni = [1, 3.524, 0, 4.67, 0, 4.17];
  function niCurve(over: Partial<StructureSettings>) {
    const plan = new StructurePlan(
      AXIS,
      settings({ range: [1.0, 6], aStart: [3.524, 4.67, 4.17], aDelta: 0.3, ...over }),
    );
    const g = new Float64Array(plan.r.length);
    plan.model.curve(ni, g);
    return { plan, g };
  }

  it('puts the Ni first peak at 2.49 Å (wide band and the reference band)', () => {
    const wide = niCurve({ qmin: 0, qmax: 40, qdamp: 0, diameter: 30 });
    // (1/r)·Gaussian peaks σ²/r below the shell: 2.492 − 0.004
    expect(peakOf(wide.plan.r, wide.g)).toBeCloseTo(2.488, 2);
    const ref = niCurve({});
    expect(Math.abs(peakOf(ref.plan.r, ref.g) - 2.49)).toBeLessThan(0.015);
  });

  it('counts 12 neighbours in the first shell and sits on −4πρ₀r below it (1/(N r) normalisation)', () => {
    const d = 30;
    const { plan, g } = niCurve({ qmin: 0, qmax: 40, qdamp: 0, diameter: d });
    const rho = 4 / 3.524 ** 3;
    // R(r) = r·G + 4πρr²·E integrates to the coordination number × envelope over the shell
    let area = 0;
    plan.r.forEach((r, i) => {
      if (r >= 2.1 && r <= 2.9) area += (r * g[i] + 4 * Math.PI * rho * r * r * envelope(r, d, 0)) * 0.01;
    });
    expect(area / envelope(2.49, d, 0)).toBeCloseTo(12, 1);
    const i = plan.r.findIndex((r) => r >= 1.5);
    expect(g[i]).toBeCloseTo(-4 * Math.PI * rho * 1.5 * envelope(1.5, d, 0), 2);
  });

  it('shows termination ripples only when the band is cut (qmax 8.1 vs 40)', () => {
    const cut = niCurve({ qmin: 0, qmax: 8.1, qdamp: 0, diameter: 30 });
    const wide = niCurve({ qmin: 0, qmax: 40, qdamp: 0, diameter: 30 });
    // below the first shell the uncut curve is the straight baseline; the cut one oscillates about it
    let dev = 0;
    cut.plan.r.forEach((r, i) => {
      if (r > 1.0 && r < 1.55) dev = Math.max(dev, Math.abs(cut.g[i] - wide.g[i]));
    });
    expect(dev).toBeGreaterThan(0.1);
    // a Lorch window (as pdf.reduce's) damps them (at the cost of broader peaks, hence r < 1.55 Å)
    const lorch = niCurve({ qmin: 0, qmax: 8.1, qdamp: 0, diameter: 30, window: 'lorch' });
    let devL = 0;
    lorch.plan.r.forEach((r, i) => {
      if (r > 1.0 && r < 1.55) devL = Math.max(devL, Math.abs(lorch.g[i] - wide.g[i]));
    });
    expect(devL).toBeLessThan(dev / 4);
  });
});

describe('model Jacobian', () => {
  it.each([null, 0.051])('matches central differences (rho0 %s)', (rho0) => {
    const plan = new StructurePlan(AXIS, settings({ weights: [0.54, 1.31, 0.83], rho0 }));
    const model = plan.model;
    const m = plan.r.length;
    model.count = m;
    for (let i = 0; i < m; i++) {
      model.rows[i] = i;
      model.y[i] = 0;
    }
    const x = Float64Array.from([0.2, 3.61, 0.35, 4.63, 0.45, 4.12]);
    const r = new Float64Array(m);
    const J = new Float64Array(6 * m);
    const rp = new Float64Array(m);
    const rm = new Float64Array(m);
    model.evaluate(x, r, J);
    for (let a = 0; a < 6; a++) {
      const h = 1e-6;
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[a] += h;
      xm[a] -= h;
      model.evaluate(xp, rp, null);
      model.evaluate(xm, rm, null);
      let err = 0;
      let big = 0;
      for (let i = 0; i < m; i++) {
        const num = (rp[i] - rm[i]) / (2 * h);
        err = Math.max(err, Math.abs(num - J[a * m + i])); // column-major, as the solver takes it
        big = Math.max(big, Math.abs(num));
      }
      expect(big).toBeGreaterThan(0.01);
      expect(err / big).toBeLessThan(1e-6);
    }
  });
});

describe('fit.structure fits a synthetic G(r) back', () => {
  const comp = parseComposition(COMP);
  const w = pairWeights(comp, 'Zr', 'lobato', null, 0.1, 8.1).w;
  const truths = [
    [0.15, 3.6, 0.4, 4.6, 0.45, 4.1],
    [0.25, 3.72, 0.3, 4.75, 0.45, 4.22],
    [0.1, 3.65, 0.5, 4.55, 0.4, 4.15],
  ];
  const plan = new StructurePlan(AXIS, settings({ weights: w }));
  const { normal } = rng(7);
  const noise = 0.02;
  /** Rw of the noise alone: what a perfect fit reaches. */
  const floor: number[] = [];
  const rows = truths.map((t) => {
    const g = new Float64Array(plan.r.length);
    plan.model.curve(t, g);
    const row = new Float64Array(N);
    for (let i = 0; i < N; i++) row[i] = 0.3 * Math.sin(i); // outside the fit range: must be ignored
    let nn = 0;
    let yy = 0;
    for (let i = 0; i < g.length; i++) {
      const e = noise * normal();
      row[plan.i0 + i] = g[i] + e;
      nn += e * e;
      yy += row[plan.i0 + i] ** 2;
    }
    floor.push(Math.sqrt(nn / yy));
    return row;
  });

  it('recovers lattice parameters, scales and fractions within the stated tolerances', async () => {
    const v = await runFrame(fitStructure, { composition: COMP }, {}, { g: gValue(rows) }, rows.length);
    const f = (name: string, c: number) => v.fields[name].data[c];
    truths.forEach((t, c) => {
      expect(f('status', c)).toBe(0);
      const sum = t[0] + t[2] + t[4];
      ['XX', 'ZrZr', 'ZrX'].forEach((ph, k) => {
        // noise σ = 0.02 on peaks of ~1: a to 0.02 Å (a weak phase, scale 0.1, is the least sure),
        // scales to 8 %, fractions to 0.03 (the overlapping Zr–Zr / Zr–X shells trade weight), and the
        // standard errors honest (truth within 4 of them)
        expect(Math.abs(f(`a${ph}`, c) - t[2 * k + 1])).toBeLessThan(0.02);
        expect(Math.abs(f(`scale${ph}`, c) / t[2 * k] - 1)).toBeLessThan(0.08);
        expect(Math.abs(f(ph, c) - t[2 * k] / sum)).toBeLessThan(0.03);
        expect(Math.abs(f(`a${ph}`, c) - t[2 * k + 1])).toBeLessThan(4 * f(`a${ph}_err`, c));
        expect(Math.abs(f(`scale${ph}`, c) - t[2 * k])).toBeLessThan(4 * f(`scale${ph}_err`, c));
      });
      // down to the noise floor (6 free parameters fit a little of the noise)
      expect(f('rw', c)).toBeLessThan(floor[c]);
      expect(f('rw', c)).toBeGreaterThan(0.95 * floor[c]);
      expect(f('XX', c) + f('ZrZr', c) + f('ZrX', c)).toBeCloseTo(1, 6);
    });
    expect(v.fields.fit.shape).toEqual([rows.length, plan.r.length]);
    expect(v.axes?.r.data.length).toBe(plan.r.length);
    expect((v.meta?.band as { qmax: number } | undefined)?.qmax).toBe(8.1);
  });

  it('gives the same α as qoi.sro on the same fractions', async () => {
    const v = await runFrame(
      fitStructure,
      { composition: COMP, curve: false },
      {},
      { g: gValue(rows) },
      rows.length,
    );
    expect(v.fields.fit).toBeUndefined();
    const sro = await runDataset(qoiSro, {}, { pairs: v }, { ny: 1, nx: rows.length });
    // qoi.sro reads the float32 fractions, fit.structure uses its float64 ones: equal to float32 rounding
    for (let c = 0; c < rows.length; c++) {
      expect(Number.isFinite(v.fields.alpha.data[c])).toBe(true);
      expect(sro.fields.alpha.data[c]).toBeCloseTo(v.fields.alpha.data[c], 6);
      expect(sro.fields.alphaWC.data[c]).toBeCloseTo(v.fields.alphaWC.data[c], 6);
    }
  });

  it('fits only the positions a mask selects (e.g. map.cut positions), exactly as unmasked; the others NaN with status 6', async () => {
    const all = await runFrame(fitStructure, { composition: COMP }, {}, { g: gValue(rows) }, rows.length);
    const mask: Value = { fields: { mask: f32([1, rows.length], [1, 0, 1]) } };
    const v = await runFrame(fitStructure, { composition: COMP }, { mask }, { g: gValue(rows) }, rows.length);
    const m = v.fields.fit.shape[1];
    for (const c of [0, 2]) {
      for (const f of STRUCTURE_FIELDS) expect(v.fields[f].data[c], f).toBe(all.fields[f].data[c]);
      expect(Array.from(v.fields.fit.data.subarray(c * m, (c + 1) * m))).toEqual(
        Array.from(all.fields.fit.data.subarray(c * m, (c + 1) * m)),
      );
    }
    expect(v.fields.status.data[1]).toBe(6);
    for (const f of STRUCTURE_FIELDS.filter((x) => x !== 'status')) expect(v.fields[f].data[1], f).toBeNaN();
    expect(v.fields.fit.data.subarray(m, 2 * m).every(Number.isNaN)).toBe(true);
    expect((v.meta?.statusCodes as Record<string, string>)['6']).toMatch(/mask/);
  });

  it('takes the composition from the input meta, and fits one dataset-level curve once for every position', async () => {
    const one = gValue([rows[0]]);
    one.fields.G = f32([N], one.fields.G.data);
    const v = await runFrame(fitStructure, {}, { g: one }, {}, 4);
    const a = v.fields.aXX.data;
    expect(Array.from(a)).toEqual([a[0], a[0], a[0], a[0]]);
    expect(Math.abs(a[0] - truths[0][1])).toBeLessThan(0.01);
    expect((v.meta?.datasetFit as Record<string, number> | undefined)?.aXX).toBeCloseTo(a[0], 5);
    expect(v.fields.fit.shape[0]).toBe(4);
  });
});

describe('fit.structure failures and params', () => {
  it('turns unusable curves into NaN with a status, never an exception', async () => {
    const nan = new Float64Array(N).fill(NaN);
    const zero = new Float64Array(N);
    const v = await runFrame(fitStructure, { composition: COMP }, {}, { g: gValue([nan, zero]) }, 2);
    for (let c = 0; c < 2; c++) {
      expect(v.fields.status.data[c]).toBe(4);
      for (const f of STRUCTURE_FIELDS.filter((x) => x !== 'status' && x !== 'iterations'))
        expect(Number.isNaN(v.fields[f].data[c])).toBe(true);
    }
  });

  function paramOf(given: Record<string, unknown>): string {
    try {
      params(fitStructure, given, 'st');
    } catch (e) {
      expect(e).toBeInstanceOf(ParamError);
      expect((e as Error).message).toContain("node 'st'");
      return (e as ParamError).param;
    }
    throw new Error(`accepted ${JSON.stringify(given)}`);
  }

  it('names the node and the param', async () => {
    expect(paramOf({ range: [8, 1.8] })).toBe('range');
    expect(paramOf({ range: [0, 8] })).toBe('range');
    expect(paramOf({ aStart: [3.68, 4.67] })).toBe('aStart');
    expect(paramOf({ aDelta: 2.5 })).toBe('aDelta');
    expect(paramOf({ diameter: 0, qdamp: 0 })).toBe('diameter');
    expect(paramOf({ u: -0.005 })).toBe('u');
    expect(paramOf({ composition: 'Zr65Qq35' })).toBe('composition');
    expect(paramOf({ composition: 'Cu50Ni50' })).toBe('zr');
    expect(paramOf({ qmin: 9, qmax: 8 })).toBe('qmin');
    expect(paramOf({ window: 'hann' })).toBe('window');
    // no composition anywhere: named at run time
    const bare = gValue([new Float64Array(N)], {});
    await expect(runFrame(fitStructure, {}, {}, { g: bare }, 1)).rejects.toThrow(/param 'composition'/);
  });
});
