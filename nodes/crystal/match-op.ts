/**
 * crystal.match: per pattern, the best template (phase, beam direction, in-plane angle) by polar
 * correlation over in-plane angle (matcher.ts), with ASTAR's reliability and Bunge Euler angles.
 * A position whose best correlation is below `minCorrelation` gets phase −1 and NaN orientation
 * (its correlation and reliability are still reported, for masks).
 */
import { UserError } from '../../engine/errors.ts';
import { fieldOf } from '../../engine/inputs.ts';
import { f32, nd } from '../../engine/ndarray.ts';
import { defineOp, type Value } from '../../engine/types.ts';
import { readGeometry, shiftAt, type Geometry } from '../calib/geometry-model.ts';
import { Matcher, type MatchResult, type TemplateLibrary } from './matcher.ts';
import { phaseFromJson } from './phase-model.ts';
import { Refiner } from './refine.ts';
import { bungeEuler, orientationMatrix, type Vec3 } from './symmetry.ts';
import { reflectionTable } from './templates.ts';

interface MatchState {
  matcher: Matcher;
  geometry: Geometry;
  phaseNames: string[];
  refiner: Refiner | null;
}

export function templateLibrary(v: Value, node: string): TemplateLibrary {
  const f = v.fields;
  for (const k of ['direction', 'phase', 'spotStart', 'spotQ', 'spotAngle', 'spotIntensity']) {
    if (!f[k])
      throw new UserError(
        `node '${node}', input 'templates': expected a crystal.templates result (no field '${k}')`,
      );
  }
  const phases = (v.meta?.phases as unknown[] | undefined) ?? [];
  return {
    direction: Float32Array.from(f.direction.data as ArrayLike<number>),
    phase: Int32Array.from(f.phase.data as ArrayLike<number>),
    spotStart: Int32Array.from(f.spotStart.data as ArrayLike<number>),
    spotQ: Float32Array.from(f.spotQ.data as ArrayLike<number>),
    spotAngle: Float32Array.from(f.spotAngle.data as ArrayLike<number>),
    spotIntensity: Float32Array.from(f.spotIntensity.data as ArrayLike<number>),
    laue: phases.map((p, i) => phaseFromJson(p as never, `node '${node}', templates phase ${i}`).laue),
  };
}

export const crystalMatch = defineOp({
  name: 'crystal.match',
  version: 3, // 3: reliability from the finalists' spot agreement (finalists 4; 0 = the scan's scores)
  scope: 'frame',
  title: 'Phase and orientation by template matching',
  description:
    "For each pattern: polar transform on the geometry (ellipse removed), ring-mean background removed, Friedel halves folded; every template correlated over all in-plane angles (step angleStepDeg), the best (phase, beam direction, in-plane angle) kept. correlation = Σ w·F / (‖w‖‖F‖); reliability = 100·(1 − Q₂/Q₁) (ASTAR), Q₂ the best solution more than reliabilityMinDeg away in orientation (crystal symmetry and the Friedel 180° turn factored out), Q₁ and Q₂ re-scored on the raw pattern by where the spots are (the scan's best few near and `finalists` far solutions; Dice agreement of predicted and observed spots at sub-pixel resolution), so zones whose spots differ by a pixel are told apart; 0 where the pattern shows no spot. inplaneDeg: angle of the beam direction's e1 = normalise(z × [100]) (× [010] near [100]) on the detector, from +column towards +row, modulo 180° (a kinematic pattern cannot tell φ from φ + 180°).",
  inputs: {
    frames: { scope: 'frame', description: 'patterns (source.frames)' },
    geometry: {
      scope: 'dataset',
      description: 'calib.geometry (centre, ellipse, Q per pixel, descan dx/dy)',
    },
    templates: { scope: 'dataset', description: 'crystal.templates' },
  },
  params: {
    minCorrelation: {
      type: 'number',
      min: 0,
      max: 1,
      default: 0.13,
      description: 'below this best correlation the position is "no crystal" (phase −1, NaN orientation)',
    },
    angleStepDeg: {
      type: 'number',
      min: 0.25,
      max: 5,
      default: 1,
      unit: '°',
      description: 'in-plane angle step of the correlation (refined below it by a parabola)',
    },
    power: {
      type: 'number',
      exclusiveMin: 0,
      max: 1,
      default: 0.5,
      description:
        'exponent on template intensities and on the background-removed pattern (< 1 tempers saturated and dynamical spots)',
    },
    reliabilityMinDeg: {
      type: 'number',
      min: 0,
      max: 60,
      default: 5,
      unit: '°',
      description:
        'a second solution counts for the reliability only if it differs from the best by more than this',
    },
    finalists: {
      type: 'integer',
      min: 0,
      max: 50,
      default: 4,
      description:
        "far solutions (the scan's best beyond reliabilityMinDeg) re-scored with the winner's near ones by spot agreement for the reliability; 0 = the scan's own scores (reliability of near-degenerate zones then ≈ 0–5)",
    },
    refine: {
      type: 'boolean',
      default: false,
      description:
        'refine the beam direction of matched positions below the grid step (hill-climbing to step/8 with templates computed on the fly; costs ≈ 0.5 ms per crystalline pattern); correlation becomes the refined score',
    },
  },
  outputs: {
    fields: {
      phase: {
        dims: ['positions'],
        description: "index of the phase (order of crystal.templates' phase inputs), −1 = none",
      },
      zoneAxis: {
        dims: ['positions', '3'],
        description:
          'beam direction in crystal coordinates (unit vector; [uvw]/|uvw| for cubic), in the fundamental zone',
      },
      inplaneDeg: { dims: ['positions'], unit: '°', description: 'in-plane angle [0, 180)' },
      correlation: { dims: ['positions'], description: 'normalised correlation of the best template, 0–1' },
      reliability: { dims: ['positions'], description: 'ASTAR reliability 100·(1 − Q₂/Q₁), 0–100' },
      euler: {
        dims: ['positions', '3'],
        unit: '° (Bunge ZXZ)',
        description: 'Bunge Euler angles φ1, Φ, φ2 (ZXZ) of the crystal → (column, row, beam) orientation',
      },
      template: { dims: ['positions'], description: 'index of the best template (−1 = none)' },
    },
  },
  prepare({ node, params: p, inputs }): MatchState {
    if (!inputs.templates)
      throw new UserError(`node '${node}', input 'templates': connect a crystal.templates node`);
    if (!inputs.geometry)
      throw new UserError(`node '${node}', input 'geometry': connect a calib.geometry node`);
    const geometry = readGeometry(inputs.geometry, node, 'geometry');
    if (!(geometry.qPerPixel > 0))
      throw new UserError(`node '${node}', input 'geometry': the geometry has no Q calibration (qPerPixel)`);
    const lib = templateLibrary(inputs.templates, node);
    const nTheta = 2 * Math.round(180 / p.angleStepDeg);
    const matcher = new Matcher(lib, geometry, {
      qPerPixel: geometry.qPerPixel,
      nTheta,
      power: p.power,
      minSepDeg: p.reliabilityMinDeg,
      finalists: p.finalists,
    });
    const tm = (inputs.templates.meta ?? {}) as Record<string, number>;
    const phaseNames = ((inputs.templates.meta?.phases as { name?: string }[] | undefined) ?? []).map((x) =>
      String(x?.name),
    );
    let refiner: Refiner | null = null;
    if (p.refine) {
      const phases = ((inputs.templates.meta?.phases as unknown[] | undefined) ?? []).map((x, i) =>
        phaseFromJson(x as never, `node '${node}', templates phase ${i}`),
      );
      const opts = {
        wavelength: tm.wavelength,
        thicknessA: tm.thicknessNm * 10,
        precessionRad: (tm.precessionDeg * Math.PI) / 180,
        qMin: tm.qMin,
        qMax: tm.qMax,
        maxSpots: tm.maxSpots ?? 60,
        minRelative: tm.minRelative ?? 0.01,
      };
      if (![opts.wavelength, opts.thicknessA, opts.qMin, opts.qMax, tm.stepDeg].every(Number.isFinite))
        throw new UserError(
          `node '${node}', param 'refine': the templates input lacks its build settings (wavelength, thickness, precession, Q range, step) in meta`,
        );
      refiner = new Refiner(
        phases.map((ph) => reflectionTable(ph, opts.qMax + 1)),
        lib.laue,
        opts,
        (tm.stepDeg * Math.PI) / 180,
      );
    }
    return { matcher, geometry, phaseNames, refiner };
  },
  process({ node, params: p, chunk, inputs, state }) {
    const frames = fieldOf(inputs.frames, 'frames');
    if (frames?.shape.length !== 3)
      throw new UserError(`node '${node}', input 'frames': expected patterns [positions, rows, cols]`);
    const [n, h, w] = frames.shape;
    const g = state.geometry;
    if (h !== g.h || w !== g.w)
      throw new UserError(
        `node '${node}': patterns are ${h}×${w} but the geometry was made for ${g.h}×${g.w}`,
      );
    const m = state.matcher;
    const lib = m.lib;
    const out = {
      phase: f32([n]),
      zoneAxis: f32([n, 3]),
      inplaneDeg: f32([n]),
      correlation: f32([n]),
      reliability: f32([n]),
      euler: f32([n, 3]),
      template: nd(new Int32Array(n), [n]),
    };
    const res: MatchResult = { template: -1, inplane: NaN, correlation: 0, reliability: 0 };
    const shift = new Float64Array(2);
    for (let k = 0; k < n; k++) {
      shiftAt(g, chunk.start + k, shift);
      const s = Math.round(shift[1]) * w + Math.round(shift[0]);
      m.match(frames.data, k * h * w, s, res);
      out.correlation.data[k] = res.correlation;
      out.reliability.data[k] = res.reliability;
      const t = res.template;
      if (t < 0 || res.correlation < p.minCorrelation) {
        out.phase.data[k] = -1;
        out.template.data[k] = -1;
        out.inplaneDeg.data[k] = NaN;
        for (let j = 0; j < 3; j++) out.zoneAxis.data[3 * k + j] = out.euler.data[3 * k + j] = NaN;
        continue;
      }
      out.phase.data[k] = lib.phase[t];
      out.template.data[k] = t;
      let dir: Vec3 = [lib.direction[3 * t], lib.direction[3 * t + 1], lib.direction[3 * t + 2]];
      let inplane = res.inplane;
      if (state.refiner) {
        const r = state.refiner.refine(m, lib.phase[t], dir, inplane, res.correlation);
        dir = r.direction;
        inplane = r.inplane;
        out.correlation.data[k] = r.correlation;
      }
      out.inplaneDeg.data[k] = (inplane * 180) / Math.PI;
      for (let j = 0; j < 3; j++) out.zoneAxis.data[3 * k + j] = dir[j];
      const e = bungeEuler(orientationMatrix(dir, inplane));
      for (let j = 0; j < 3; j++) out.euler.data[3 * k + j] = (e[j] * 180) / Math.PI;
    }
    return {
      fields: out,
      meta: {
        phases: state.phaseNames,
        minCorrelation: p.minCorrelation,
        units: { inplaneDeg: '°', euler: '° (Bunge ZXZ)' },
      },
    };
  },
});
