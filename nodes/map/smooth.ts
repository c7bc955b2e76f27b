/**
 * map.smooth: Gaussian smoothing over the scan of a per-position quantity — a scalar map (e.g. r₁max)
 * or whole curves (e.g. G(r), every sample smoothed alike, so the result is the weighted mean
 * curve of the neighbourhood). This is the ePDF practice of binning scan positions: the counts of a
 * single 4D-STEM pattern leave G(r) noisy above Q ≈ 7 Å⁻¹, and summing the patterns of a few
 * neighbouring positions trades scan resolution for counts. A Gaussian of σ pixels averages about
 * 4πσ² positions (σ = 1: ≈ 12, i.e. like 3 × 3 binning but without the block artefacts) and keeps the
 * output on the scan grid. Features narrower than σ are blurred, so σ must stay well below the
 * scale of what is mapped (composition gradients, chemical-order patches).
 *
 * With a `mask`, only positions inside it are mixed (normalised convolution: each output is the
 * weighted mean over its in-mask neighbours), so e.g. crystalline Ni never leaks into glass curves;
 * positions outside the mask are passed through unchanged. Positions whose value (any sample of a
 * curve) is not finite neither contribute nor change.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { forEachPositionBlock, inputInfo } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type Json, type NDArray } from '../../engine/types.ts';
import { maskOf } from '../decompose/stack.ts';

/** Normalised Gaussian taps for offsets −h…h (h = ceil(3σ)); [1] for σ = 0. */
export function gaussianTaps(sigma: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  const h = Math.ceil(3 * sigma);
  const t = new Float64Array(2 * h + 1);
  for (let i = -h; i <= h; i++) t[i + h] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return t;
}

/**
 * Pass 1 (along x) of scan row iy: for each position p, wx[p] = Σ_d taps·use and the row of `dst`
 * at offset dstRow + ix holds Σ_d taps·use·v (the numerator, not yet divided).
 */
function rowPass(
  v: Float32Array,
  dst: Float32Array,
  dstRow: number,
  use: Uint8Array,
  wx: Float64Array,
  iy: number,
  nx: number,
  n: number,
  taps: Float64Array,
  acc: Float64Array,
): void {
  const h = (taps.length - 1) >> 1;
  for (let ix = 0; ix < nx; ix++) {
    const p = iy * nx + ix;
    acc.fill(0);
    let ws = 0;
    for (let d = Math.max(-h, -ix); d <= h && ix + d < nx; d++) {
      const w = taps[d + h] * use[p + d];
      if (w === 0) continue;
      ws += w;
      const o = (p + d) * n;
      for (let k = 0; k < n; k++) acc[k] += w * v[o + k];
    }
    wx[p] = ws;
    const o = (dstRow + ix) * n;
    for (let k = 0; k < n; k++) dst[o + k] = acc[k];
  }
}

/**
 * Pass 2 (along y) for scan row iy: every position with use[p] set gets Σ_d taps·num / Σ_d taps·wx
 * over rows iy−h … iy+h of the pass-1 numerators, row r of which sits at `num` row (r mod R)·nx.
 */
function columnPass(
  num: Float32Array,
  R: number,
  v: Float32Array,
  use: Uint8Array,
  wx: Float64Array,
  iy: number,
  ny: number,
  nx: number,
  n: number,
  taps: Float64Array,
  acc: Float64Array,
): void {
  const h = (taps.length - 1) >> 1;
  for (let ix = 0; ix < nx; ix++) {
    const p = iy * nx + ix;
    if (!use[p]) continue;
    acc.fill(0);
    let ws = 0;
    for (let d = Math.max(-h, -iy); d <= h && iy + d < ny; d++) {
      const t = taps[d + h];
      const w = t * wx[p + d * nx];
      if (w === 0) continue;
      ws += w;
      const o = (((iy + d) % R) * nx + ix) * n;
      for (let k = 0; k < n; k++) acc[k] += t * num[o + k];
    }
    const o = p * n;
    const scale = 1 / ws; // ws ≥ taps[h] > 0 when p itself is used
    for (let k = 0; k < n; k++) v[o + k] = acc[k] * scale;
  }
}

/**
 * Smooth `v` ([ny·nx, n], row-major, positions in scan order) in place over the scan with the
 * separable kernel `taps`, using only positions where `use` is 1; positions with use 0 keep their
 * values. Weighted mean = Σ w·use·v / Σ w·use: pass 1 (along x) sums numerator and weights, pass 2
 * (along y) sums those and divides — exact, as the product kernel and both sums factorise.
 * The passes run row by row, so pass 1 keeps only the 2h + 1 rows pass 2 still needs (a ring of
 * rows, not a second copy of the stack); row iy of v is overwritten only after every pass-1 row
 * reading it is done.
 */
export function smoothScan(
  v: Float32Array,
  ny: number,
  nx: number,
  n: number,
  use: Uint8Array,
  taps: Float64Array,
): void {
  if (taps.length === 1) return;
  const h = (taps.length - 1) >> 1;
  const R = Math.min(ny, 2 * h + 1);
  const num = new Float32Array(R * nx * n);
  const wx = new Float64Array(ny * nx);
  const acc = new Float64Array(n);
  let done = 0;
  for (let iy = 0; iy < ny; iy++) {
    for (; done < ny && done <= iy + h; done++)
      rowPass(v, num, (done % R) * nx, use, wx, done, nx, n, taps, acc);
    columnPass(num, R, v, use, wx, iy, ny, nx, n, taps, acc);
  }
}

export const mapSmooth = defineOp({
  name: 'map.smooth',
  version: 1,
  scope: 'dataset',
  title: 'Spatial smoothing (scan-position binning)',
  description:
    'Gaussian smoothing over the scan (σ in scan pixels) of a scalar map or of per-position curves (each sample alike): the weighted mean over neighbouring positions, as binning scan positions for ePDF does, without block artefacts. With `mask`, only in-mask positions are mixed (normalised convolution) and the others pass through unchanged; non-finite positions neither contribute nor change.',
  inputs: {
    input: { scope: 'any', description: 'a scalar map or per-position curves (e.g. pdf.G, r1.position)' },
    mask: {
      scope: 'dataset',
      optional: true,
      description: 'positions that are mixed [ny, nx] (nonzero = in), e.g. the glass',
    },
  },
  params: {
    sigma: {
      type: 'number',
      min: 0,
      default: 1,
      unit: 'scan px',
      description: 'Gaussian σ in scan positions (0 = unchanged); the kernel is cut at 3σ',
    },
    field: {
      type: 'string',
      optional: true,
      description: 'which field (default: the only one, else G, F, S, I)',
    },
  },
  outputs: {
    fields: {
      '<field>': {
        dims: ['…'],
        description: 'the smoothed field, same shape, unit and axis as the input field',
      },
    },
    axes: { '<x>': { description: "the input field's axis" } },
  },
  async run({ node, params: p, inputs, scan }) {
    const info = await inputInfo(inputs.input);
    const names = Object.keys(info.fields);
    const field =
      p.field ?? (names.length === 1 ? names[0] : ['G', 'F', 'S', 'I'].find((f) => names.includes(f)));
    if (!field || !names.includes(field))
      throw new ParamError(
        node,
        'field',
        `expected ${p.field ? `'${p.field}'` : 'a single field or one of G, F, S, I'}; the input has ${names.join(', ') || 'none'}`,
      );
    const total = scan.ny * scan.nx;
    // Per-position input: each chunk is copied into the output and dropped (never gathered whole).
    const width = (a: NDArray, count: number) => {
      if (a.data.length % count !== 0)
        throw new UserError(
          `node '${node}', input 'input': field '${field}' has shape [${a.shape}], not ${count} positions × samples`,
        );
      return a.data.length / count;
    };
    const n = width(
      info.fields[field],
      inputs.input.scope === 'dataset' ? total : inputs.input.chunks[0].count,
    );
    const mask = await maskOf(inputs.mask, node, total);
    const out = f32(n === 1 ? [scan.ny, scan.nx] : [scan.ny, scan.nx, n]);
    const v = out.data as Float32Array;
    const use = new Uint8Array(total);
    let used = 0;
    await forEachPositionBlock(inputs.input, field, total, width, (start, count, d) => {
      for (let c = 0; c < count; c++) {
        const q = start + c;
        let ok = !mask || !!mask[q];
        for (let i = 0; i < n; i++) {
          const x = d[c * n + i];
          v[q * n + i] = x;
          if (!Number.isFinite(x)) ok = false;
        }
        use[q] = ok ? 1 : 0;
        used += use[q];
      }
    });
    smoothScan(v, scan.ny, scan.nx, n, use, gaussianTaps(p.sigma));
    const axisOf = (info.meta?.axisOf ?? {}) as Record<string, string>;
    const xName = axisOf[field] ?? (n > 1 ? Object.keys(info.axes ?? {})[0] : undefined);
    const axis = xName ? info.axes?.[xName] : undefined;
    const meta: Record<string, Json> = {
      sigma: p.sigma,
      smoothed: used,
      positionsPerKernel: p.sigma > 0 ? Number((4 * Math.PI * p.sigma * p.sigma).toFixed(1)) : 1,
    };
    const units = (info.meta?.units ?? {}) as Record<string, Json>;
    if (units[field] !== undefined) meta.units = { [field]: units[field] };
    if (axis && n > 1) {
      if (axis.data.length !== n)
        throw new UserError(
          `node '${node}', input 'input': axis '${xName}' has ${axis.data.length} samples, the field ${n}`,
        );
      meta.axisOf = { [field]: xName! };
      return { fields: { [field]: out }, axes: { [xName!]: axis }, meta };
    }
    return { fields: { [field]: out }, meta };
  },
});
