/** Render SVG + exact-pixel blits into one RGBA image (see raster.ts for why both). */
import type { Blit } from './map-panel.ts';
import type { RgbaImage } from './png.ts';
import { blit, rasterizeSvg, svgDocument } from './raster.ts';

export function renderFigure(width: number, height: number, svgBody: string, blits: Blit[]): RgbaImage {
  const img = rasterizeSvg(svgDocument(width, height, svgBody));
  for (const b of blits) blit(img, b.image, b.x, b.y);
  return img;
}
