/**
 * The simulator's reference partials (sim/references.ts) and the graph it writes next to the frames:
 * in the model's random-coordination state (every pair at the mean coordination: P_ZrX = 2c(1 − c),
 * i.e. α = 0.3 at c = 0.65) the glass G(r) is exactly Σ_ab P_ab G_ab, so a
 * slip in the form-factor weighting, the band or the pairing of form factors fails here; and the
 * graph must differ from graphs/snem-bmg.json only in dataset.path and the references wiring.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseComposition, xMix } from '../../sim/composition.ts';
import { GlassModel, sineTransform } from '../../sim/glass.ts';
import { pairFractions } from '../../sim/partials.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { partialsCsv, referencePartials } from '../../sim/references.ts';
import { PARTIALS_AXIS, simGraph } from '../../sim/write.ts';

const COMPOSITION = 'Zr65Cu17.5Ni10Al7.5';

describe('reference partials of the structure model', () => {
  const ref = referencePartials({ composition: COMPOSITION, qmin: 0.1, qmax: 8.1, rmin: 1.5, rstep: 0.05, n: 91 });

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
    // every other node, and the outputs, untouched
    for (const id of Object.keys(original.nodes)) if (!assign.includes(id)) expect(graph.nodes[id]).toEqual(original.nodes[id]);
    expect(Object.keys(graph.nodes).length).toBe(Object.keys(original.nodes).length + 1);
    expect(graph.outputs).toEqual(original.outputs);
  });
});
