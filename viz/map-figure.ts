/**
 * A map figure a scientist can paste into a draft: the map with correct aspect, its colour bar
 * (name + unit), and a scale bar in nm from the scan step. Returns the image and where the map is,
 * so tests (and the explorer) can address scan positions in it.
 */
import { cellSize, mapPanel, type MapPanelSpec, type ScanStep } from './map-panel.ts';
import type { RgbaImage } from './png.ts';
import { renderFigure } from './figure.ts';
import { SCALE_BAR_HEIGHT, scaleBarFor, scaleBarSvg } from './scale-bar.ts';
import type { ColormapName } from './colormaps.ts';

export interface MapFigureOptions extends MapPanelSpec {
  step?: ScanStep | null;
  /** Pixels per scan position along x (integer); default fits about `target` px. */
  upscale?: number;
  target?: number;
}

export interface MapFigure {
  image: RgbaImage;
  /** Map rectangle in the image and the size of one scan position. */
  map: { x: number; y: number; w: number; h: number; cellW: number; cellH: number };
  limits: [number, number];
  colormap: ColormapName;
}

const MARGIN = 10;

export function renderMapFigure(opts: MapFigureOptions): MapFigure {
  const step = opts.step ?? null;
  const cell = cellSize(opts.ny, opts.nx, step, opts);
  const panel = mapPanel(opts, cell);
  const bar = step ? scaleBarFor(opts.nx, step, cell) : null;
  const width = panel.width + 2 * MARGIN;
  const height = panel.height + SCALE_BAR_HEIGHT + 2 * MARGIN;
  const ox = MARGIN;
  const oy = MARGIN;
  const note = step && step.x !== step.y ? `step ${step.y} × ${step.x} nm (y × x)` : undefined;
  const svg = panel.svg(ox, oy) + scaleBarSvg(bar, ox, oy + panel.map.y + panel.map.h + 10, note);
  const image = renderFigure(width, height, svg, panel.blits(ox, oy));
  return {
    image,
    map: { x: ox + panel.map.x, y: oy + panel.map.y, w: panel.map.w, h: panel.map.h, ...cell },
    limits: panel.limits,
    colormap: panel.colormap,
  };
}
