/**
 * The scale a map is drawn with: the page's own choice if any, else the node's `display`
 * (colormap, limits, percentiles, symmetric — the same rules as the report's PNGs), else viridis
 * (RdBu_r for signed quantities) over the 1st–99th percentile.
 */
import {
  colorLimits,
  isColormapName,
  suggestColormap,
  type ColormapName,
} from '../../../../viz/colormaps.ts';
import type { ArrayFrame, DisplayRule, DisplaySettings } from './api.ts';
import type { Scale } from './colour.ts';

const memo = new WeakMap<ArrayFrame, Scale>();

/** The default scale of a map, computed once per array (percentiles sort the values). */
export function defaultScale(frame: ArrayFrame, node: string, field: string, op?: string): Scale {
  let s = memo.get(frame);
  if (!s) memo.set(frame, (s = computeScale(frame, node, field, op)));
  return s;
}

function computeScale(frame: ArrayFrame, node: string, field: string, op?: string): Scale {
  const disp = (frame.head.display ?? {}) as DisplaySettings;
  const f: DisplayRule = disp.fields?.[field] ?? {};
  const pick = <K extends keyof DisplayRule>(k: K): DisplayRule[K] => (f[k] !== undefined ? f[k] : disp[k]);
  const cm = pick('colormap');
  const colormap: ColormapName =
    typeof cm === 'string' && isColormapName(cm) ? cm : suggestColormap({ node, field, op });
  const limits = f.limits ?? (f.percentiles ? undefined : disp.limits);
  const percentiles = f.percentiles ?? (f.limits ? undefined : disp.percentiles);
  const symmetric = pick('symmetric') ?? (colormap.startsWith('RdBu') && !limits);
  const [lo, hi] = colorLimits(frame.data, {
    limits,
    percentiles,
    centreOnZero: Boolean(symmetric) && !limits,
  });
  return { colormap, lo, hi, log: false };
}
