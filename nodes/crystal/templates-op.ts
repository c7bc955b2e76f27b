/**
 * crystal.templates: kinematic spot templates of one or more phases over the fundamental zone of
 * beam directions (grid `step` degrees), at the beam energy and Q range of the geometry. Spots are
 * stored in Q units (|Q⊥| in Å⁻¹ and angle in the direction's (e1, e2) frame), so crystal.match can
 * place them on any detector calibration.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32, nd } from '../../engine/ndarray.ts';
import type { DatasetInput, Json } from '../../engine/types.ts';
import { defineOp } from '../../engine/types.ts';
import { readGeometry } from '../calib/geometry-model.ts';
import { electronWavelength } from '../calib/electron-optics.ts';
import { phaseFromJson, phaseToJson, type Phase } from './phase-model.ts';
import { fundamentalZoneArea, sampleDirections } from './symmetry.ts';
import { reflectionTable, templateSpots, type TemplateOptions } from './templates.ts';

/** Refuse template libraries above this many templates (≈ 0.06° for one cubic phase). */
export const MAX_TEMPLATES = 250_000;
/** Bytes per stored spot (Q, angle, intensity as float32, hkl as 3 × int16). */
const SPOT_BYTES = 18;

const PHASE_PORTS = ['phase', 'phase2', 'phase3', 'phase4'] as const;

export async function geometryOf(input: DatasetInput | undefined, node: string) {
  if (!input) throw new UserError(`node '${node}', input 'geometry': connect a calib.geometry node`);
  const v = input.scope === 'dataset' ? input.value : await input.first();
  const g = readGeometry(v, node, 'geometry');
  if (!(g.qPerPixel > 0 && Number.isFinite(g.qPerPixel))) {
    throw new UserError(
      `node '${node}', input 'geometry': the geometry has no Q calibration (qPerPixel); give calib.geometry qPerPixel (Å⁻¹, Q = 2π/d) or gPerPixel`,
    );
  }
  return g;
}

export const crystalTemplates = defineOp({
  name: 'crystal.templates',
  version: 3,
  scope: 'dataset',
  title: 'Kinematic spot templates over the fundamental zone',
  description:
    "Spot patterns of each phase for beam directions on a grid of `step` degrees over the phase's fundamental zone of beam directions (standard triangle 001–011–111 for cubic). Positions from the reciprocal lattice (in-plane |Q| in Å⁻¹, Q = 2π/d), intensities |F|² (Lobato form factors, Debye–Waller B of the phase) × excitation for a crystal `thickness` thick, integrated over a precession cone of `precessionDeg` (0 = none). Fields: direction [T, 3], phase [T], spotStart [T+1], spotQ, spotAngle (rad, in the direction's e1/e2 frame), spotIntensity (1 = strongest of its template), spotHkl [S, 3].",
  inputs: {
    phase: { scope: 'dataset', description: 'crystal.phase' },
    phase2: { scope: 'dataset', optional: true, description: 'a second crystal.phase' },
    phase3: { scope: 'dataset', optional: true, description: 'a third crystal.phase' },
    phase4: { scope: 'dataset', optional: true, description: 'a fourth crystal.phase' },
    geometry: { scope: 'dataset', description: 'calib.geometry: wavelength, Q per pixel, detector size' },
  },
  params: {
    step: {
      type: 'number',
      exclusiveMin: 0,
      default: 1,
      unit: '°',
      description: `grid step of beam directions; the library is refused above ${MAX_TEMPLATES} templates`,
    },
    thickness: {
      type: 'number',
      exclusiveMin: 0,
      default: 40,
      unit: 'nm',
      description: 'crystal thickness: width of the relrods (excitation error tolerance ∝ 1/thickness)',
    },
    precessionDeg: {
      type: 'number',
      min: 0,
      max: 5,
      default: 1,
      unit: '°',
      description:
        'precession semi-angle (0 = none): spots within ≈ angle·|g| of the Ewald sphere are excited',
    },
    qMin: {
      type: 'number',
      min: 0,
      default: 1.5,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: 'ignore spots closer to the beam than this (the direct beam and its halo)',
    },
    qMax: {
      type: 'number',
      exclusiveMin: 0,
      auto: true,
      default: 'auto',
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: '"auto": the largest radius fully on the detector (inscribed circle, 2 px margin)',
    },
    maxSpots: {
      type: 'integer',
      min: 2,
      max: 1000,
      default: 60,
      description: 'strongest spots kept per template (± pairs count twice)',
    },
    minRelative: {
      type: 'number',
      min: 0,
      max: 1,
      default: 0.01,
      description: "drop spots weaker than this fraction of their template's strongest",
    },
  },
  outputs: {
    fields: {
      direction: {
        dims: ['T', '3'],
        description: 'beam direction, unit vector in the crystal Cartesian frame ([uvw]/|uvw| for cubic)',
      },
      phase: { dims: ['T'], description: 'index of the phase (order of the phase inputs)' },
      spotStart: { dims: ['T + 1'], description: 'first spot of each template' },
      spotQ: { dims: ['S'], description: 'in-plane |Q| of each spot, Å⁻¹ (Q = 2π/d)' },
      spotAngle: { dims: ['S'], description: "angle of the spot in the template's (e1, e2) frame, rad" },
      spotIntensity: { dims: ['S'], description: 'relative intensity (1 = strongest spot of the template)' },
      spotHkl: { dims: ['S', '3'], description: 'Miller indices' },
    },
  },
  check(p, { node }) {
    if (p.qMax !== 'auto' && !(p.qMax > p.qMin))
      throw new ParamError(node, 'qMax', `must exceed qMin (${p.qMin}), got ${p.qMax}`);
  },
  async run({ node, params: p, inputs, log }) {
    const phases: Phase[] = [];
    for (const port of PHASE_PORTS) {
      const inp = inputs[port];
      if (!inp) continue;
      if (inp.scope !== 'dataset' || !inp.value.meta?.phase)
        throw new UserError(`node '${node}', input '${port}': expected a crystal.phase node`);
      phases.push(phaseFromJson(inp.value.meta.phase, `node '${node}', input '${port}'`));
    }
    const g = await geometryOf(inputs.geometry, node);
    const wavelength = Number.isFinite(g.wavelength) ? g.wavelength : electronWavelength(200);
    const inscribedPx = Math.min(g.cx, g.cy, g.w - 1 - g.cx, g.h - 1 - g.cy) * Math.sqrt(g.axisRatio) - 2;
    const qMax = p.qMax === 'auto' ? inscribedPx * g.qPerPixel : p.qMax;
    if (!(qMax > p.qMin))
      throw new ParamError(
        node,
        'qMax',
        `the detector reaches only ${qMax.toFixed(2)} Å⁻¹, below qMin ${p.qMin}`,
      );

    const stepRad = (p.step * Math.PI) / 180;
    const expected = phases.reduce((t, ph) => t + fundamentalZoneArea(ph.laue) / (stepRad * stepRad), 0);
    if (expected > MAX_TEMPLATES) {
      const mb = (expected * p.maxSpots * SPOT_BYTES) / 2 ** 20;
      const minStep = p.step * Math.sqrt(expected / MAX_TEMPLATES);
      throw new ParamError(
        node,
        'step',
        `${p.step}° would need about ${Math.round(expected).toLocaleString('en')} templates (≈ ${mb.toFixed(0)} MB of spots, and matching time in proportion); the limit is ${MAX_TEMPLATES.toLocaleString('en')}: use step ≥ ${minStep.toFixed(3)}°`,
      );
    }
    const opts: TemplateOptions = {
      wavelength,
      thicknessA: p.thickness * 10,
      precessionRad: (p.precessionDeg * Math.PI) / 180,
      qMin: p.qMin,
      qMax,
      maxSpots: p.maxSpots,
      minRelative: p.minRelative,
    };
    const dirs: number[] = [];
    const phaseIdx: number[] = [];
    const start: number[] = [0];
    const q: number[] = [];
    const angle: number[] = [];
    const inten: number[] = [];
    const hkl: number[] = [];
    const perPhase: Json[] = [];
    phases.forEach((ph, k) => {
      const table = reflectionTable(ph, qMax + 1);
      const d = sampleDirections(ph.laue, p.step);
      for (const z of d) {
        const s = templateSpots(table, z, opts);
        dirs.push(...z);
        phaseIdx.push(k);
        q.push(...s.q);
        angle.push(...s.angle);
        inten.push(...s.intensity);
        hkl.push(...s.hkl);
        start.push(q.length);
      }
      perPhase.push({ name: ph.name, laue: ph.laue, templates: d.length, reflections: table.n });
    });
    const T = phaseIdx.length;
    log(`${T} templates, ${q.length} spots (${(q.length / Math.max(1, T)).toFixed(1)} per template)`);
    return {
      fields: {
        direction: f32([T, 3], dirs),
        phase: nd(Int32Array.from(phaseIdx), [T]),
        spotStart: nd(Int32Array.from(start), [T + 1]),
        spotQ: f32([q.length], q),
        spotAngle: f32([q.length], angle),
        spotIntensity: f32([q.length], inten),
        spotHkl: nd(Int16Array.from(hkl), [q.length, 3]),
      },
      meta: {
        phases: phases.map(phaseToJson),
        perPhase,
        templates: T,
        spots: q.length,
        stepDeg: p.step,
        wavelength,
        qMin: p.qMin,
        qMax,
        thicknessNm: p.thickness,
        precessionDeg: p.precessionDeg,
        maxSpots: p.maxSpots,
        minRelative: p.minRelative,
        bytes: q.length * SPOT_BYTES + T * 16,
      },
    };
  },
});
