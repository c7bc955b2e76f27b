/**
 * map.register: an external map (source.map) put on the scan grid — with a transform given
 * (scale, rotation, offset) or estimated against a map of the graph (a VDF, the VBF, a Zr-sensitive
 * QoI) — reporting the transform and how well the registered map explains the reference.
 * The geometry and the estimation are in register-core.ts.
 */
import { ParamError } from '../../engine/errors.ts';
import { inputField, inputInfo } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type DatasetInput, type Json } from '../../engine/types.ts';
import { maskOf } from '../decompose/stack.ts';
import { gaussianTaps, smoothScan } from './smooth.ts';
import {
  linearOf,
  MapSampler,
  pairedPearson,
  registerMap,
  resampleOnScan,
  type Frame,
  type Pose,
} from './register-core.ts';

type Estimated = 'offset' | 'rotation' | 'scale';

const ESTIMABLE: Estimated[] = ['offset', 'rotation', 'scale'];

/** [y, x] nm from a number or a [y, x] pair, or null. */
function yx(v: Json | undefined): [number, number] | null {
  if (typeof v === 'number' && v > 0) return [v, v];
  if (Array.isArray(v) && v.length >= 1 && v.every((x) => typeof x === 'number' && x > 0))
    return [v[0] as number, v[v.length - 1] as number];
  return null;
}

async function scalarMap(
  input: DatasetInput,
  field: string | undefined,
  node: string,
  port: string,
  total: number,
  shape: string,
): Promise<Float64Array> {
  const v = await inputField(input, field, node, port);
  if (v.data.length !== total)
    throw new ParamError(
      node,
      'field',
      `input '${port}': expected a scalar map of ${shape} = ${total} positions, got shape [${v.shape}]`,
    );
  return Float64Array.from(v.data as ArrayLike<number>);
}

export const mapRegister = defineOp({
  name: 'map.register',
  version: 2, // 2: transform input, referenceSigma, coarse grid ~32 positions
  scope: 'dataset',
  title: 'Register an external map onto the scan grid',
  description:
    'Resamples a source.map map at every scan position through [u, v] = P⁻¹·s·R(θ)·S·[x, y] + offset (S scan step, P map pixel, in nm; ' +
    'θ from +column towards +row; offset = the map pixel [col, row] of scan position [0, 0]). Parameters listed in `estimate` are found by ' +
    'a search over rotation (and scale) with the translation of each candidate from masked normalised cross-correlation in the Fourier ' +
    'domain against the `reference` map, then refined together (Nelder–Mead on the Pearson r); the others are taken as given. ' +
    'meta.transform reports the result, meta.correlation and meta.residualRms how well the registered map explains the reference.',
  inputs: {
    map: { scope: 'dataset', description: 'the external map (source.map)' },
    reference: {
      scope: 'any',
      optional: true,
      description:
        'a map of the graph to register against (VBF, a VDF, a Zr-sensitive QoI); needed when anything is estimated',
    },
    mask: {
      scope: 'dataset',
      optional: true,
      description: 'reference positions to use [ny, nx] (nonzero = use)',
    },
    transform: {
      scope: 'dataset',
      optional: true,
      description:
        'another map.register node whose transform to apply (e.g. the survey ADF channel of the same spectrum image); scale, rotationDeg, offset and estimate are then not used',
    },
  },
  params: {
    estimate: {
      type: 'string[]',
      default: ['offset', 'rotation'],
      description: 'what to estimate: any of offset, rotation, scale ([] = apply the given transform)',
    },
    scale: {
      type: 'number',
      auto: true,
      default: 'auto',
      exclusiveMin: 0,
      description:
        "map pixels per scan step; auto = scan step / map pixel size (from the dataset's scanStepNm and source.map's pixel size)",
    },
    rotationDeg: {
      type: 'number',
      default: 0,
      unit: '°',
      description:
        'rotation of the scan in the map (from +column towards +row); the start of the search when estimated',
    },
    offset: {
      type: 'number[]',
      length: 2,
      optional: true,
      unit: 'map px [col, row]',
      description: "map point of scan position [0, 0] (default: the map's centre on the scan's centre)",
    },
    maxRotationDeg: {
      type: 'number',
      default: 10,
      min: 0,
      max: 90,
      unit: '°',
      description: 'rotation search range: rotationDeg ± this',
    },
    rotationStepDeg: {
      type: 'number',
      default: 1,
      exclusiveMin: 0,
      unit: '°',
      description: 'step of the coarse rotation search',
    },
    scaleRange: {
      type: 'number[]',
      length: 2,
      default: [0.8, 1.25],
      exclusiveMin: 0,
      description: 'scale search range, as factors of the start scale',
    },
    contrast: {
      type: 'enum',
      values: ['positive', 'negative', 'either'],
      default: 'either',
      description:
        'whether the map rises with the reference (positive), falls (negative, e.g. Zr against a bright field) or either',
    },
    minCorrelation: {
      type: 'number',
      default: 0.3,
      min: 0,
      max: 1,
      description: 'registration fails (exit 1) below this |Pearson r| between reference and registered map',
    },
    minOverlap: {
      type: 'number',
      default: 0.5,
      exclusiveMin: 0,
      max: 1,
      description: "fewest common positions, as a fraction of the reference's valid positions",
    },
    scanStepNm: {
      type: 'number[]',
      length: [1, 2],
      optional: true,
      unit: 'nm',
      description: "scan step, [step] or [y, x] (default: the dataset's scanStepNm)",
    },
    referenceSigma: {
      type: 'number',
      default: 0,
      min: 0,
      unit: 'scan px',
      description:
        "Gaussian σ applied to the reference before the estimation, to match the map's resolution (e.g. an EELS probe and pixel); the reported correlation uses the reference as given",
    },
    field: {
      type: 'string',
      optional: true,
      description: 'field of the reference input (default: the only one)',
    },
  },
  outputs: {
    fields: {
      map: {
        dims: ['ny', 'nx'],
        description: "the external map at every scan position (its unit: the source.map's); NaN outside it",
      },
      residual: {
        dims: ['ny', 'nx'],
        optional: true,
        description: 'reference − (a·map + b), the least-squares line, where both exist (with a reference)',
      },
      transform: {
        dims: ['2', '3'],
        description: 'matrix in map px: [u, v] (map col, row) = M · [x, y, 1] (scan col, row)',
      },
    },
  },
  check(p, { node }) {
    const bad = p.estimate.filter((e) => !ESTIMABLE.includes(e as Estimated));
    if (bad.length)
      throw new ParamError(
        node,
        'estimate',
        `unknown item(s) ${bad.map((b) => `'${b}'`).join(', ')}; expected any of offset, rotation, scale`,
      );
    if (!(p.scaleRange[0] < 1 && p.scaleRange[1] > 1))
      throw new ParamError(node, 'scaleRange', `expected [lo < 1, hi > 1], got [${p.scaleRange}]`);
  },
  async run({ node, params: p, inputs, scan, dataset, log }) {
    const { ny, nx } = scan;
    const total = ny * nx;
    const mapValue = await inputInfo(inputs.map);
    const mapArr = await inputField(inputs.map, 'map' in mapValue.fields ? 'map' : undefined, node, 'map');
    const mapMeta = mapValue.meta ?? {};
    const file =
      typeof mapMeta.path === 'string'
        ? mapMeta.path
        : typeof mapMeta.file === 'string'
          ? mapMeta.file
          : '(the map input)';
    if (mapArr.shape.length !== 2)
      throw new ParamError(
        node,
        'map',
        `${file}: expected a 2-D map [rows, cols] from source.map, got shape [${mapArr.shape}]`,
      );
    const [H, W] = mapArr.shape;
    const sampler = new MapSampler(mapArr.data as ArrayLike<number>, H, W);
    // A transform from another registration of the same grid (a channel of the same acquisition).
    let given: { pose: Pose; fr: Frame } | null = null;
    if (inputs.transform) {
      const tv = await inputInfo(inputs.transform);
      const m = tv.fields.transform;
      const shape = (tv.meta?.mapShape ?? null) as number[] | null;
      if (m?.data.length !== 6)
        throw new ParamError(
          node,
          'transform',
          `${file}: input 'transform' must be a map.register node (a [2, 3] transform field), found fields ${Object.keys(tv.fields).join(', ')}`,
        );
      if (shape && (shape[0] !== H || shape[1] !== W))
        throw new ParamError(
          node,
          'transform',
          `${file}: the transform was estimated on a ${shape[0]} × ${shape[1]} map, this map is ${H} × ${W} (not the same acquisition grid)`,
        );
      const d = m.data as ArrayLike<number>;
      given = {
        pose: { s: 1, thetaDeg: 0, tu: d[2], tv: d[5] },
        fr: { stepX: 1, stepY: 1, pixX: 1, pixY: 1, linear: [d[0], d[1], d[3], d[4]] },
      };
    }
    const est = given
      ? { offset: false, rotation: false, scale: false }
      : {
          offset: p.estimate.includes('offset'),
          rotation: p.estimate.includes('rotation'),
          scale: p.estimate.includes('scale'),
        };
    const anyEstimated = est.offset || est.rotation || est.scale;

    // Frame: physical sizes when both are known, else map px per scan px from `scale`.
    const step = p.scanStepNm ? yx(p.scanStepNm) : yx(dataset?.meta?.scanStepNm);
    const pix = yx(mapMeta.pixelSizeNm);
    let fr: Frame;
    let s0: number;
    if (given) {
      fr = given.fr;
      s0 = 1;
    } else if (p.scale !== 'auto') {
      fr = { stepX: 1, stepY: 1, pixX: 1, pixY: 1 };
      s0 = p.scale;
    } else if (step && pix) {
      fr = { stepX: step[1], stepY: step[0], pixX: pix[1], pixY: pix[0] };
      s0 = 1;
    } else {
      throw new ParamError(
        node,
        'scale',
        `${file}: scale 'auto' needs the scan step (${step ? 'known' : 'unknown: set scanStepNm'}) and the map's pixel size (${pix ? 'known' : 'unknown: set source.map pixelSizeNm'}); or give scale in map pixels per scan step`,
      );
    }
    const a0 = linearOf({ s: s0, thetaDeg: p.rotationDeg, tu: 0, tv: 0 }, fr);
    // Default offset: the scan's centre on the map's centre.
    const cx = (nx - 1) / 2,
      cy = (ny - 1) / 2;
    const start: Pose = given
      ? given.pose
      : {
          s: s0,
          thetaDeg: p.rotationDeg,
          tu: p.offset ? p.offset[0] : (W - 1) / 2 - (a0[0] * cx + a0[1] * cy),
          tv: p.offset ? p.offset[1] : (H - 1) / 2 - (a0[2] * cx + a0[3] * cy),
        };

    let reference: Float64Array | null = null;
    if (inputs.reference) {
      reference = await scalarMap(
        inputs.reference,
        p.field ?? undefined,
        node,
        'reference',
        total,
        `${ny} × ${nx}`,
      );
      const mask = await maskOf(inputs.mask, node, total);
      if (mask) for (let i = 0; i < total; i++) if (!mask[i]) reference[i] = NaN;
    } else if (anyEstimated && !given) {
      throw new ParamError(
        node,
        'estimate',
        `${file}: estimating ${p.estimate.join(', ')} needs a 'reference' input (a map of the graph, e.g. a VDF); or set estimate [] and give scale, rotationDeg, offset`,
      );
    }

    let pose = start;
    let search: ReturnType<typeof registerMap> | null = null;
    if (anyEstimated && reference) {
      const sign = p.contrast === 'positive' ? 1 : p.contrast === 'negative' ? -1 : 0;
      let matched: ArrayLike<number> = reference;
      if (p.referenceSigma > 0) {
        const v = Float32Array.from(reference);
        smoothScan(
          v,
          ny,
          nx,
          1,
          Uint8Array.from(v, (x) => (Number.isFinite(x) ? 1 : 0)),
          gaussianTaps(p.referenceSigma),
        );
        matched = v;
      }
      search = registerMap({ ny, nx, data: matched }, sampler, start, fr, {
        estimate: est,
        maxRotationDeg: p.maxRotationDeg,
        rotationStepDeg: p.rotationStepDeg,
        scaleRange: [p.scaleRange[0], p.scaleRange[1]],
        sign,
        minOverlap: p.minOverlap,
      });
      const why =
        search.failure ??
        (!(Math.abs(search.r) >= p.minCorrelation)
          ? `the best |Pearson r| with the reference is ${Number.isFinite(search.r) ? Math.abs(search.r).toFixed(3) : 'undefined'}, below minCorrelation ${p.minCorrelation}`
          : null);
      if (why) {
        throw new ParamError(
          node,
          'estimate',
          `${file}: the registration did not converge: ${why}. Check that the reference shows the same features as the map, the pixel sizes (scale), and the search ranges (maxRotationDeg, scaleRange)`,
        );
      }
      pose = search.pose;
    }

    const registered = resampleOnScan(sampler, pose, fr, ny, nx);
    let inside = 0;
    for (let i = 0; i < total; i++) if (Number.isFinite(registered[i])) inside++;
    if (inside === 0) {
      throw new ParamError(
        node,
        p.offset ? 'offset' : 'scale',
        `${file}: no scan position falls inside the ${H} × ${W} map with this transform (no overlap); check offset, scale and the pixel sizes`,
      );
    }
    const fields: Record<string, ReturnType<typeof f32>> = { map: f32([ny, nx], registered) };
    const meta: Record<string, Json> = {};
    if (reference) {
      const { r, n } = pairedPearson(reference, registered);
      if (n < 3)
        throw new ParamError(
          node,
          'offset',
          `${file}: the registered map and the reference share ${n} position(s) (no overlap)`,
        );
      // Least-squares line reference ≈ a·map + b over the common positions; its residual.
      let sm = 0,
        sr = 0;
      for (let i = 0; i < total; i++)
        if (Number.isFinite(registered[i]) && Number.isFinite(reference[i]))
          (sm += registered[i]), (sr += reference[i]);
      const mm = sm / n,
        mr = sr / n;
      let smm = 0,
        smr = 0;
      for (let i = 0; i < total; i++)
        if (Number.isFinite(registered[i]) && Number.isFinite(reference[i]))
          (smm += (registered[i] - mm) ** 2), (smr += (registered[i] - mm) * (reference[i] - mr));
      const slope = smm > 0 ? smr / smm : 0;
      const residual = f32([ny, nx]);
      let ss = 0,
        sref = 0;
      for (let i = 0; i < total; i++) {
        const ok = Number.isFinite(registered[i]) && Number.isFinite(reference[i]);
        residual.data[i] = ok ? reference[i] - (mr + slope * (registered[i] - mm)) : NaN;
        if (ok) (ss += residual.data[i] ** 2), (sref += (reference[i] - mr) ** 2);
      }
      fields.residual = residual;
      Object.assign(meta, {
        correlation: r,
        overlapPositions: n,
        residualRms: Math.sqrt(ss / n),
        residualFraction: sref > 0 ? Math.sqrt(ss / sref) : null,
        fit: { slope, intercept: mr - slope * mm },
      });
    }
    const a = linearOf(pose, fr);
    meta.transform = {
      scale: Math.sqrt(Math.abs(a[0] * a[3] - a[1] * a[2])),
      relativeScale: given ? 1 : p.scale === 'auto' ? pose.s : pose.s / s0,
      rotationDeg: given ? (Math.atan2(a[2], a[0]) * 180) / Math.PI : pose.thetaDeg,
      offset: [pose.tu, pose.tv],
      matrix: [
        [a[0], a[1], pose.tu],
        [a[2], a[3], pose.tv],
      ],
      meaning:
        '[u, v] (map px, col/row) = matrix · [x, y, 1] (scan px, col/row); scale = map px per scan px; rotation from +col towards +row',
      estimated: given ? [] : p.estimate,
      from: given ? 'the transform input' : p.estimate.length ? 'estimated against the reference' : 'params',
    };
    meta.mapShape = [H, W];
    fields.transform = f32([2, 3], [a[0], a[1], pose.tu, a[2], a[3], pose.tv]);
    log(
      `${file}: ${given ? 'transform applied' : p.estimate.length ? 'registered' : 'placed'}: scale ${(meta.transform as Record<string, number>).scale.toFixed(4)} map px per scan px, rotation ${(meta.transform as Record<string, number>).rotationDeg.toFixed(2)}°, ` +
        `offset [${pose.tu.toFixed(2)}, ${pose.tv.toFixed(2)}] map px; ${inside} of ${total} positions covered` +
        (typeof meta.correlation === 'number' ? `; r with the reference ${meta.correlation.toFixed(3)}` : ''),
    );
    meta.inside = inside;
    meta.file = mapMeta.file ?? null;
    meta.label = mapMeta.label ?? null;
    meta.units = { map: ((mapMeta.units as Record<string, Json> | undefined)?.map as string) ?? '' };
    if (search)
      meta.search = {
        coarseFactor: search.coarse.factor,
        candidates: search.coarse.candidates,
        coarseR: search.coarse.bestR,
        evaluations: search.evaluations,
        converged: search.converged,
      };
    return { fields, meta };
  },
});
