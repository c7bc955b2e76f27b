/**
 * Issue 6, first check, taken apart: how far the reduced G(r)'s first peak lands from the model's,
 * and what each stage contributes. Noiseless glass patterns (float32: no Poisson, no 8-bit) of the
 * demo specimen go through the real chain (source.frames → integrate.azimuthal with the true
 * geometry → pdf.reduce → qoi.peak). The model's peak is found the same way (parabolic sub-grid
 * maximum) on the model G(r) band-limited to the same [qmin, qmax] = [0.1, 8.1] Å⁻¹.
 *
 * Budget (demo preset, measured): pdf.reduce alone, on the exact model I(Q), 0.008–0.012 Å low
 * (the degree-5 rpoly polynomial also takes a little of the signal, and at qmax < qmaxinst what it
 * takes is terminated at qmax); the detector point spread (σ 0.6 px ≈ 0.12 Å⁻¹) another ≈ 0.015 Å
 * low: it blurs ⟨f⟩²(S − 1), whose envelope falls steeply, so after division by ⟨f⟩² the
 * oscillations are slightly out of phase. The PSF is the instrument, not the reduction: given the
 * instrument's Q resolution (pdf.reduce qResolution, here the simulator's known one, simQResolution
 * in sim/write.ts: PSF, profile interpolation, bin width and, for bbox splitting, the pixels' radius
 * ranges), pdf.reduce undoes that phase shift, and the issue's 0.02 Å holds with the PSF too, for
 * split none and bbox. Without it the PSF case is only bounded (< 0.04 Å).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../formats/npy.ts';
import { parseComposition as parsePdfComposition } from '../../nodes/pdf/composition.ts';
import { ReductionPlan } from '../../nodes/pdf/reduce.ts';
import { argmaxIn, refineAt } from '../../nodes/qoi/peak-find.ts';
import { registry } from '../../nodes/registry.ts';
import { compositionAt, parseComposition, xMix } from '../../sim/composition.ts';
import { sineTransform } from '../../sim/glass.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { Renderer } from '../../sim/render.ts';
import { TRUTH_R, truthPositions } from '../../sim/truth.ts';
import { simQResolution } from '../../sim/write.ts';
import { NOISELESS_IQ, runNoiselessChain } from './noiseless-chain.ts';

const ops = [
  'source.frames',
  'calib.geometry',
  'mask.static',
  'integrate.azimuthal',
  'pdf.reduce',
  'qoi.peak',
];
const missing = ops.filter((op) => !registry().has(op));
const WINDOW: [number, number] = [2.2, 3.6];
const PDF = {
  qmin: TRUTH_R.qmin,
  qmax: TRUTH_R.qmax,
  qmaxinst: 12,
  rpoly: 1.2,
  rmin: 0,
  rmax: 10,
  rstep: 0.01,
};

/** Parabolic sub-grid maximum in WINDOW, exactly as qoi.peak does it. */
function peakIn(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let i0 = 0;
  while (x[i0] < WINDOW[0]) i0++;
  let i1 = i0;
  while (i1 < x.length && x[i1] <= WINDOW[1]) i1++;
  return refineAt(x, y, 0, x.length, argmaxIn(y, 0, i0, i1))[0];
}

interface Case {
  label: string;
  c: number;
  model: number;
  /** pdf.reduce on the exact model I(Q) (no background, no detector). */
  reduceOnly: number;
  /** Through the whole chain, PSF-free detector. */
  chain: number;
  /** Through the whole chain, with the preset's detector PSF. */
  chainPsf: number;
  /** As chainPsf, pdf.reduce given the known Q resolution. */
  chainPsfResolved: number;
  /** As chainPsfResolved, bbox pixel splitting (the simulator graph's integration). */
  bboxResolved: number;
  /** The Q resolutions given (split none, bbox), Å⁻¹. */
  sigma: [number, number];
}

describe.skipIf(missing.length > 0)(
  `first G(r) peak: reduced vs model${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-r1-accuracy-'));
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const cases: Case[] = [];

    async function throughChain(
      psfSigma: number,
      iy: number,
      ix: number,
      c: number,
      tag: string,
      split: 'none' | 'bbox' = 'none',
      qResolution = 0,
    ): Promise<number> {
      const p = resolveSimParams('demo', { psfSigma });
      const dir = path.join(tmp, tag);
      fs.mkdirSync(dir);
      const composition = compositionAt(c, xMix(parseComposition(p.composition)));
      const runDir = await runNoiselessChain(p, new Renderer(p), iy, ix, {
        dir,
        pdf: { ...PDF, qResolution },
        composition,
        window: WINDOW,
        split,
      });
      return (readNpy(path.join(runDir, 'r1.position.npy')).data as Float32Array)[0];
    }

    beforeAll(async () => {
      const p = resolveSimParams('demo');
      const r = new Renderer(p);
      const mix = xMix(parseComposition(p.composition));
      const rr = Float64Array.from({ length: 1001 }, (_, j) => j * 0.01);
      const bins = Float64Array.from({ length: 400 }, (_, k) => 0.015 + 0.03 * k);
      const at = (y: ArrayLike<number>, q: number) => {
        const t = q / r.q[1];
        const k = Math.floor(t);
        return y[k] + (t - k) * (y[k + 1] - y[k]);
      };
      const picks = truthPositions(r).filter(
        (x) => x.label === 'glass, centre' || x.label.includes('X-rich'),
      );
      for (const [k, pos] of picks.entries()) {
        const local = { c: pos.zrFraction, alpha: pos.alpha ?? 0 };
        const S = r.glass.structureFactor(local);
        const model = peakIn(rr, sineTransform(r.q, S, rr, PDF.qmin, PDF.qmax));
        // I = ⟨f²⟩ + ⟨f⟩²(S − 1) exactly, on integrate.azimuthal's default bins.
        const { f, f2 } = r.glass.averages(local.c);
        const I = Float64Array.from(bins, (q) => at(f2, q) + at(f, q) ** 2 * (at(S, q) - 1));
        const plan = new ReductionPlan(bins, {
          ...PDF,
          composition: parsePdfComposition(compositionAt(local.c, mix)),
          formFactors: 'lobato',
          window: 'none',
        });
        const G = new Float32Array(plan.r.length);
        plan.reduce(I, 0, new Float32Array(plan.q.length), new Float32Array(plan.q.length), G, 0, 0);
        const reduceOnly = peakIn(plan.r, G);
        const chain = await throughChain(0, pos.iy, pos.ix, local.c, `nopsf${k}`);
        const chainPsf = await throughChain(p.psfSigma, pos.iy, pos.ix, local.c, `psf${k}`);
        const sigma: [number, number] = [
          simQResolution(p, { ...NOISELESS_IQ, split: 'none' }),
          simQResolution(p, { ...NOISELESS_IQ, split: 'bbox' }),
        ];
        const chainPsfResolved = await throughChain(
          p.psfSigma,
          pos.iy,
          pos.ix,
          local.c,
          `psfres${k}`,
          'none',
          sigma[0],
        );
        const bboxResolved = await throughChain(
          p.psfSigma,
          pos.iy,
          pos.ix,
          local.c,
          `bboxres${k}`,
          'bbox',
          sigma[1],
        );
        cases.push({
          label: pos.label,
          c: local.c,
          model,
          reduceOnly,
          chain,
          chainPsf,
          chainPsfResolved,
          bboxResolved,
          sigma,
        });
      }
      const d = (x: number, m: number) => `${(x - m >= 0 ? '+' : '') + (x - m).toFixed(4)} Å`;
      process.stdout.write(
        `${cases
          .map(
            (x) =>
              `${x.label} (c ${x.c.toFixed(3)}): model r1 ${x.model.toFixed(4)} Å; reduce only ${d(x.reduceOnly, x.model)}, chain ${d(x.chain, x.model)}, chain + PSF ${d(x.chainPsf, x.model)}; ` +
              `given qResolution ${x.sigma[0].toFixed(4)} Å⁻¹ ${d(x.chainPsfResolved, x.model)}, bbox split with ${x.sigma[1].toFixed(4)} Å⁻¹ ${d(x.bboxResolved, x.model)}`,
          )
          .join('\n')}\n`,
      );
    }, 300_000);

    it('pdf.reduce alone puts the peak within 0.015 Å of the model', () => {
      expect(cases.length).toBe(2);
      for (const x of cases) expect(Math.abs(x.reduceOnly - x.model)).toBeLessThan(0.015);
    });

    it('the chain (integrate.azimuthal + pdf.reduce + qoi.peak) is within the issue target of 0.02 Å on a PSF-free detector', () => {
      for (const x of cases) expect(Math.abs(x.chain - x.model)).toBeLessThan(0.02);
    });

    it('with the detector PSF the peak moves lower, by less than 0.04 Å in all', () => {
      for (const x of cases) {
        expect(x.chainPsf).toBeLessThan(x.chain);
        expect(Math.abs(x.chainPsf - x.model)).toBeLessThan(0.04);
      }
    });

    it('with the PSF and pdf.reduce given the known Q resolution, the chain is within 0.02 Å again (split none and bbox)', () => {
      for (const x of cases) {
        expect(Math.abs(x.chainPsfResolved - x.model)).toBeLessThan(0.02);
        expect(Math.abs(x.bboxResolved - x.model)).toBeLessThan(0.02);
        // The correction takes out most of what the PSF added to the PSF-free chain's error.
        expect(Math.abs(x.chainPsfResolved - x.chain)).toBeLessThan(0.35 * Math.abs(x.chainPsf - x.chain));
      }
    });
  },
);
