/**
 * calib.fromCrystal: refine the Q calibration, beam centre and elliptical distortion from the Bragg
 * spots of the best-matched patterns of a known phase (crystal.match + crystal.templates). Every
 * template spot is looked for near where the current geometry puts it (intensity-weighted centroid
 * above the local background), then spot-fit.ts fits centre, qPerPixel, ellipse and one in-plane
 * angle per pattern; spots off by more than 3× the median residual are dropped and the fit
 * repeated, and the spots re-measured on the refined geometry. The result carries the
 * calib.geometry fields, so it can serve as a geometry directly or feed calib.geometry's
 * `calibration` input.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { inputField, requireFieldOf } from '../../engine/inputs.ts';
import { f32, f64 } from '../../engine/ndarray.ts';
import type { ChunkedInput, Value } from '../../engine/types.ts';
import { defineOp } from '../../engine/types.ts';
import { cameraLengthPx, cornerErrorQ, electronWavelength } from '../calib/electron-optics.ts';
import { cornerRadius, ellipseMetric } from '../calib/geometry-model.ts';
import { templateLibrary } from './match-op.ts';
import { fitSpots, type SpotObservation } from './spot-fit.ts';
import { geometryOf } from './templates-op.ts';

interface Current {
  cx: number;
  cy: number;
  /** Å⁻¹ → px map (symmetric). */
  s: [number, number, number];
}

function symmetricMap(qPerPixel: number, ratio: number, angleDeg: number): [number, number, number] {
  const a = (angleDeg * Math.PI) / 180;
  const [c, s] = [Math.cos(a), Math.sin(a)];
  const l1 = 1 / (qPerPixel * Math.sqrt(ratio));
  const l2 = Math.sqrt(ratio) / qPerPixel;
  return [l1 * c * c + l2 * s * s, (l1 - l2) * c * s, l1 * s * s + l2 * c * c];
}

/**
 * Intensity-weighted centroid above a plane fitted to the box's border (the diffuse background
 * falls with Q: a flat background would pull the centroid towards the beam), or null when no spot
 * stands out.
 */
function centroid(
  img: ArrayLike<number>,
  off: number,
  h: number,
  w: number,
  col: number,
  row: number,
  half: number,
  minPeak: number,
): [number, number] | null {
  const c0 = Math.round(col);
  const r0 = Math.round(row);
  if (c0 - half - 1 < 0 || r0 - half - 1 < 0 || c0 + half + 1 >= w || r0 + half + 1 >= h) return null;
  // The border is symmetric about the box centre, so the plane's three terms decouple.
  let b0 = 0;
  let bi = 0;
  let bj = 0;
  let ii = 0;
  let jj = 0;
  let nb = 0;
  for (let j = -half - 1; j <= half + 1; j++)
    for (let i = -half - 1; i <= half + 1; i++) {
      if (Math.abs(i) <= half && Math.abs(j) <= half) continue;
      const v = img[off + (r0 + j) * w + c0 + i];
      b0 += v;
      bi += i * v;
      bj += j * v;
      ii += i * i;
      jj += j * j;
      nb++;
    }
  b0 /= nb;
  bi /= ii;
  bj /= jj;
  let sw = 0;
  let sc = 0;
  let sr = 0;
  let peak = 0;
  for (let j = -half; j <= half; j++)
    for (let i = -half; i <= half; i++) {
      const v = img[off + (r0 + j) * w + c0 + i] - (b0 + bi * i + bj * j);
      if (v > peak) peak = v;
      if (v <= 0) continue;
      sw += v;
      sc += v * (c0 + i);
      sr += v * (r0 + j);
    }
  if (peak < minPeak || sw <= 0) return null;
  return [sc / sw, sr / sw];
}

export const calibFromCrystal = defineOp({
  name: 'calib.fromCrystal',
  version: 1,
  scope: 'dataset',
  title: 'Detector calibration from the spots of a known crystal',
  description:
    "Refines qPerPixel (Å⁻¹, Q = 2π/d), beam centre and ellipse [axisRatio b/a, angleDeg] from the Bragg spots of the best-matched patterns (highest correlation × reliability of phase `phase`): spots measured as centroids near their predicted positions, then a least-squares fit d = S·R(φ_p)·q + c over all spots (one in-plane angle per pattern). Reports the residual of every spot and warns when the RMS exceeds maxResidualPx. Fields are calib.geometry's (center, qPerPixel, ellipse, wavelength, cameraLengthPx, cornerErrorQ, detectorShape) plus spots [n, 6] (position, h, k, l, residual px, used 0/1).",
  inputs: {
    frames: { scope: 'frame', description: 'patterns (source.frames)' },
    geometry: { scope: 'dataset', description: 'the starting calib.geometry (used by the match)' },
    templates: { scope: 'dataset', description: 'crystal.templates used by the match' },
    match: { scope: 'any', description: 'crystal.match' },
  },
  params: {
    phase: {
      type: 'integer',
      min: 0,
      default: 0,
      description: "index of the known phase among the templates' phases",
    },
    patterns: {
      type: 'integer',
      min: 1,
      max: 5000,
      default: 200,
      description: 'use the best-matched patterns, at most this many',
    },
    minReliability: {
      type: 'number',
      min: 0,
      max: 100,
      default: 10,
      description: 'only patterns at least this reliable',
    },
    windowPx: {
      type: 'integer',
      min: 1,
      max: 10,
      default: 3,
      unit: 'px',
      description: 'half-width of the box searched around each predicted spot',
    },
    minPeak: {
      type: 'number',
      min: 0,
      default: 20,
      unit: 'counts',
      description: "a spot must rise this far above its box's border",
    },
    maxResidualPx: {
      type: 'number',
      exclusiveMin: 0,
      default: 0.5,
      unit: 'px',
      description: 'warn when the RMS spot residual exceeds this',
    },
    rounds: {
      type: 'integer',
      min: 1,
      max: 5,
      default: 2,
      description: 'measure-and-fit rounds (spots re-measured on the refined geometry)',
    },
  },
  outputs: {
    fields: {
      center: { dims: ['2'], unit: 'px', description: '[col, row] refined beam centre' },
      qPerPixel: {
        dims: ['1'],
        unit: 'Å⁻¹ (Q = 2π/d)',
        description: 'refined Q per pixel (at the geometric-mean radius of the ellipse)',
      },
      ellipse: { dims: ['2'], description: '[axisRatio b/a, angleDeg] refined distortion' },
      wavelength: { dims: ['1'], description: 'Å (from the input geometry)' },
      cameraLengthPx: { dims: ['1'], description: 'L = 2π / (Q_pixel λ), px' },
      cornerErrorQ: { dims: ['1'], description: 'small-angle error at the detector corner, Å⁻¹' },
      detectorShape: { dims: ['2'], description: '[rows, cols], px' },
      spots: {
        dims: ['n', '6'],
        unit: 'position, h, k, l, residual px, used',
        description: 'scan position index, h, k, l, residual (px), used (1) or rejected (0)',
      },
    },
  },
  async run({ node, params: p, inputs, scan, log }) {
    const g0 = await geometryOf(inputs.geometry, node);
    if (inputs.templates?.scope !== 'dataset')
      throw new UserError(`node '${node}', input 'templates': connect the crystal.templates node`);
    if (!inputs.match) throw new UserError(`node '${node}', input 'match': connect the crystal.match node`);
    const tv: Value = inputs.templates.value;
    const lib = templateLibrary(tv, node);
    const hkl = tv.fields.spotHkl?.data as Int16Array | undefined;
    if (p.phase >= lib.laue.length)
      throw new ParamError(
        node,
        'phase',
        `the templates hold ${lib.laue.length} phase(s), no index ${p.phase}`,
      );
    const tpl = await inputField(inputs.match, 'template', node, 'match');
    const inplane = await inputField(inputs.match, 'inplaneDeg', node, 'match');
    const corr = await inputField(inputs.match, 'correlation', node, 'match');
    const rel = await inputField(inputs.match, 'reliability', node, 'match');
    const n = scan.ny * scan.nx;
    const cand: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = tpl.data[i];
      if (t >= 0 && lib.phase[t] === p.phase && rel.data[i] >= p.minReliability) cand.push(i);
    }
    cand.sort((a, b) => corr.data[b] * rel.data[b] - corr.data[a] * rel.data[a]);
    const chosen = cand.slice(0, p.patterns).sort((a, b) => a - b);
    if (chosen.length < 3)
      throw new ParamError(
        node,
        'minReliability',
        `only ${chosen.length} pattern(s) of phase ${p.phase} with reliability ≥ ${p.minReliability}; need at least 3 (lower minReliability, or check the match)`,
      );

    // The chosen patterns' frames, read chunk by chunk.
    const frames = inputs.frames as ChunkedInput;
    const [h, w] = [g0.h, g0.w];
    const stack = new Float32Array(chosen.length * h * w);
    const want = new Map(chosen.map((pos, k) => [pos, k]));
    for (const c of frames.chunks) {
      if (!chosen.some((pos) => pos >= c.start && pos < c.start + c.count)) continue;
      const v = await frames.chunk(c.index);
      const f = requireFieldOf(v, 'frames', node, 'frames');
      for (let pos = c.start; pos < c.start + c.count; pos++) {
        const k = want.get(pos);
        if (k === undefined) continue;
        const src = (pos - c.start) * h * w;
        for (let i = 0; i < h * w; i++) stack[k * h * w + i] = f.data[src + i];
      }
    }

    let cur: Current = { cx: g0.cx, cy: g0.cy, s: symmetricMap(g0.qPerPixel, g0.axisRatio, g0.angleDeg) };
    let phi = Float64Array.from(chosen, (pos) => (inplane.data[pos] * Math.PI) / 180);
    let obs: SpotObservation[] = [];
    let meta: { pos: number; s: number }[] = [];
    let fit = null as ReturnType<typeof fitSpots> | null;
    let used = new Uint8Array(0);
    for (let round = 0; round < p.rounds; round++) {
      obs = [];
      meta = [];
      chosen.forEach((pos, k) => {
        const t = tpl.data[pos];
        const cp = Math.cos(phi[k]);
        const sp = Math.sin(phi[k]);
        for (let s = lib.spotStart[t]; s < lib.spotStart[t + 1]; s++) {
          const u = lib.spotQ[s] * Math.cos(lib.spotAngle[s]);
          const v = lib.spotQ[s] * Math.sin(lib.spotAngle[s]);
          const x = u * cp - v * sp;
          const y = u * sp + v * cp;
          const col = cur.cx + cur.s[0] * x + cur.s[1] * y;
          const row = cur.cy + cur.s[1] * x + cur.s[2] * y;
          const at = centroid(stack, k * h * w, h, w, col, row, p.windowPx, p.minPeak);
          if (!at) continue;
          obs.push({ pattern: k, u, v, dc: at[0] - cur.cx, dr: at[1] - cur.cy });
          meta.push({ pos, s });
        }
      });
      if (obs.length < 6)
        throw new ParamError(
          node,
          'minPeak',
          `found only ${obs.length} spots in ${chosen.length} patterns; lower minPeak or widen windowPx`,
        );
      fit = fitSpots(obs, phi);
      // Drop outliers (a neighbour's spot, a hot pixel) and refit.
      const med = [...fit.residual].sort((a, b) => a - b)[Math.floor(fit.residual.length / 2)];
      used = Uint8Array.from(fit.residual, (r) => (r <= Math.max(3 * med, 0.3) ? 1 : 0));
      const kept = obs.filter((_, i) => used[i]);
      const refit = fitSpots(kept, fit.phi);
      fit = {
        ...refit,
        residual: Float64Array.from(obs, (o) => {
          const cp = Math.cos(refit.phi[o.pattern]);
          const sp = Math.sin(refit.phi[o.pattern]);
          const x = o.u * cp - o.v * sp;
          const y = o.u * sp + o.v * cp;
          return Math.hypot(
            refit.s[0] * x + refit.s[1] * y + refit.c[0] - o.dc,
            refit.s[1] * x + refit.s[2] * y + refit.c[1] - o.dr,
          );
        }),
      };
      cur = { cx: cur.cx + fit.c[0], cy: cur.cy + fit.c[1], s: fit.s };
      phi = Float64Array.from(fit.phi);
    }
    const f = fit!;
    let ss = 0;
    let nUsed = 0;
    const spots = f32([obs.length, 6]);
    obs.forEach((_, i) => {
      const m = meta[i];
      spots.data.set(
        [
          m.pos,
          hkl ? hkl[3 * m.s] : NaN,
          hkl ? hkl[3 * m.s + 1] : NaN,
          hkl ? hkl[3 * m.s + 2] : NaN,
          f.residual[i],
          used[i],
        ],
        6 * i,
      );
      if (used[i]) {
        ss += f.residual[i] ** 2;
        nUsed++;
      }
    });
    const rms = Math.sqrt(ss / Math.max(1, nUsed));
    const lambda = Number.isFinite(g0.wavelength) ? g0.wavelength : electronWavelength(200);
    const L = cameraLengthPx(f.qPerPixel, lambda);
    const dQ = cornerErrorQ(
      cornerRadius(ellipseMetric(f.axisRatio, f.angleDeg), cur.cx, cur.cy, h, w),
      f.qPerPixel,
      lambda,
    );
    const warning =
      rms > p.maxResidualPx
        ? `RMS spot residual ${rms.toFixed(2)} px exceeds maxResidualPx ${p.maxResidualPx}: check the phase, the match or the starting geometry`
        : null;
    if (warning) log(`warning: ${warning}`);
    log(
      `${chosen.length} patterns, ${nUsed}/${obs.length} spots: Q/px ${f.qPerPixel.toPrecision(6)} Å⁻¹ (was ${g0.qPerPixel.toPrecision(6)}), ellipse ${f.axisRatio.toFixed(4)} @ ${f.angleDeg.toFixed(1)}°, centre [${cur.cx.toFixed(2)}, ${cur.cy.toFixed(2)}], RMS residual ${rms.toFixed(3)} px`,
    );
    return {
      fields: {
        center: f64([2], [cur.cx, cur.cy]),
        qPerPixel: f64([1], [f.qPerPixel]),
        ellipse: f64([2], [f.axisRatio, f.angleDeg]),
        wavelength: f64([1], [lambda]),
        cameraLengthPx: f64([1], [L]),
        cornerErrorQ: f64([1], [dQ]),
        detectorShape: f64([2], [h, w]),
        spots,
      },
      meta: {
        center: [cur.cx, cur.cy],
        qPerPixel: f.qPerPixel,
        gPerPixel: f.qPerPixel / (2 * Math.PI),
        ellipse: [f.axisRatio, f.angleDeg],
        startingQPerPixel: g0.qPerPixel,
        patterns: chosen.length,
        spots: obs.length,
        spotsUsed: nUsed,
        rmsResidualPx: rms,
        medianResidualPx: [...f.residual].sort((a, b) => a - b)[Math.floor(f.residual.length / 2)],
        warning,
        units: { center: 'px', qPerPixel: 'Å⁻¹ (Q = 2π/d)', spots: 'position, h, k, l, residual px, used' },
      },
    };
  },
});
