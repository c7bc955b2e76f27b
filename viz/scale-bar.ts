/** A scale bar in nm (or µm) from the scan step: a nice length about a fifth of the map width. */
import type { CellSize, ScanStep } from './map-panel.ts';
import { escapeXml } from './raster.ts';
import { formatLength, niceLength } from './ticks.ts';

export const SCALE_BAR_HEIGHT = 30;

export interface ScaleBar {
  /** Length in nm and in figure pixels. */
  nm: number;
  px: number;
  label: string;
}

export function scaleBarFor(nx: number, step: ScanStep, cell: CellSize): ScaleBar {
  const widthNm = nx * step.x;
  const nm = niceLength(widthNm * 0.25) || step.x;
  return { nm, px: (nm / step.x) * cell.cellW, label: formatLength(nm) };
}

/** SVG for the bar with its label to the right; (x, y) is the bar's top-left corner. */
export function scaleBarSvg(bar: ScaleBar | null, x: number, y: number, note?: string): string {
  if (!bar) {
    return `<text x="${x}" y="${y + 11}" font-size="11" fill="#666">${escapeXml(note ?? 'scan step unknown: no scale bar')}</text>`;
  }
  return (
    `<rect x="${x}" y="${y}" width="${bar.px.toFixed(2)}" height="5" fill="#111"/>` +
    `<text x="${(x + bar.px + 8).toFixed(2)}" y="${y + 7}" font-size="12" fill="#111">${escapeXml(bar.label)}</text>` +
    (note ? `<text x="${x}" y="${y + 22}" font-size="10" fill="#666">${escapeXml(note)}</text>` : '')
  );
}
