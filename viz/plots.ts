/**
 * Curve plots as Vega-Lite specs, rendered server-side to SVG with vega's headless View (no DOM,
 * no browser) and to PNG through resvg. One builder per kind of figure: curves at positions (overlay
 * or waterfall), a Gaussian fit with its components and residual, NMF components, line-cut profiles.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { FONT_FAMILY, svgToPngBytes } from './raster.ts';

/** A Vega-Lite top-level spec (kept loose: vega-lite's own types are very wide). */
export type VlSpec = Record<string, unknown>;

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

const WIDTH = 440;
const HEIGHT = 240;

const CONFIG = {
  font: FONT_FAMILY.split(',')[0].replace(/'/g, ''),
  background: 'white',
  view: { stroke: '#888' },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 240 },
  title: { fontSize: 13, anchor: 'start' },
  line: { strokeWidth: 1.4 },
};

/** Axis titles with the quantity's usual unit. */
export const AXIS_TITLES: Record<string, string> = {
  q: 'Q (Å⁻¹)',
  r: 'r (Å)',
  g: 'g = 1/d (Å⁻¹)',
};

/** Curve y titles by field name. */
export function yTitleFor(field: string, unit?: string): string {
  const base: Record<string, string> = {
    I: 'I(Q)',
    S: 'S(Q)',
    F: 'F(Q) (Å⁻¹)',
    G: 'G(r) (Å⁻²)',
    Iq: 'I(Q)',
    y: 'value',
  };
  const t = base[field] ?? field;
  return unit && !t.includes('(') ? `${t} (${unit})` : t;
}

function rows(series: Series[], offsetStep = 0): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  series.forEach((s, k) => {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const y = s.y[i];
      out.push({ x: s.x[i], y: Number.isFinite(y) ? y + k * offsetStep : null, series: s.label, order: k });
    }
  });
  return out;
}

/** Spread for a waterfall: a bit more than the typical range of one curve. */
export function waterfallStep(series: Series[]): number {
  const ranges = series.map((s) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < s.y.length; i++) {
      const v = s.y[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    return hi > lo ? hi - lo : 0;
  });
  ranges.sort((a, b) => a - b);
  return (ranges[Math.floor(ranges.length / 2)] || 1) * 0.6;
}

export interface CurvePlotOptions {
  series: Series[];
  xTitle: string;
  yTitle: string;
  title?: string;
  /** Offset successive curves (e.g. positions along a line cut) by this much; 'auto' picks one. */
  waterfall?: number | 'auto';
  width?: number;
  height?: number;
}

/** Curves such as I(Q), S(Q), F(Q), G(r) at chosen positions, overlaid or as a waterfall. */
export function curvePlotSpec(o: CurvePlotOptions): VlSpec {
  const step = o.waterfall === 'auto' ? waterfallStep(o.series) : (o.waterfall ?? 0);
  const many = o.series.length > 10;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: o.width ?? WIDTH,
    height: o.height ?? (step ? Math.max(HEIGHT, Math.min(600, 40 + 18 * o.series.length)) : HEIGHT),
    ...(o.title ? { title: o.title } : {}),
    data: { values: rows(o.series, step) },
    mark: { type: 'line', clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xTitle, scale: { zero: false, nice: false } },
      y: {
        field: 'y',
        type: 'quantitative',
        title: step ? `${o.yTitle} + offset` : o.yTitle,
        scale: { zero: false },
      },
      color: many
        ? {
            field: 'order',
            type: 'quantitative',
            title: 'position #',
            scale: { scheme: 'viridis' },
            legend: { orient: 'right' },
          }
        : {
            field: 'series',
            type: 'nominal',
            title: null,
            sort: o.series.map((s) => s.label),
            legend: { orient: 'right' },
          },
      detail: { field: 'series' },
      order: { field: 'x', type: 'quantitative' },
    },
  };
}

export interface GaussianFitParams {
  A: number[];
  c: number[];
  sigma: number[];
  a: number;
  a0: number;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** One Gaussian of area A: A/(√(2π)σ)·exp(−(x−c)²/(2σ²)). */
export function gaussian(x: number, A: number, c: number, s: number): number {
  const d = (x - c) / s;
  return ((A * INV_SQRT_2PI) / s) * Math.exp(-0.5 * d * d);
}

export function fitModel(x: number, p: GaussianFitParams): number {
  let v = p.a * x + p.a0;
  for (let k = 0; k < p.A.length; k++) v += gaussian(x, p.A[k], p.c[k], p.sigma[k]);
  return v;
}

export interface FitPlotOptions {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  params: GaussianFitParams;
  /** Fit window [r0, r1]; default the whole curve. */
  range?: [number, number];
  title?: string;
  xTitle?: string;
  yTitle?: string;
}

const COMPONENT_COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function fitColor(series: string, i: number): string {
  if (series === 'data') return '#222222';
  if (series === 'fit') return '#d62728';
  if (series === 'baseline') return '#999999';
  return COMPONENT_COLORS[(i - 2) % COMPONENT_COLORS.length];
}

/**
 * Data, total fit, each Gaussian on the baseline, the baseline, and (below, same x) the residual
 * data − fit: the figure that shows whether a first-shell fit is believable.
 */
export function fitPlotSpec(o: FitPlotOptions): VlSpec {
  const [r0, r1] = o.range ?? [o.x[0], o.x[o.x.length - 1]];
  const main: Record<string, unknown>[] = [];
  const resid: Record<string, unknown>[] = [];
  for (let i = 0; i < o.x.length; i++) {
    const x = o.x[i];
    if (x < r0 || x > r1) continue;
    const y = o.y[i];
    const fit = fitModel(x, o.params);
    const base = o.params.a * x + o.params.a0;
    main.push({ x, y: Number.isFinite(y) ? y : null, series: 'data' });
    main.push({ x, y: Number.isFinite(fit) ? fit : null, series: 'fit' });
    main.push({ x, y: base, series: 'baseline' });
    o.params.A.forEach((A, k) => {
      main.push({
        x,
        y: base + gaussian(x, A, o.params.c[k], o.params.sigma[k]),
        series: `Gaussian ${k + 1}`,
      });
    });
    resid.push({ x, y: Number.isFinite(y) && Number.isFinite(fit) ? y - fit : null });
  }
  const order = ['data', 'fit', ...o.params.A.map((_, k) => `Gaussian ${k + 1}`), 'baseline'];
  const xEnc = {
    field: 'x',
    type: 'quantitative',
    title: o.xTitle ?? AXIS_TITLES.r,
    scale: { zero: false, nice: false },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    ...(o.title ? { title: o.title } : {}),
    vconcat: [
      {
        width: WIDTH,
        height: HEIGHT,
        data: { values: main },
        mark: { type: 'line', clip: true },
        encoding: {
          x: { ...xEnc, title: null },
          y: { field: 'y', type: 'quantitative', title: o.yTitle ?? 'G(r) (Å⁻²)', scale: { zero: false } },
          color: {
            field: 'series',
            type: 'nominal',
            sort: order,
            title: null,
            scale: { domain: order, range: order.map(fitColor) },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            sort: order,
            title: null,
            scale: {
              domain: order,
              range: order.map((s) => (s === 'data' || s === 'fit' ? [1, 0] : [4, 3])),
            },
          },
          order: { field: 'x', type: 'quantitative' },
        },
      },
      {
        width: WIDTH,
        height: 70,
        data: { values: resid },
        layer: [
          { mark: { type: 'rule', color: '#aaa' }, encoding: { y: { datum: 0 } } },
          {
            mark: { type: 'line', color: '#555', clip: true },
            encoding: { x: xEnc, y: { field: 'y', type: 'quantitative', title: 'residual' } },
          },
        ],
      },
    ],
  };
}

/** NMF components [k, n] over an axis. */
export function componentsPlotSpec(
  components: ArrayLike<number>,
  k: number,
  axis: ArrayLike<number>,
  axisName: string,
  title?: string,
): VlSpec {
  const n = axis.length;
  const series: Series[] = [];
  for (let j = 0; j < k; j++) {
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = components[j * n + i];
    series.push({ label: `component ${j + 1}`, x: axis, y });
  }
  return curvePlotSpec({ series, xTitle: AXIS_TITLES[axisName] ?? axisName, yTitle: 'component', title });
}

/** Values of one or more maps along a line cut, against distance (nm, or positions). */
export function profilePlotSpec(
  distance: ArrayLike<number>,
  profiles: { label: string; values: ArrayLike<number> }[],
  xTitle: string,
  yTitle: string,
  title?: string,
): VlSpec {
  const spec = curvePlotSpec({
    series: profiles.map((p) => ({ label: p.label, x: distance, y: p.values })),
    xTitle,
    yTitle,
    title,
  });
  (spec as { mark: unknown }).mark = { type: 'line', point: { size: 14 }, clip: true };
  return spec;
}

/** Compile Vega-Lite and render to an SVG string, headless. */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG of a spec (SVG through resvg), at `zoom` × the SVG's size (2 for sharp figures). */
export async function renderPng(spec: VlSpec, zoom = 2): Promise<Buffer> {
  return svgToPngBytes(await renderSvg(spec), zoom);
}
