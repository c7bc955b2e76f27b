/**
 * decompose.nmf: non-negative matrix factorisation of the stack of per-position curves (normally
 * G(r)) over a masked region. The curves are shifted to positive values, factorised as X ≈ W·H with
 * k components by HALS from a deterministic NNDSVDa start on all cores, and returned as components
 * [k, n], raw weights [ny, nx, k], weights normalised to 100 % over the physical components, and the
 * reconstruction error per iteration.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32, f64 } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';
import { halsNmf, RowPool } from './hals-pool.ts';
import { nndsvda, nndsvdProbes } from './nndsvd.ts';
import { maskOf, stackCurves } from './stack.ts';

/** "auto" shift: lift the minimum to 10 % of the data range above zero ("well above the minimum"). */
export function autoShift(min: number, max: number): number {
  return -min + 0.1 * (max - min || 1);
}

/** The component most like a flat line (cosine with a constant): the background the shift creates. */
export function backgroundComponent(H: Float64Array, k: number, n: number): number {
  let best = 0;
  let bestCos = -Infinity;
  for (let t = 0; t < k; t++) {
    let s = 0;
    let s2 = 0;
    for (let j = 0; j < n; j++) {
      s += H[t * n + j];
      s2 += H[t * n + j] ** 2;
    }
    const cos = s2 > 0 ? s / Math.sqrt(n * s2) : -Infinity;
    if (cos > bestCos) {
      bestCos = cos;
      best = t;
    }
  }
  return best;
}

export const decomposeNmf = defineOp({
  name: 'decompose.nmf',
  version: 4, // 2: WASM row kernel (XHᵀ in float32 partial sums): results move by ~1e-7; 3: range ends on a float32 axis included; 4: scikit-learn's stopping rule
  scope: 'dataset',
  title: 'NMF of the curve stack (HALS, NNDSVDa start)',
  description:
    'Stacks every unmasked position\'s curve over `range`, shifts it to positive values, and factorises X ≈ W·H (k components, ½‖X − WH‖² with W, H ≥ 0; HALS coordinate descent like scikit-learn\'s solver="cd", deterministic NNDSVDa start, both cores). Components are scaled to a maximum of 1; weights × components reconstructs the shifted curves.',
  inputs: {
    curves: { scope: 'any', description: 'per-position curves, normally G(r) (pdf.G)' },
    mask: {
      scope: 'dataset',
      optional: true,
      description: 'positions to include [ny, nx] (nonzero = include), e.g. map.threshold',
    },
  },
  params: {
    components: { type: 'integer', default: 4, min: 1, max: 32, description: 'number of components k' },
    shift: {
      type: 'number',
      auto: true,
      default: 'auto',
      description: 'added to every curve before factorising; "auto" = −min + 10 % of the data range',
    },
    maxIter: {
      type: 'integer',
      default: 200,
      min: 1,
      description: "maximum HALS iterations (scikit-learn's max_iter)",
    },
    tol: {
      type: 'number',
      default: 1e-4,
      min: 0,
      description:
        "scikit-learn's tol for solver=\"cd\": stop when an iteration's Σ|projected gradient| over W and H is at most tol × the first iteration's (0 = run maxIter unless the fit is exact)",
    },
    seed: { type: 'integer', default: 0, description: 'seed of the randomized SVD behind the NNDSVDa start' },
    range: {
      type: 'number[]',
      length: 2,
      optional: true,
      unit: 'curve x unit (Å for r)',
      description: 'x range of the curves to use (default: all)',
    },
    physical: {
      type: 'number[]',
      auto: true,
      default: 'auto',
      description:
        'indices (0-based) of the physical components normalised to 100 %; "auto" = all but the flattest (background) component',
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field of the input (default G, else the only one)',
    },
  },
  outputs: {
    fields: {
      components: {
        dims: ['k', 'n'],
        description: "components (each scaled to max 1), on the input curve's axis",
      },
      weights: { dims: ['ny', 'nx', 'k'], description: 'raw weights; NaN where masked' },
      fractions: {
        dims: ['ny', 'nx', 'k'],
        unit: '%',
        description:
          'weights of the physical components normalised to 100 %; NaN for masked positions and for the non-physical components',
      },
      error: {
        dims: ['iterations'],
        description: 'reconstruction error ‖X − WH‖_F after each iteration (one value per iteration run)',
      },
    },
    axes: { '<x>': { description: "the input curves' x axis (q or r)" } },
  },
  check(p, { node }) {
    if (Array.isArray(p.physical)) {
      for (const t of p.physical)
        if (!Number.isInteger(t) || t < 0 || t >= p.components)
          throw new ParamError(node, 'physical', `component indices are 0 … ${p.components - 1}, got ${t}`);
    }
  },
  async run({ node, params: p, inputs, scan, workers, log }) {
    const total = scan.ny * scan.nx;
    const mask = await maskOf(inputs.mask, node, total);
    const st = await stackCurves(inputs.curves, node, { field: p.field, range: p.range, mask, total });
    const k = p.components;
    if (st.rows < k)
      throw new UserError(
        `node '${node}': only ${st.rows} positions left after the mask (need at least ${k})`,
      );
    const { X, rows, n } = st;
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < X.length; i++) {
      if (X[i] < mn) mn = X[i];
      if (X[i] > mx) mx = X[i];
    }
    const shift = p.shift === 'auto' ? autoShift(mn, mx) : p.shift;
    let clipped = 0;
    for (let i = 0; i < X.length; i++) {
      const v = X[i] + shift;
      if (v < 0) clipped++;
      X[i] = v < 0 ? 0 : v;
    }
    if (clipped) log(`shift ${shift} leaves ${clipped} negative values; clipped to 0`);
    const pool = await RowPool.open(X, rows, n, nndsvdProbes(k), Math.max(1, workers));
    let res: ReturnType<typeof halsNmf>;
    try {
      const init = nndsvda(pool, k, p.seed);
      res = halsNmf(pool, init.W, init.H, { k, maxIter: p.maxIter, tol: p.tol });
    } finally {
      await pool.close();
    }
    // scale components to max 1; weights take the factor so W·H is unchanged
    const H = res.H;
    const W = res.W;
    for (let t = 0; t < k; t++) {
      let m = 0;
      for (let j = 0; j < n; j++) m = Math.max(m, H[t * n + j]);
      if (m > 0) {
        for (let j = 0; j < n; j++) H[t * n + j] /= m;
        for (let r = 0; r < rows; r++) W[r * k + t] *= m;
      }
    }
    const background = backgroundComponent(H, k, n);
    const physical =
      p.physical === 'auto'
        ? Array.from({ length: k }, (_, t) => t).filter((t) => k === 1 || t !== background)
        : p.physical;
    const isPhys = new Uint8Array(k);
    for (const t of physical) isPhys[t] = 1;
    const weights = f32([scan.ny, scan.nx, k]);
    const fractions = f32([scan.ny, scan.nx, k]);
    weights.data.fill(NaN);
    fractions.data.fill(NaN);
    for (let r = 0; r < rows; r++) {
      const pos = st.positions[r];
      let sum = 0;
      for (let t = 0; t < k; t++) {
        weights.data[pos * k + t] = W[r * k + t];
        if (isPhys[t]) sum += W[r * k + t];
      }
      for (let t = 0; t < k; t++)
        if (isPhys[t]) fractions.data[pos * k + t] = sum > 0 ? (100 * W[r * k + t]) / sum : NaN;
    }
    const x2 = pool.sumSq;
    const finalErr = res.errors[res.iterations - 1];
    return {
      fields: { components: f32([k, n], H), weights, fractions, error: f64([res.iterations], res.errors) },
      axes: { [st.xName]: f64([n], st.x) },
      meta: {
        axisOf: { components: st.xName },
        units: { fractions: '%' },
        shift,
        clipped,
        iterations: res.iterations,
        violation: res.violations[res.iterations - 1],
        relativeError: finalErr / Math.sqrt(x2),
        background,
        physical,
        positions: rows,
        excludedPositions: st.excluded,
        source: st.field,
      },
    };
  },
});
