/**
 * Colour for maps and patterns, applied in the browser from typed arrays: the same tables and
 * limit rules as the engine's PNGs (viz/colormaps.ts), so a map looks the same in the report and
 * here, and a display change never goes to the server.
 */
import { colorLimits, colormapLut, COLORMAPS, type ColormapName } from '../../../../viz/colormaps.ts';

export { COLORMAPS, colormapLut, type ColormapName };

export interface Scale {
  colormap: ColormapName;
  lo: number;
  hi: number;
  log: boolean;
}

/** 1st–99th percentile limits of the finite values (of log10 of positive values when `log`). */
export function autoLimits(
  values: ArrayLike<number>,
  log: boolean,
  percentiles: [number, number] = [1, 99],
): [number, number] {
  if (!log) return colorLimits(sample(values), { percentiles });
  const v = sample(values);
  const logs = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) logs[i] = v[i] > 0 ? Math.log10(v[i]) : Number.NaN;
  const [a, b] = colorLimits(logs, { percentiles });
  return [10 ** a, 10 ** b];
}

/** At most ~50k values, evenly strided: limits of a 38k-position map or a 20k-pixel pattern stay instant. */
function sample(values: ArrayLike<number>): ArrayLike<number> {
  const n = values.length;
  if (n <= 50_000) return values;
  const step = Math.ceil(n / 50_000);
  const out = new Float32Array(Math.ceil(n / step));
  for (let i = 0, j = 0; i < n; i += step, j++) out[j] = values[i];
  return out;
}

/** RGBA pixels of a row-major array; NaN → a dim grey that reads as "no value" on the dark page. */
export function toImageData(values: ArrayLike<number>, width: number, height: number, s: Scale): ImageData {
  const img = new ImageData(width, height);
  const out = img.data;
  const lut = colormapLut(s.colormap);
  const log = s.log && s.lo > 0;
  const lo = log ? Math.log10(s.lo) : s.lo;
  const hi = log ? Math.log10(s.hi) : s.hi;
  const k = 256 / (hi - lo || 1e-12);
  for (let p = 0; p < width * height; p++) {
    let v = values[p];
    const o = 4 * p;
    if (log) v = v > 0 ? Math.log10(v) : lo;
    if (!Number.isFinite(v)) {
      out[o] = 58;
      out[o + 1] = 58;
      out[o + 2] = 64;
      out[o + 3] = 255;
      continue;
    }
    let i = Math.floor((v - lo) * k);
    i = i < 0 ? 0 : i > 255 ? 255 : i;
    out[o] = lut[3 * i];
    out[o + 1] = lut[3 * i + 1];
    out[o + 2] = lut[3 * i + 2];
    out[o + 3] = 255;
  }
  return img;
}

/** CSS gradient of a colormap for colourbars. */
export function cssGradient(name: ColormapName, direction = 'to right'): string {
  const lut = colormapLut(name);
  const stops: string[] = [];
  for (let i = 0; i <= 16; i++) {
    const j = Math.min(255, Math.round((i / 16) * 255));
    stops.push(`rgb(${lut[3 * j]},${lut[3 * j + 1]},${lut[3 * j + 2]}) ${((i / 16) * 100).toFixed(1)}%`);
  }
  return `linear-gradient(${direction}, ${stops.join(', ')})`;
}

export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** A short number for labels: 4 significant digits, no trailing zeros, exponent when needed. */
export function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'NaN';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 2).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(digits)));
}
