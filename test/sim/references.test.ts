/**
 * The simulator's reference partials (sim/references.ts) and the graph it writes next to the frames:
 * in the model's random-coordination state (every pair at the mean coordination: P_ZrX = 2c(1 − c),
 * i.e. α = 0.3 at c = 0.65) the glass G(r) is exactly Σ_ab P_ab G_ab, so a
 * slip in the form-factor weighting, the band or the pairing of form factors fails here; and the
 * graph must differ from graphs/snem-bmg.json only in dataset.path and the references wiring.
 * With a Q resolution σ the partials carry the damping pdf.reduce leaves in a G(r) reduced with
 * qResolution σ, and the graph's references follow the qResolution of the pdf.reduce node upstream.
 */
import { ELEMENTAL_MAP_NODES, ELEMENTAL_MAP_OUTPUTS } from '../../sim/elemental-maps.ts';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../engine/types.ts';
import { parseComposition as parsePdfComposition } from '../../nodes/pdf/composition.ts';
import { ReductionPlan } from '../../nodes/pdf/reduce.ts';
import { compositionAt, parseComposition, xMix } from '../../sim/composition.ts';
import { GlassModel, sineTransform } from '../../sim/glass.ts';
import { pairFractions } from '../../sim/partials.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { partialsCsv, referencePartials } from '../../sim/references.ts';
import {
  addModelReferences,
  modelPartials,
  PARTIALS_AXIS,
  simGraph,
  simQResolution,
} from '../../sim/write.ts';

const COMPOSITION = 'Zr65Cu17.5Ni10Al7.5';

describe('reference partials of the structure model', () => {
  const ref = referencePartials({
    composition: COMPOSITION,
    qmin: 0.1,
    qmax: 8.1,
    rmin: 1.5,
    rstep: 0.05,
    n: 91,
  });

  it('sum, with the pair fractions of random coordination, to the model glass G(r) over the same band', () => {
    const c = 0.65;
    const alpha = (2 * c * (1 - c)) / Math.min(c, 1 - c) - 1; // P_ZrX = 2c(1 − c): no first-shell term
    const P = pairFractions(c, alpha);
    expect(P.ZrX).toBeCloseTo(2 * c * (1 - c), 12);
    const q = Float64Array.from({ length: 2401 }, (_, i) => i * 0.005);
    const glass = new GlassModel(q, xMix(parseComposition(COMPOSITION)));
    const G = sineTransform(q, glass.structureFactor({ c, alpha }), ref.r, 0.1, 8.1);
    let peak = 0;
    let worst = 0;
    for (let j = 0; j < ref.r.length; j++) {
      const sum = P.ZrZr * ref.curves.ZrZr[j] + P.ZrX * ref.curves.ZrX[j] + P.XX * ref.curves.XX[j];
      peak = Math.max(peak, Math.abs(G[j]));
      worst = Math.max(worst, Math.abs(sum - G[j]));
    }
    expect(peak).toBeGreaterThan(1);
    expect(worst / peak).toBeLessThan(2e-3);
    // each partial peaks at its own first-shell distance region (Zr–Zr farthest, X–X nearest)
    const at = (k: 'ZrZr' | 'ZrX' | 'XX') => ref.r[ref.curves[k].indexOf(Math.max(...ref.curves[k]))];
    expect(at('XX')).toBeLessThan(at('ZrX'));
    expect(at('ZrX')).toBeLessThan(at('ZrZr'));
  });

  it('as CSV: a header and one row per r', () => {
    const lines = partialsCsv(ref).trim().split('\n');
    expect(lines[0]).toBe('r,ZrZr,ZrX,XX');
    expect(lines.length).toBe(92);
    expect(Number(lines[1].split(',')[0])).toBeCloseTo(1.5, 6);
    expect(Number(lines[1].split(',')[2])).toBeCloseTo(ref.curves.ZrX[0], 4);
  });
});

/** The random-coordination state at c: P_ZrX = 2c(1 − c), so G = Σ_ab P_ab G_ab exactly. */
function randomCoordination(c: number) {
  const alpha = (2 * c * (1 - c)) / Math.min(c, 1 - c) - 1;
  return { alpha, P: pairFractions(c, alpha) };
}

describe('reference partials with the Q resolution of the data (qResolution σ)', () => {
  const axis = { composition: COMPOSITION, qmin: 0.1, qmax: 8.1, rmin: 1.5, rstep: 0.05, n: 71 };
  const sigma = simQResolution(resolveSimParams('demo'));
  const plain = referencePartials(axis);
  const blurred = referencePartials({ ...axis, qResolution: sigma });

  it('σ = 0 is the unblurred transform, bit for bit', () => {
    const zero = referencePartials({ ...axis, qResolution: 0 });
    for (const k of ['ZrZr', 'ZrX', 'XX'] as const)
      expect(Array.from(zero.curves[k])).toEqual(Array.from(plain.curves[k]));
  });

  it('each partial is the unblurred one × e^{−σ²r²/2} but for the band edges (within 1.5 % of its peak), well away from the unblurred one', () => {
    expect(sigma).toBeGreaterThan(0.13);
    for (const k of ['ZrZr', 'ZrX', 'XX'] as const) {
      const peak = Math.max(...plain.curves[k].map(Math.abs));
      let damped = 0;
      let undamped = 0;
      for (let j = 0; j < axis.n; j++) {
        const r = plain.r[j];
        damped = Math.max(
          damped,
          Math.abs(blurred.curves[k][j] - plain.curves[k][j] * Math.exp(-0.5 * sigma * sigma * r * r)),
        );
        undamped = Math.max(undamped, Math.abs(blurred.curves[k][j] - plain.curves[k][j]));
      }
      expect(damped / peak).toBeLessThan(0.015);
      expect(undamped / peak).toBeGreaterThan(0.07);
    }
  });

  it("what pdf.reduce with qResolution σ makes of an I(Q) blurred by σ: the change in its G(r) is the blurred partials' change", () => {
    // I(Q) = ⟨f²⟩ + ⟨f⟩²(S − 1) of the model glass in its random-coordination state on a fine grid,
    // blurred by σ (even in Q) and sampled on integrate.azimuthal's bins; reduced with qResolution σ
    // and, unblurred, with none. pdf.reduce's own errors (polynomial, band) are common to both and
    // cancel in the difference, which is the resolution's doing alone.
    const c = 0.65;
    const { alpha, P } = randomCoordination(c);
    const dq = 0.005;
    const q = Float64Array.from({ length: 2801 }, (_, i) => i * dq);
    const glass = new GlassModel(q, xMix(parseComposition(COMPOSITION)));
    const S = glass.structureFactor({ c, alpha });
    const { f, f2 } = glass.averages(c);
    const I = Float64Array.from(q, (_, i) => f2[i] + f[i] ** 2 * (S[i] - 1));
    const reach = Math.ceil((7 * sigma) / dq);
    const w = Float64Array.from({ length: 2 * reach + 1 }, (_, k) =>
      Math.exp(-0.5 * (((k - reach) * dq) / sigma) ** 2),
    );
    const wSum = w.reduce((a, b) => a + b, 0);
    const Ib = Float64Array.from(
      I,
      (_, i) => w.reduce((acc, wk, k) => acc + wk * I[Math.abs(i + k - reach)], 0) / wSum,
    );
    const bins = Float64Array.from({ length: 400 }, (_, k) => 0.015 + 0.03 * k);
    const at = (y: Float64Array, x: number) => {
      const t = x / dq;
      const k = Math.floor(t);
      return y[k] + (t - k) * (y[k + 1] - y[k]);
    };
    const reduce = (curve: Float64Array, qResolution: number) => {
      const opts = {
        qmin: 0.1,
        qmax: 8.1,
        qmaxinst: 12,
        rpoly: 1.2,
        rmin: 0,
        rmax: 10,
        rstep: 0.01,
        composition: parsePdfComposition(compositionAt(c, xMix(parseComposition(COMPOSITION)))),
        formFactors: 'lobato' as const,
        window: 'none' as const,
        qResolution,
      };
      const plan = new ReductionPlan(bins, opts);
      const G = new Float32Array(plan.r.length);
      plan.reduce(
        Float64Array.from(bins, (x) => at(curve, x)),
        0,
        new Float32Array(plan.q.length),
        new Float32Array(plan.q.length),
        G,
        0,
        0,
      );
      return { r: plan.r, G };
    };
    const on = reduce(Ib, sigma);
    const off = reduce(I, 0);
    let change = 0;
    let miss = 0;
    for (let j = 0; j < axis.n; j++) {
      if (plain.r[j] > 5) break;
      const i = Math.round(plain.r[j] / 0.01);
      expect(on.r[i]).toBeCloseTo(plain.r[j], 6);
      const d = on.G[i] - off.G[i];
      const dRef =
        P.ZrZr * (blurred.curves.ZrZr[j] - plain.curves.ZrZr[j]) +
        P.ZrX * (blurred.curves.ZrX[j] - plain.curves.ZrX[j]) +
        P.XX * (blurred.curves.XX[j] - plain.curves.XX[j]);
      change += d * d;
      miss += (d - dRef) ** 2;
    }
    // measured: 3 % (the O(σ⁴) rest of pdf.reduce's first-order correction); unblurred references miss all of it
    expect(Math.sqrt(change)).toBeGreaterThan(0);
    expect(Math.sqrt(miss / change)).toBeLessThan(0.06);
  });
});

describe("the simulator's graph.json", () => {
  it('is graphs/snem-bmg.json with dataset.path → frames.npy and the model partials fed to decompose.assign', () => {
    const file = path.join(import.meta.dirname, '..', '..', 'graphs', 'snem-bmg.json');
    const original = JSON.parse(fs.readFileSync(file, 'utf8'));
    const { graph } = simGraph(resolveSimParams('demo'), file) as { graph: typeof original };
    expect(graph.dataset.path).toBe('frames.npy');
    const assign = Object.keys(original.nodes).filter((id) => original.nodes[id].op === 'decompose.assign');
    expect(assign.length).toBeGreaterThan(0);
    const refId = graph.nodes[assign[0]].in.references;
    expect(graph.nodes[refId].op).toBe('decompose.references');
    const curves = graph.nodes[refId].params.curves as Record<string, number[]>;
    expect(Object.keys(curves).sort()).toEqual(['XX', 'ZrX', 'ZrZr']);
    expect(curves.ZrX.length).toBe(PARTIALS_AXIS.n);
    for (const id of assign) {
      expect(graph.nodes[id].in.references).toBe(refId);
      expect(graph.nodes[id].params.referencesWeighted).toBe(true);
      expect(graph.nodes[id].params.baseline).toBe('linear');
      // unmixed over the NMF's whole window (the model partials cover it)
      expect(graph.nodes[id].params.range).toEqual(original.nodes[original.nodes[id].in.nmf].params.range);
      // everything else of the node as the user's graph has it
      const { references: _r, ...inRest } = graph.nodes[id].in;
      const { referencesWeighted: _w, baseline: _b, range: _g, ...paramsRest } = graph.nodes[id].params;
      const { range: _g0, ...originalRest } = original.nodes[id].params;
      expect(inRest).toEqual(original.nodes[id].in);
      expect(paramsRest).toEqual(originalRest);
    }
    // every other node, and the outputs, untouched — but for the synthetic EELS map's nodes (sim/elemental-maps.ts)
    for (const id of Object.keys(original.nodes))
      if (!assign.includes(id)) expect(graph.nodes[id]).toEqual(original.nodes[id]);
    // besides the references node, the synthetic spectrum image's nodes (sim/elemental-maps.ts)
    expect(Object.keys(graph.nodes).length).toBe(
      Object.keys(original.nodes).length + 1 + ELEMENTAL_MAP_NODES.length,
    );
    expect(graph.outputs).toEqual([...original.outputs, ...ELEMENTAL_MAP_OUTPUTS]);
  });

  it('feeds references blurred by the qResolution of the pdf.reduce node upstream of decompose.assign (snem-bmg: bonds ← nmf ← gSmooth ← pdf)', () => {
    const file = path.join(import.meta.dirname, '..', '..', 'graphs', 'snem-bmg.json');
    const g = JSON.parse(fs.readFileSync(file, 'utf8'));
    const p = resolveSimParams('demo');
    const sigma = 0.143;
    g.nodes.pdf.params.qResolution = sigma;
    g.nodes.pdfLorch.params.qResolution = 0.3; // not upstream of the NMF: no say
    expect(addModelReferences(g, p)).toEqual(['bonds']);
    const curves = g.nodes[g.nodes.bonds.in.references].params.curves as Record<string, number[]>;
    const want = modelPartials(p, 0.1, 8.1, sigma).curves;
    const plain = modelPartials(p, 0.1, 8.1).curves;
    for (const k of ['ZrZr', 'ZrX', 'XX'] as const) {
      expect(curves[k].length).toBe(PARTIALS_AXIS.n);
      for (let j = 0; j < PARTIALS_AXIS.n; j += 50) expect(curves[k][j]).toBeCloseTo(want[k][j], 4);
      // r = 3 Å: the damping e^{−σ²r²/2} = 0.91 is visible
      const j3 = Math.round((3 - PARTIALS_AXIS.rmin) / PARTIALS_AXIS.rstep);
      expect(Math.abs(curves[k][j3] - plain[k][j3])).toBeGreaterThan(0.03 * Math.abs(plain[k][j3]));
    }
    expect(g.nodes[g.nodes.bonds.in.references].description).toContain('qResolution');
  });

  it('refuses a decompose.assign whose G(r) comes from pdf.reduce nodes of different qResolution', () => {
    const graph: Record<string, Json> = {
      nodes: {
        a: { op: 'pdf.reduce', in: { iq: 'iq' }, params: { qResolution: 0.1 } },
        b: { op: 'pdf.reduce', in: { iq: 'iq' } },
        both: { op: 'map.smooth', in: { input: 'a.G', other: 'b.G' } },
        bonds: { op: 'decompose.assign', in: { nmf: 'both' } },
      },
    };
    expect(() => addModelReferences(graph, resolveSimParams('demo'))).toThrow(/different qResolution/);
  });
});
