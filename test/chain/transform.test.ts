/**
 * pdf.transform: a second G(r) from pdf.reduce's F (the Lorch copy of the study graph) gives what a
 * second pdf.reduce with that window gives, to float32 rounding — without redoing the reduction.
 */
import { describe, expect, it } from 'vitest';
import type { Value } from '../../engine/types.ts';
import { parseComposition } from '../../nodes/pdf/composition.ts';
import { pdfReduce } from '../../nodes/pdf/reduce-op.ts';
import { averageFormFactors } from '../../nodes/pdf/scattering.ts';
import { pdfTransform } from '../../nodes/pdf/transform-op.ts';
import { runFrame } from './harness.ts';

const composition = 'Zr65Cu17.5Ni10Al7.5';
const q = Float64Array.from({ length: 400 }, (_, b) => (b + 0.5) * 0.03);

/** Two positions of a glass-like I(Q) = N(⟨f²⟩ + ⟨f⟩² h) + background, empty bins behind the beam stop. */
function iqValue(): Value {
  const { meanSq, sqMean } = averageFormFactors(parseComposition(composition), q, 'lobato');
  const data = new Float32Array(2 * q.length);
  for (let c = 0; c < 2; c++) {
    const N0 = 2 + c;
    for (let i = 0; i < q.length; i++) {
      const Q = q[i];
      const h =
        ((1.4 * Math.sin(2.75 * Q + 0.1 * c)) / (2.75 * Q)) * Math.exp(-0.5 * (0.08 * Q) ** 2) +
        ((0.9 * Math.sin(4.6 * Q)) / (4.6 * Q)) * Math.exp(-0.5 * (0.12 * Q) ** 2);
      data[c * q.length + i] = i < 8 ? NaN : N0 * (sqMean[i] + meanSq[i] * h) + 0.05 * Math.exp(-Q / 4);
    }
  }
  return {
    fields: { I: { dtype: 'float32', shape: [2, q.length], data } },
    axes: { q: { dtype: 'float32', shape: [q.length], data: Float32Array.from(q) } },
    meta: { axisOf: { I: 'q' } },
  };
}

const reduceParams = { composition, qmin: 0.1, qmax: 8.1, qmaxinst: 12, rmin: 0, rmax: 10, rstep: 0.01 };
const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => Math.max(s, Math.abs(x)), 0);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((s, x, i) => Math.max(s, Math.abs(x - b[i])), 0);

describe('pdf.transform', () => {
  it("G of pdf.reduce's F with a Lorch window equals a second pdf.reduce with window lorch (float32 rounding)", async () => {
    const iq = iqValue();
    const pdf = await runFrame(pdfReduce, reduceParams, {}, { iq }, 2);
    const lorch = await runFrame(pdfReduce, { ...reduceParams, window: 'lorch' }, {}, { iq }, 2);
    // the whole value (as "pdf") and the selected field (as "pdf.F")
    const onlyF: Value = { fields: { F: pdf.fields.F }, axes: pdf.axes, meta: pdf.meta };
    for (const F of [pdf, onlyF]) {
      const out = await runFrame(
        pdfTransform,
        { window: 'lorch', rmin: 0, rmax: 10, rstep: 0.01 },
        {},
        { F },
        2,
      );
      expect(out.fields.G.shape).toEqual(lorch.fields.G.shape);
      expect(Array.from(out.axes!.r.data)).toEqual(Array.from(lorch.axes!.r.data));
      expect(maxDiff(out.fields.G.data, lorch.fields.G.data)).toBeLessThan(
        1e-6 * maxAbs(lorch.fields.G.data),
      );
      expect([out.meta!.qmin, out.meta!.qmax, out.meta!.window]).toEqual([
        expect.closeTo(0.105, 6),
        8.1,
        'lorch',
      ]);
    }
    // the window matters: the unwindowed G is far from it
    expect(maxDiff(pdf.fields.G.data, lorch.fields.G.data)).toBeGreaterThan(
      0.01 * maxAbs(lorch.fields.G.data),
    );
  });

  it('window none, damping and an explicit qmax give what pdf.reduce gives with them', async () => {
    const iq = iqValue();
    const pdf = await runFrame(pdfReduce, reduceParams, {}, { iq }, 2);
    for (const extra of [
      { window: 'none' },
      { window: 'none', damping: 0.5 },
      { window: 'lorch', qmax: 6 },
    ]) {
      const want = await runFrame(pdfReduce, { ...reduceParams, ...extra }, {}, { iq }, 2);
      const got = await runFrame(
        pdfTransform,
        { ...extra, rmin: 0, rmax: 10, rstep: 0.01 },
        {},
        { F: pdf },
        2,
      );
      expect(maxDiff(got.fields.G.data, want.fields.G.data)).toBeLessThan(1e-6 * maxAbs(want.fields.G.data));
    }
  });

  it('rejects a real-space curve and an F without a recorded qmax, naming node and input or param', async () => {
    const pdf = await runFrame(pdfReduce, reduceParams, {}, { iq: iqValue() }, 2);
    const G: Value = { fields: { G: pdf.fields.G }, axes: { r: pdf.axes!.r }, meta: { axisOf: { G: 'r' } } };
    await expect(
      runFrame(pdfTransform, {}, {}, { F: G }, 2, 0, { ny: 1, nx: 2 }, 'pdfLorch'),
    ).rejects.toThrow(/node 'pdfLorch', input 'F'.*axis 'r'/);
    const bare: Value = { fields: { F: pdf.fields.F }, axes: pdf.axes, meta: { axisOf: { F: 'q' } } };
    await expect(
      runFrame(pdfTransform, {}, {}, { F: bare }, 2, 0, { ny: 1, nx: 2 }, 'pdfLorch'),
    ).rejects.toThrow(/node 'pdfLorch', param 'qmax'/);
    const ok = await runFrame(pdfTransform, { qmax: 8.1, rmax: 10 }, {}, { F: bare }, 2);
    expect(ok.fields.G.shape).toEqual([2, 1001]);
  });
});
