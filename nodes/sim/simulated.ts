/**
 * source.simulated: the simulated Ni / glass / Ni specimen rendered on the fly, chunk by chunk —
 * the same frames, bit for bit, as `snem simulate` writes for the same params and seed (both call
 * sim/render.ts, whose randomness is keyed on (seed, iy, ix)). Not cached: rendering is cheaper
 * than storing.
 */
import { ParamError } from '../../engine/errors.ts';
import { defineOp, type OpParams } from '../../engine/types.ts';
import {
  PRESETS,
  parseScan,
  resolveSimParams,
  type SimOverrides,
  type SimParams,
} from '../../sim/presets.ts';
import { Renderer, simGeometry } from '../../sim/render.ts';
import { simParamsHash } from '../../sim/write.ts';

type Params = OpParams<typeof sourceSimulated>;

/** The full simulator params an op node stands for. */
export function simParamsOf(p: Params, node = 'source.simulated'): SimParams {
  const o: SimOverrides = {};
  if (p.specimen !== null && p.specimen !== undefined) {
    if (typeof p.specimen !== 'object' || Array.isArray(p.specimen))
      throw new ParamError(
        node,
        'specimen',
        'expected an object of simulator parameters, e.g. {"zrInterface": 0.5}',
      );
    Object.assign(o, p.specimen);
  }
  o.seed = p.seed;
  if (p.scan) Object.assign(o, parseScan(p.scan));
  if (p.size !== null) o.size = p.size;
  if (p.dose !== null) o.dose = p.dose;
  try {
    return resolveSimParams(p.preset, o);
  } catch (e) {
    throw new ParamError(node, 'specimen', (e as Error).message);
  }
}

export const sourceSimulated = defineOp({
  name: 'source.simulated',
  version: 1,
  scope: 'frame',
  title: 'Simulated Ni / Zr–X glass / Ni patterns with known ground truth',
  description:
    "Renders the simulator's specimen (sim/): FCC Ni grains at both edges, a quasi-binary Zr–X glass with a composition gradient and chemical-order patches, nanocrystalline inclusions; 8-bit patterns with Poisson noise. Identical to `snem simulate` for the same params.",
  inputs: {},
  params: {
    preset: {
      type: 'enum',
      values: Object.keys(PRESETS),
      default: 'demo',
      description: 'named parameter set (demo: small scan; paper: 289 × 132)',
    },
    seed: {
      type: 'integer',
      default: 1,
      min: 0,
      description: 'random seed (specimen, detector defects and counting noise)',
    },
    scan: { type: 'string', optional: true, description: 'scan shape "NYxNX" instead of the preset\'s' },
    size: {
      type: 'integer',
      optional: true,
      min: 32,
      max: 1024,
      unit: 'px',
      description: 'detector side instead of 144',
    },
    dose: {
      type: 'number',
      optional: true,
      exclusiveMin: 0,
      unit: 'counts',
      description: 'expected counts per pixel at the amorphous-ring maximum',
    },
    specimen: {
      type: 'json',
      optional: true,
      description:
        'further simulator parameters (see sim/presets.ts), e.g. {"zrInterface": 0.5, "descan": [2, 1]}',
    },
  },
  outputs: {
    fields: {
      frames: { dims: ['positions', 'rows', 'cols'], unit: 'counts', description: 'patterns, uint8' },
    },
  },
  cached: false,
  scanShape(p) {
    const s = simParamsOf(p);
    return { ny: s.ny, nx: s.nx };
  },
  check(p, ctx) {
    simParamsOf(p, ctx.node);
  },
  prepare({ params, node }): Renderer {
    return new Renderer(simParamsOf(params, node));
  },
  process({ state, chunk }) {
    const p = state.p;
    const g = simGeometry(p);
    const frames = state.renderRange(chunk.start, chunk.count);
    return {
      fields: { frames: { dtype: 'uint8', shape: [chunk.count, p.size, p.size], data: frames } },
      meta: {
        simulated: true,
        paramsHash: simParamsHash(p),
        center: g.center,
        qPerPixel: g.qPerPixel,
        ellipse: g.ellipse,
        beamEnergyKeV: p.beamEnergyKeV,
      },
    };
  },
});
