/**
 * A line plot (uPlot: fast canvas plotting of thousands of points, dark-themed here) with axis
 * titles and units, a legend, and an optional drag-to-select span on x reported to the caller.
 * Bands fill between two series (a spread). Series on other x grids are interpolated onto the first series' grid for display only.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  colour: string;
  dash?: number[];
  width?: number;
}

export interface PlotProps {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width: number;
  height: number;
  testid?: string;
  logY?: boolean;
  onSpan?: (x0: number, x1: number) => void;
  /** Filled bands between two series (indices into `series`), e.g. an ROI's mean ± σ. */
  bands?: { upper: number; lower: number; fill: string }[];
}

const AXIS = {
  stroke: '#aab2c5',
  grid: { stroke: 'rgba(255,255,255,0.07)', width: 1 },
  ticks: { stroke: 'rgba(255,255,255,0.2)', width: 1 },
  font: '11px "DejaVu Sans", sans-serif',
  labelFont: '12px "DejaVu Sans", sans-serif',
};

export function Plot(p: PlotProps) {
  const el = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const spanCb = useRef(p.onSpan);
  spanCb.current = p.onSpan;
  const sig = `${p.series.map((s) => s.label + s.colour).join('|')}|${p.width}|${p.height}|${p.logY}|${p.xLabel}|${p.yLabel}|${(p.bands ?? []).map((b) => `${b.upper},${b.lower},${b.fill}`).join(';')}`;

  useEffect(() => {
    const opts: uPlot.Options = {
      width: p.width,
      height: p.height,
      title: p.title,
      legend: { show: true, live: false },
      bands: (p.bands ?? []).map((b) => ({
        series: [b.upper + 1, b.lower + 1] as [number, number],
        fill: b.fill,
      })),
      cursor: { drag: { x: Boolean(p.onSpan), y: false, setScale: false } },
      scales: { x: { time: false }, y: p.logY ? { distr: 3 } : {} },
      axes: [
        { ...AXIS, label: p.xLabel, size: 30, labelSize: 16, labelGap: 0 },
        { ...AXIS, label: p.yLabel, size: 50, labelSize: 16, labelGap: 0 },
      ],
      series: [
        { label: p.xLabel, value: (_u: uPlot, v: number | null) => (v == null ? '' : v.toPrecision(4)) },
        ...p.series.map((s) => ({
          label: s.label,
          stroke: s.colour,
          width: s.width ?? 1.5,
          dash: s.dash,
          points: { show: false },
          spanGaps: false,
        })),
      ],
      hooks: {
        setSelect: [
          (u: uPlot) => {
            if (u.select.width < 3) return;
            const x0 = u.posToVal(u.select.left, 'x');
            const x1 = u.posToVal(u.select.left + u.select.width, 'x');
            spanCb.current?.(Math.min(x0, x1), Math.max(x0, x1));
          },
        ],
      },
    };
    plot.current = new uPlot(opts, toData(p.series, p.logY), el.current!);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [sig]);

  useEffect(() => {
    plot.current?.setData(toData(p.series, p.logY));
  }, [p.series]);

  return <div class="plot" ref={el} data-testid={p.testid} />;
}

function toData(series: Series[], logY?: boolean): uPlot.AlignedData {
  if (!series.length) return [[]];
  const x = Array.from(series[0].x);
  const clean = (v: number) => (Number.isFinite(v) && (!logY || v > 0) ? v : null);
  return [
    x,
    ...series.map((s) => (sameGrid(s.x, x) ? Array.from(s.y, clean) : interp(s.x, s.y, x).map(clean))),
  ] as uPlot.AlignedData;
}

function sameGrid(a: ArrayLike<number>, b: number[]) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < b.length; i += Math.max(1, b.length >> 3))
    if (Math.abs(a[i] - b[i]) > 1e-9 * (1 + Math.abs(b[i]))) return false;
  return Math.abs(a[a.length - 1] - b[b.length - 1]) <= 1e-9 * (1 + Math.abs(b[b.length - 1]));
}

/** Linear interpolation of (xs, ys), xs ascending, at x; NaN outside. */
function interp(xs: ArrayLike<number>, ys: ArrayLike<number>, x: number[]): number[] {
  const out = new Array<number>(x.length);
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    while (j < xs.length - 2 && xs[j + 1] < v) j++;
    if (v < xs[0] || v > xs[xs.length - 1]) out[i] = Number.NaN;
    else {
      const t = (v - xs[j]) / (xs[j + 1] - xs[j] || 1);
      out[i] = ys[j] + t * (ys[j + 1] - ys[j]);
    }
  }
  return out;
}
