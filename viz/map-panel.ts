/**
 * One map panel: title, the map (each scan position a cellW × cellH block of exact colormap
 * pixels), a frame, and a colour bar with ticks and the quantity's name and unit. Panels are
 * placed by map-figure (one panel + scale bar) and composite (a grid with a shared scale bar).
 */
import {
  applyColormap,
  colorLimits,
  colormapLut,
  isDiverging,
  type ColormapName,
  type NanStyle,
} from './colormaps.ts';
import type { RgbaImage } from './png.ts';
import { escapeXml, textWidth, upscale } from './raster.ts';
import { formatNumber, formatTick, niceStep, niceTicks } from './ticks.ts';

export interface MapStyle {
  colormap?: ColormapName;
  /** Explicit colour limits; default robust 1st–99th percentile. */
  limits?: [number, number];
  percentiles?: [number, number];
  /** Symmetric limits about 0 (default for diverging colormaps). */
  centreOnZero?: boolean;
  nan?: NanStyle;
}

export interface MapPanelSpec extends MapStyle {
  /** Row-major [ny, nx]. */
  values: ArrayLike<number>;
  ny: number;
  nx: number;
  title?: string;
  /** Quantity name for the colour bar, e.g. "r₁max". */
  label?: string;
  unit?: string;
}

/** Scan step in nm along y (rows) and x (columns). */
export interface ScanStep {
  y: number;
  x: number;
}

/** Accept `scanStepNm` as a number, [y, x], or anything else (unknown → null). */
export function parseScanStep(v: unknown): ScanStep | null {
  if (typeof v === 'number' && v > 0 && Number.isFinite(v)) return { y: v, x: v };
  if (
    Array.isArray(v) &&
    v.length === 2 &&
    v.every((a) => typeof a === 'number' && a > 0 && Number.isFinite(a))
  ) {
    return { y: v[0] as number, x: v[1] as number };
  }
  return null;
}

export interface CellSize {
  cellW: number;
  cellH: number;
}

/**
 * Display size of one scan position: `upscale` px wide (or whatever makes the map about `target`
 * px on its long side), and tall in proportion to the y/x step, so non-square steps keep the
 * specimen's true aspect.
 */
export function cellSize(
  ny: number,
  nx: number,
  step: ScanStep | null,
  opts: { upscale?: number; target?: number } = {},
): CellSize {
  const aspect = step ? step.y / step.x : 1;
  const target = opts.target ?? 360;
  const cellW = Math.max(1, Math.round(opts.upscale ?? Math.floor(target / Math.max(nx, ny * aspect))));
  const cellH = Math.max(1, Math.round(cellW * aspect));
  return { cellW, cellH };
}

export interface Blit {
  x: number;
  y: number;
  image: RgbaImage;
}

export interface MapPanel {
  width: number;
  height: number;
  /** The map's rectangle inside the panel. */
  map: { x: number; y: number; w: number; h: number };
  limits: [number, number];
  colormap: ColormapName;
  /** SVG elements placed with the panel's origin at (ox, oy). */
  svg(ox: number, oy: number): string;
  blits(ox: number, oy: number): Blit[];
}

const TITLE_SIZE = 13;
const TICK_SIZE = 11;
const LABEL_SIZE = 12;
const BAR_W = 14;

export function mapPanel(spec: MapPanelSpec, cell: CellSize): MapPanel {
  const colormap = spec.colormap ?? 'viridis';
  const centre = spec.centreOnZero ?? isDiverging(colormap);
  const limits = colorLimits(spec.values, {
    limits: spec.limits,
    percentiles: spec.percentiles,
    centreOnZero: centre,
  });
  const [lo, hi] = limits;
  // Finite values: any at all, and all one value (a constant map gets one tick, however its limits were widened).
  let first = NaN;
  let allEqual = true;
  for (let i = 0; i < spec.values.length; i++) {
    const v = spec.values[i];
    if (!Number.isFinite(v)) continue;
    if (Number.isNaN(first)) first = v;
    else if (v !== first) {
      allEqual = false;
      break;
    }
  }
  const anyFinite = !Number.isNaN(first);
  if (!anyFinite) spec = { ...spec, title: `${spec.title ?? ''}${spec.title ? ' ' : ''}(no finite values)` };
  const mapW = spec.nx * cell.cellW;
  const mapH = spec.ny * cell.cellH;
  const titleH = spec.title ? TITLE_SIZE + 8 : 0;
  const barH = Math.max(mapH, 80);
  // A constant map (limits widened around one value, e.g. ±1e-6 about 0) gets a single tick at that value.
  const constant =
    (anyFinite && allEqual && !spec.limits) || hi - lo <= Math.max(Math.abs(lo), Math.abs(hi)) * 1e-5;
  const tickCount = Math.max(2, Math.min(6, Math.floor(barH / 28)));
  const ticks = constant ? [anyFinite && allEqual ? first : (lo + hi) / 2] : niceTicks(lo, hi, tickCount);
  const step = constant ? 0 : niceStep(lo, hi, tickCount);
  const tickLabels = ticks.map((t) => (constant ? `${formatNumber(t, 4)} (constant)` : formatTick(t, step)));
  const tickW = Math.max(...tickLabels.map((s) => textWidth(s, TICK_SIZE)), 10);
  const barX = mapW + 12;
  const labelText = [spec.label, spec.unit ? `(${spec.unit})` : ''].filter(Boolean).join(' ');
  const labelX = barX + BAR_W + 6 + tickW + 8 + LABEL_SIZE;
  const width = Math.ceil(labelX + (labelText ? 4 : 0));
  const titleW = spec.title ? textWidth(spec.title, TITLE_SIZE) : 0;
  const panelW = Math.max(width, Math.ceil(titleW) + 2);
  const height = titleH + Math.max(mapH, barH);
  const mapY = titleH;

  const colored = applyColormap(spec.values, colormap, lo, hi, spec.nan ?? 'gray');
  const mapImage = upscale({ width: spec.nx, height: spec.ny, data: colored }, cell.cellW, cell.cellH);
  const bar = colorBarImage(colormap, BAR_W, barH);
  const yOf = (t: number) => mapY + barH * (1 - (t - lo) / (hi - lo));

  return {
    width: panelW,
    height,
    map: { x: 0, y: mapY, w: mapW, h: mapH },
    limits,
    colormap,
    svg(ox, oy) {
      const parts: string[] = [];
      if (spec.title) {
        parts.push(
          `<text x="${ox}" y="${oy + TITLE_SIZE}" font-size="${TITLE_SIZE}" font-weight="bold" fill="#222">${escapeXml(spec.title)}</text>`,
        );
      }
      parts.push(
        `<rect x="${ox - 0.5}" y="${oy + mapY - 0.5}" width="${mapW + 1}" height="${mapH + 1}" fill="none" stroke="#444" stroke-width="1"/>`,
      );
      const bx = ox + barX;
      parts.push(
        `<rect x="${bx - 0.5}" y="${oy + mapY - 0.5}" width="${BAR_W + 1}" height="${barH + 1}" fill="none" stroke="#444" stroke-width="1"/>`,
      );
      ticks.forEach((t, i) => {
        const y = oy + yOf(t);
        parts.push(
          `<line x1="${bx + BAR_W}" x2="${bx + BAR_W + 4}" y1="${y}" y2="${y}" stroke="#444" stroke-width="1"/>`,
        );
        parts.push(
          `<text x="${bx + BAR_W + 6}" y="${y + TICK_SIZE * 0.36}" font-size="${TICK_SIZE}" fill="#222">${escapeXml(tickLabels[i])}</text>`,
        );
      });
      if (labelText) {
        const cx = ox + labelX;
        const cy = oy + mapY + barH / 2;
        parts.push(
          `<text x="${cx}" y="${cy}" font-size="${LABEL_SIZE}" fill="#222" text-anchor="middle" transform="rotate(-90 ${cx} ${cy})">${escapeXml(labelText)}</text>`,
        );
      }
      return parts.join('');
    },
    blits(ox, oy) {
      return [
        { x: ox, y: oy + mapY, image: mapImage },
        { x: ox + barX, y: oy + mapY, image: bar },
      ];
    },
  };
}

/** A vertical colour bar, high values on top; row r shows table entry ⌊(1 − (r + ½)/h)·256⌋. */
export function colorBarImage(name: ColormapName, w: number, h: number): RgbaImage {
  const lut = colormapLut(name);
  const data = new Uint8Array(w * h * 4);
  for (let r = 0; r < h; r++) {
    const i = Math.min(255, Math.max(0, Math.floor((1 - (r + 0.5) / h) * 256)));
    for (let c = 0; c < w; c++) {
      const o = (r * w + c) * 4;
      data[o] = lut[3 * i];
      data[o + 1] = lut[3 * i + 1];
      data[o + 2] = lut[3 * i + 2];
      data[o + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}
