/**
 * source.profiles: pre-integrated 1-D curves from the graph's dataset (a CSV `x,I`, or an `.npy`
 * [ny, nx, n] with its axis in `NAME.axis.npy`), so curves integrated elsewhere can enter the
 * graph wherever an I(Q) or G(r) is taken. The x unit is declared here: Q (2π/d) and r pass
 * through, g (1/d) is converted to Q at once. Not cached, like source.frames.
 */
import { UserError } from '../../engine/errors.ts';
import { toFloat32 } from '../../engine/ndarray.ts';
import {
  defineOp,
  type DatasetHandle,
  type NDArray,
  type OutputDecl,
  type OpParams,
} from '../../engine/types.ts';

type ProfilesParams = OpParams<typeof sourceProfiles>;

interface ProfilesState {
  axis: NDArray<Float64Array>;
  axisName: 'q' | 'r';
  field: 'I' | 'G';
}

/** The x axis the profiles dataset carries (meta.x), converted to snem's units. */
export function profileAxis(
  dataset: DatasetHandle,
  xUnit: ProfilesParams['xUnit'],
  node: string,
): NDArray<Float64Array> {
  const x = dataset.meta.x;
  const n = dataset.frameShape[0];
  if (!Array.isArray(x) || x.length !== n || x.some((v) => typeof v !== 'number')) {
    throw new UserError(
      `node '${node}': ${dataset.path} carries no x axis of ${n} numbers (expected a CSV x column or NAME.axis.npy)`,
    );
  }
  const scale = xUnit === 'g' ? 2 * Math.PI : 1;
  return { dtype: 'float64', shape: [n], data: Float64Array.from(x as number[], (v) => v * scale) };
}

export const sourceProfiles = defineOp({
  name: 'source.profiles',
  version: 1,
  scope: 'frame',
  title: 'Pre-integrated 1-D profiles from the dataset file',
  description:
    "Reads 1-D curves per position from the graph's dataset: a CSV with a header and columns x, I (one profile, a 1×1 scan), " +
    'or an .npy [ny, nx, n] whose x axis is NAME.axis.npy (open it with "dataset": {"path": …, "kind": "profiles"}). ' +
    'xUnit declares the x axis: q (Q = 2π/d, Å⁻¹), g (1/d, Å⁻¹; converted to Q by ×2π) or r (Å; the curve is then G(r)).',
  inputs: {},
  params: {
    xUnit: {
      type: 'enum',
      values: ['q', 'g', 'r'],
      default: 'q',
      description: "unit of the file's x axis: q = 2π/d (Å⁻¹), g = 1/d (Å⁻¹, converted to Q), r (Å)",
    },
  },
  outputs: (p): OutputDecl => ({
    fields:
      p.xUnit === 'r'
        ? {
            G: {
              dims: ['positions', 'n'],
              unit: 'Å⁻²',
              axis: 'r',
              description: 'real-space curve per position (xUnit r)',
            },
          }
        : {
            I: {
              dims: ['positions', 'n'],
              unit: 'a.u.',
              axis: 'q',
              description: 'intensity per position (xUnit q, or g converted to Q)',
            },
          },
    axes:
      p.xUnit === 'r'
        ? { r: { unit: 'Å', description: "the file's x column" } }
        : { q: { unit: 'Å⁻¹ (Q = 2π/d)', description: "the file's x column, as Q" } },
  }),
  cached: false,
  check(p, ctx) {
    if (!ctx.dataset)
      throw new UserError(
        `node '${ctx.node}': op 'source.profiles' needs a dataset: set "dataset": {"path": …, "kind": "profiles"} in the graph or pass --data`,
      );
    if (ctx.dataset.kind !== 'profiles') {
      throw new UserError(
        `node '${ctx.node}': ${ctx.dataset.path} holds frames, not 1-D profiles; use op 'source.frames', or open an .npy of profiles with "dataset": {"kind": "profiles"}`,
      );
    }
    profileAxis(ctx.dataset, p.xUnit, ctx.node);
  },
  prepare({ dataset, params, node }): ProfilesState {
    return {
      axis: profileAxis(dataset!, params.xUnit, node),
      axisName: params.xUnit === 'r' ? 'r' : 'q',
      field: params.xUnit === 'r' ? 'G' : 'I',
    };
  },
  process({ dataset, chunk, state }) {
    const y = toFloat32(dataset!.read(chunk.start, chunk.count));
    const field = state.field;
    return {
      fields: { [field]: { dtype: 'float32', shape: [chunk.count, state.axis.shape[0]], data: y.data } },
      axes: { [state.axisName]: state.axis },
      meta: {
        axisOf: { [field]: state.axisName },
        units: {
          [field]: field === 'G' ? 'Å⁻²' : 'a.u.',
          [state.axisName]: state.axisName === 'q' ? 'Å⁻¹ (Q = 2π/d)' : 'Å',
        },
      },
    };
  },
});
