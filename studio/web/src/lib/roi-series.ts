/**
 * An ROI's mean curve as plot series: the mean line and a filled band (mean ± 1σ over the ROI's
 * positions, or their min–max), appended after the series already in the plot.
 */
import type { Series } from '../components/Plot.tsx';
import type { RoiCurve } from '../state.ts';

export type BandMode = 'sigma' | 'minmax';

export const ROI_COLOUR = '#20c997';

export function withRoi(
  series: Series[],
  roi: RoiCurve | undefined,
  mode: BandMode,
  label: string,
): { series: Series[]; bands: { upper: number; lower: number; fill: string }[] } {
  if (!roi) return { series, bands: [] };
  const n = roi.mean.length;
  const up = new Float32Array(n);
  const lo = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    up[i] = mode === 'sigma' ? roi.mean[i] + roi.std[i] : roi.max[i];
    lo[i] = mode === 'sigma' ? roi.mean[i] - roi.std[i] : roi.min[i];
  }
  const k = series.length;
  const tag = mode === 'sigma' ? 'σ' : '';
  return {
    series: [
      ...series,
      { label, x: roi.x, y: roi.mean, colour: ROI_COLOUR, width: 1.5 },
      {
        label: mode === 'sigma' ? `+1${tag}` : 'max',
        x: roi.x,
        y: up,
        colour: 'rgba(32,201,151,0.45)',
        width: 0.5,
      },
      {
        label: mode === 'sigma' ? `−1${tag}` : 'min',
        x: roi.x,
        y: lo,
        colour: 'rgba(32,201,151,0.45)',
        width: 0.5,
      },
    ],
    bands: [{ upper: k + 1, lower: k + 2, fill: 'rgba(32,201,151,0.22)' }],
  };
}
