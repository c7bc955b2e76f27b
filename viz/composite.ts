/**
 * A grid of maps of the same scan (one panel per quantity, each with its own colour bar) and one
 * shared scale bar: every panel uses the same cell size, so the bar is valid for all of them.
 */
import { cellSize, mapPanel, type Blit, type MapPanelSpec, type ScanStep } from './map-panel.ts';
import type { RgbaImage } from './png.ts';
import { renderFigure } from './figure.ts';
import { SCALE_BAR_HEIGHT, scaleBarFor, scaleBarSvg } from './scale-bar.ts';
import { escapeXml } from './raster.ts';

export interface CompositeOptions {
  panels: MapPanelSpec[];
  step?: ScanStep | null;
  columns?: number;
  upscale?: number;
  /** Long side of each map in px when no upscale is given (default 220). */
  target?: number;
  title?: string;
}

const MARGIN = 10;
const GAP = 18;

export function renderComposite(opts: CompositeOptions): RgbaImage {
  if (opts.panels.length === 0) throw new Error('composite needs at least one map');
  const { ny, nx } = opts.panels[0];
  if (opts.panels.some((p) => p.ny !== ny || p.nx !== nx))
    throw new Error('composite maps must share one scan shape');
  const step = opts.step ?? null;
  const cell = cellSize(ny, nx, step, { upscale: opts.upscale, target: opts.target ?? 220 });
  const panels = opts.panels.map((p) => mapPanel(p, cell));
  const cols = Math.max(1, Math.min(opts.columns ?? Math.ceil(Math.sqrt(panels.length)), panels.length));
  const rows = Math.ceil(panels.length / cols);
  const colW = Math.max(...panels.map((p) => p.width));
  const rowH = Math.max(...panels.map((p) => p.height));
  const titleH = opts.title ? 22 : 0;
  const width = 2 * MARGIN + cols * colW + (cols - 1) * GAP;
  const height = 2 * MARGIN + titleH + rows * rowH + (rows - 1) * GAP + SCALE_BAR_HEIGHT;
  const svg: string[] = [];
  const blits: Blit[] = [];
  if (opts.title)
    svg.push(
      `<text x="${MARGIN}" y="${MARGIN + 14}" font-size="15" font-weight="bold" fill="#111">${escapeXml(opts.title)}</text>`,
    );
  panels.forEach((p, i) => {
    const ox = MARGIN + (i % cols) * (colW + GAP);
    const oy = MARGIN + titleH + Math.floor(i / cols) * (rowH + GAP);
    svg.push(p.svg(ox, oy));
    blits.push(...p.blits(ox, oy));
  });
  const bar = step ? scaleBarFor(nx, step, cell) : null;
  svg.push(
    scaleBarSvg(
      bar,
      MARGIN,
      height - MARGIN - SCALE_BAR_HEIGHT + 10,
      bar ? 'scale bar applies to every panel' : undefined,
    ),
  );
  return renderFigure(width, height, svg.join(''), blits);
}
