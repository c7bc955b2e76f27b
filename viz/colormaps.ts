/**
 * Colormaps as 256-entry RGB lookup tables, robust colour limits, and value → RGBA mapping.
 * Perceptual maps (viridis default, magma, cividis), gray, and the diverging ColorBrewer RdBu
 * (centred on 0) for signed quantities such as α, Pearson r and difference maps.
 */
import { CIVIDIS, MAGMA, VIRIDIS } from './colormap-tables.ts';

export const COLORMAPS = ['viridis', 'magma', 'cividis', 'gray', 'RdBu', 'RdBu_r'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

/** ColorBrewer RdBu, 11 classes, red (low) → blue (high), as matplotlib interpolates it. */
const RDBU_ANCHORS = '67001fb2182bd6604df4a582fddbc7f7f7f7d1e5f092c5de4393c32166ac053061';

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Linear interpolation of evenly spaced anchors into a 256-entry table. */
function interpolateAnchors(anchors: Uint8Array): Uint8Array {
  const k = anchors.length / 3;
  const out = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (k - 1);
    const j = Math.min(k - 2, Math.floor(t));
    const f = t - j;
    for (let c = 0; c < 3; c++)
      out[3 * i + c] = Math.round(anchors[3 * j + c] * (1 - f) + anchors[3 * (j + 1) + c] * f);
  }
  return out;
}

function reversed(lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(lut.length);
  for (let i = 0; i < 256; i++) out.set(lut.subarray(3 * (255 - i), 3 * (255 - i) + 3), 3 * i);
  return out;
}

const cache = new Map<ColormapName, Uint8Array>();

/** The 256 × RGB table of a colormap (shared; do not modify). */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = cache.get(name);
  if (lut) return lut;
  switch (name) {
    case 'viridis':
      lut = fromHex(VIRIDIS);
      break;
    case 'magma':
      lut = fromHex(MAGMA);
      break;
    case 'cividis':
      lut = fromHex(CIVIDIS);
      break;
    case 'gray':
      lut = new Uint8Array(768);
      for (let i = 0; i < 256; i++) lut[3 * i] = lut[3 * i + 1] = lut[3 * i + 2] = i;
      break;
    case 'RdBu':
      lut = interpolateAnchors(fromHex(RDBU_ANCHORS));
      break;
    case 'RdBu_r':
      lut = reversed(colormapLut('RdBu'));
      break;
    default:
      throw new Error(`unknown colormap '${name as string}' (expected one of ${COLORMAPS.join(', ')})`);
  }
  cache.set(name, lut);
  return lut;
}

export function isColormapName(s: string): s is ColormapName {
  return (COLORMAPS as readonly string[]).includes(s);
}

export function isDiverging(name: ColormapName): boolean {
  return name === 'RdBu' || name === 'RdBu_r';
}

/** The q-th percentile (0–100) of the finite values, linear interpolation between order statistics. */
export function percentile(values: ArrayLike<number>, q: number): number {
  return percentiles(values, [q])[0];
}

export function percentiles(values: ArrayLike<number>, qs: number[]): number[] {
  const finite = finiteSorted(values);
  return qs.map((q) => quantileSorted(finite, q));
}

function finiteSorted(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  const out = new Float64Array(n);
  n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[n++] = values[i];
  return out.sort();
}

function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const t = (Math.min(100, Math.max(0, q)) / 100) * (sorted.length - 1);
  const i = Math.floor(t);
  const f = t - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

export interface LimitOptions {
  /** Explicit limits win over percentiles. */
  limits?: [number, number];
  /** Default [1, 99]. */
  percentiles?: [number, number];
  /** Symmetric about 0: ±max(|lo|, |hi|). */
  centreOnZero?: boolean;
}

/**
 * Colour limits: the given ones, or the 1st–99th percentile of the finite values (robust to a few
 * hot pixels). Degenerate ranges are widened so the mapping stays defined.
 */
export function colorLimits(values: ArrayLike<number>, opts: LimitOptions = {}): [number, number] {
  let lo: number;
  let hi: number;
  if (opts.limits) [lo, hi] = opts.limits;
  else [lo, hi] = percentiles(values, opts.percentiles ?? [1, 99]);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return opts.centreOnZero ? [-1, 1] : [0, 1];
  if (opts.centreOnZero) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return [-m, m];
  }
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const d = Math.abs(lo) * 1e-6 || 1e-6;
    return [lo - d, hi + d];
  }
  return [lo, hi];
}

/** Table index of a value: matplotlib's convention, ⌊(v − lo)/(hi − lo) · 256⌋ clipped to 0…255. */
export function colorIndex(v: number, lo: number, hi: number): number {
  const i = Math.floor(((v - lo) / (hi - lo)) * 256);
  return i < 0 ? 0 : i > 255 ? 255 : i;
}

export type NanStyle = 'transparent' | 'gray';
export const NAN_GRAY: [number, number, number] = [200, 200, 200];

/** Map values (row-major) to RGBA. Non-finite values (NaN = masked / failed) → transparent or gray. */
export function applyColormap(
  values: ArrayLike<number>,
  name: ColormapName,
  lo: number,
  hi: number,
  nan: NanStyle = 'gray',
): Uint8Array {
  const lut = colormapLut(name);
  const out = new Uint8Array(values.length * 4);
  for (let p = 0; p < values.length; p++) {
    const v = values[p];
    const o = 4 * p;
    if (!Number.isFinite(v)) {
      if (nan === 'gray') {
        out[o] = NAN_GRAY[0];
        out[o + 1] = NAN_GRAY[1];
        out[o + 2] = NAN_GRAY[2];
        out[o + 3] = 255;
      }
      continue;
    }
    const i = colorIndex(v, lo, hi);
    out[o] = lut[3 * i];
    out[o + 1] = lut[3 * i + 1];
    out[o + 2] = lut[3 * i + 2];
    out[o + 3] = 255;
  }
  return out;
}

/** A name or unit that suggests a signed quantity best shown on a diverging map centred on 0. */
export function suggestColormap(hint: { node?: string; field?: string; op?: string }): ColormapName {
  const text = `${hint.node ?? ''} ${hint.field ?? ''} ${hint.op ?? ''}`.toLowerCase();
  if (/\b(alpha|α|pearson|diff|difference|delta|corr)|map\.pearson|qoi\.sro|sro/.test(text)) return 'RdBu_r';
  return 'viridis';
}
