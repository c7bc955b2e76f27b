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
import { inputInfo } from '../../engine/inputs.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type Json } from '../../engine/types.ts';
import { maskOf } from '../decompose/stack.ts';

interface SmoothParams {
  sigma: number;
  field: string | null;
}

/** Normalised Gaussian taps for offsets −h…h (h = ceil(3σ)); [1] for σ = 0. */
export function gaussianTaps(sigma: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  const h = Math.ceil(3 * sigma);
  const t = new Float64Array(2 * h + 1);
  for (let i = -h; i <= h; i++) t[i + h] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return t;
}

/**
 * One 1-D pass of the separable kernel along lines of the scan: position i of line L is
 * L·lineStride + i·posStride. wOut = Σ_d taps·wIn; dst = Σ_d taps·wIn·src, or Σ_d taps·src when
 * `only` is given (src then already holds weighted sums) and only positions where only[p] is set
 * are written, as the weighted mean dst / wOut.
 */
function pass(src: Float32Array, dst: Float32Array, wIn: ArrayLike<number>, wOut: Float64Array, n: number, lines: number, len: number, lineStride: number, posStride: number, taps: Float64Array, only: Uint8Array | null, acc: Float64Array): void {
  const h = (taps.length - 1) >> 1;
  for (let L = 0; L < lines; L++) {
    for (let i = 0; i < len; i++) {
      const p = L * lineStride + i * posStride;
      if (only && !only[p]) continue;
      acc.fill(0);
      let ws = 0;
      for (let d = Math.max(-h, -i); d <= h && i + d < len; d++) {
        const q = p + d * posStride;
        const t = taps[d + h];
        const w = t * wIn[q];
        if (w === 0) continue;
        ws += w;
        const f = only ? t : w;
        const o = q * n;
        for (let k = 0; k < n; k++) acc[k] += f * src[o + k];
      }
      wOut[p] = ws;
      const o = p * n;
      const scale = only ? 1 / ws : 1; // ws ≥ taps[h] > 0 when p itself is used
      for (let k = 0; k < n; k++) dst[o + k] = acc[k] * scale;
    }
  }
}

/**
 * Smooth `v` ([ny·nx, n], row-major, positions in scan order) in place over the scan with the
 * separable kernel `taps`, using only positions where `use` is 1; positions with use 0 keep their
 * values. Weighted mean = Σ w·use·v / Σ w·use: pass 1 (along x) sums numerator and weights, pass 2
 * (along y) sums those and divides — exact, as the product kernel and both sums factorise.
 */
export function smoothScan(v: Float32Array, ny: number, nx: number, n: number, use: Uint8Array, taps: Float64Array): void {
  if (taps.length === 1) return;
  const total = ny * nx;
  const tmp = new Float32Array(total * n);
  const wx = new Float64Array(total);
  const acc = new Float64Array(n);
  pass(v, tmp, use, wx, n, ny, nx, nx, 1, taps, null, acc);
  pass(tmp, v, wx, new Float64Array(total), n, nx, ny, 1, nx, taps, use, acc);
}

export const mapSmooth = defineOp<SmoothParams>({
  name: 'map.smooth',
  version: 1,
  scope: 'dataset',
  title: 'Spatial smoothing (scan-position binning)',
  description:
    'Gaussian smoothing over the scan (σ in scan pixels) of a scalar map or of per-position curves (each sample alike): the weighted mean over neighbouring positions, as binning scan positions for ePDF does, without block artefacts. With `mask`, only in-mask positions are mixed (normalised convolution) and the others pass through unchanged; non-finite positions neither contribute nor change.',
  inputs: {
    input: { scope: 'any', description: 'a scalar map or per-position curves (e.g. pdf.G, r1.position)' },
    mask: { scope: 'dataset', optional: true, description: 'positions that are mixed [ny, nx] (nonzero = in), e.g. the glass' },
  },
  params: {
    sigma: { type: 'number', min: 0, default: 1, unit: 'scan px', description: 'Gaussian σ in scan positions (0 = unchanged); the kernel is cut at 3σ' },
    field: { type: 'string', optional: true, description: 'which field (default: the only one, else G, F, S, I)' },
  },
  outputs: {
    '<field>': { description: 'the smoothed field, same shape and axis as the input field' },
  },
  async run({ node, params: p, inputs, scan }) {
    const info = await inputInfo(inputs.input);
    const names = Object.keys(info.fields);
    const field = p.field ?? (names.length === 1 ? names[0] : ['G', 'F', 'S', 'I'].find((f) => names.includes(f)));
    if (!field || !names.includes(field)) throw new ParamError(node, 'field', `expected ${p.field ? `'${p.field}'` : 'a single field or one of G, F, S, I'}; the input has ${names.join(', ') || 'none'}`);
    const src = inputs.input.scope === 'dataset' ? inputs.input.value.fields[field] : await inputs.input.gather(field);
    const total = scan.ny * scan.nx;
    if (src.data.length % total !== 0) throw new UserError(`node '${node}', input 'input': field '${field}' has shape [${src.shape}], not ${total} positions × samples`);
    const n = src.data.length / total;
    const mask = await maskOf(inputs.mask, node, total);
    const out = f32(n === 1 ? [scan.ny, scan.nx] : [scan.ny, scan.nx, n]);
    const v = out.data as Float32Array;
    const use = new Uint8Array(total);
    let used = 0;
    for (let q = 0; q < total; q++) {
      let ok = !mask || !!mask[q];
      for (let i = 0; i < n; i++) {
        const x = src.data[q * n + i] as number;
        v[q * n + i] = x;
        if (!Number.isFinite(x)) ok = false;
      }
      use[q] = ok ? 1 : 0;
      used += use[q];
    }
    smoothScan(v, scan.ny, scan.nx, n, use, gaussianTaps(p.sigma));
    const axisOf = (info.meta?.axisOf ?? {}) as Record<string, string>;
    const xName = axisOf[field] ?? (n > 1 ? Object.keys(info.axes ?? {})[0] : undefined);
    const axis = xName ? info.axes?.[xName] : undefined;
    const meta: Record<string, Json> = { sigma: p.sigma, smoothed: used, positionsPerKernel: p.sigma > 0 ? Number((4 * Math.PI * p.sigma * p.sigma).toFixed(1)) : 1 };
    const units = (info.meta?.units ?? {}) as Record<string, Json>;
    if (units[field] !== undefined) meta.units = { [field]: units[field] };
    if (axis && n > 1) {
      if (axis.data.length !== n) throw new UserError(`node '${node}', input 'input': axis '${xName}' has ${axis.data.length} samples, the field ${n}`);
      meta.axisOf = { [field]: xName! };
      return { fields: { [field]: out }, axes: { [xName!]: axis }, meta };
    }
    return { fields: { [field]: out }, meta };
  },
});
