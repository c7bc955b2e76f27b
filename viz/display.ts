/**
 * How a map looks: a graph node's `display` settings (colormap, colour limits or the percentiles
 * they come from, symmetric about 0, title) turned into the style every map drawing uses — the
 * PNG per output, the overview, the report, the explorer and the TIFF display range. Display
 * settings are presentation only: they never enter a node key.
 */
import { colorLimits, isColormapName, isDiverging, suggestColormap, type ColormapName } from './colormaps.ts';

import type { DisplaySettings, NodeDisplay } from '../engine/display-settings.ts';

export type { DisplaySettings, NodeDisplay };

export const DEFAULT_PERCENTILES: [number, number] = [1, 99];

/** A field's settings: the node's, with the field's own on top (its limits or percentiles replace the node's both). */
export function displayFor(d: NodeDisplay | null | undefined, field: string): DisplaySettings {
  if (!d) return {};
  const { fields, ...node } = d;
  const own = fields?.[field] ?? {};
  const base: DisplaySettings = { ...node };
  if (own.limits || own.percentiles) {
    delete base.limits;
    delete base.percentiles;
  }
  return { ...base, ...own };
}

/** Everything needed to colour a map; see `mapStyleOf`. */
export interface MapStyleChoice {
  colormap: ColormapName;
  limits?: [number, number];
  percentiles: [number, number];
  centreOnZero: boolean;
  /** Title override from `label`. */
  label?: string;
  /** The settings as given in the graph (empty: all automatic). */
  settings: DisplaySettings;
}

/** Settings (already validated) + what the output is → the style; automatic choices fill the gaps. */
export function mapStyleOf(
  settings: DisplaySettings,
  hint: { node?: string; field?: string; op?: string },
): MapStyleChoice {
  const colormap =
    settings.colormap && isColormapName(settings.colormap) ? settings.colormap : suggestColormap(hint);
  const centreOnZero = settings.limits
    ? settings.symmetric === true
    : (settings.symmetric ?? isDiverging(colormap));
  return {
    colormap,
    ...(settings.limits ? { limits: [settings.limits[0], settings.limits[1]] as [number, number] } : {}),
    percentiles: settings.percentiles
      ? [settings.percentiles[0], settings.percentiles[1]]
      : DEFAULT_PERCENTILES,
    centreOnZero,
    ...(settings.label !== undefined ? { label: settings.label } : {}),
    settings,
  };
}

/** The colour limits a style gives these values (what the figure's colour bar shows). */
export function limitsOf(values: ArrayLike<number>, s: MapStyleChoice): [number, number] {
  return colorLimits(values, { limits: s.limits, percentiles: s.percentiles, centreOnZero: s.centreOnZero });
}

/** Where the limits came from, in words, e.g. "display.limits" or "percentiles 1–99, symmetric about 0". */
export function limitsSource(s: MapStyleChoice): string {
  const from = s.limits ? 'display.limits' : `percentiles ${s.percentiles[0]}–${s.percentiles[1]}`;
  return s.centreOnZero ? `${from}, symmetric about 0` : from;
}

/** What a figure's provenance and the manifest record about how a map was drawn. */
export function styleRecord(
  s: MapStyleChoice,
  limits: [number, number],
): {
  colormap: string;
  limits: [number, number];
  limitsFrom: string;
  symmetric: boolean;
  label?: string;
  display: DisplaySettings;
} {
  return {
    colormap: s.colormap,
    limits,
    limitsFrom: limitsSource(s),
    symmetric: s.centreOnZero,
    ...(s.label !== undefined ? { label: s.label } : {}),
    display: s.settings,
  };
}
