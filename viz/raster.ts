/**
 * Figures as "SVG for the typography, exact pixels for the data": the text, axes and frames are SVG
 * rasterised with resvg (a maintained Rust renderer shipped as prebuilt npm binaries, so no browser
 * and good anti-aliased text), and the data (map cells, colour-bar gradient) is copied in afterwards
 * pixel for pixel, so a map pixel in the PNG is exactly the colormap entry of its value.
 */
import fs from 'node:fs';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import type { RgbaImage } from './png.ts';

export const FONT_FAMILY = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
];

let fontOptions: ResvgRenderOptions['font'] | undefined;

/** Known font files when present (fast); otherwise let resvg scan the system fonts. */
function fonts(): ResvgRenderOptions['font'] {
  if (!fontOptions) {
    // One family (regular + bold) is all the figures use; loading fewer files keeps each render fast.
    const files = FONT_CANDIDATES.filter((f) => fs.existsSync(f));
    const family = files[0]?.includes('DejaVu') ? 'DejaVu' : 'Liberation';
    files.splice(0, files.length, ...files.filter((f) => f.includes(family)));
    fontOptions = files.length
      ? {
          loadSystemFonts: false,
          fontFiles: files,
          defaultFontFamily: files[0].includes('DejaVu') ? 'DejaVu Sans' : 'Liberation Sans',
        }
      : { loadSystemFonts: true };
  }
  return fontOptions;
}

/** Rasterise an SVG document (at its own size, or zoomed) to RGBA. */
export function rasterizeSvg(svg: string, zoom = 1): RgbaImage {
  const r = new Resvg(svg, {
    font: fonts(),
    fitTo: zoom === 1 ? { mode: 'original' } : { mode: 'zoom', value: zoom },
    logLevel: 'off',
  });
  const img = r.render();
  return { width: img.width, height: img.height, data: new Uint8Array(img.pixels) };
}

/** PNG bytes of an SVG via resvg (for plots, where no pixel is data). */
export function svgToPngBytes(svg: string, zoom = 1): Buffer {
  const r = new Resvg(svg, {
    font: fonts(),
    fitTo: zoom === 1 ? { mode: 'original' } : { mode: 'zoom', value: zoom },
    logLevel: 'off',
  });
  return Buffer.from(r.render().asPng());
}

/** Copy src into dst at (x, y), replacing pixels (including alpha). */
export function blit(dst: RgbaImage, src: RgbaImage, x: number, y: number): void {
  for (let r = 0; r < src.height; r++) {
    const ty = y + r;
    if (ty < 0 || ty >= dst.height) continue;
    const x0 = Math.max(0, x);
    const x1 = Math.min(dst.width, x + src.width);
    if (x1 <= x0) continue;
    const s = (r * src.width + (x0 - x)) * 4;
    dst.data.set(src.data.subarray(s, s + (x1 - x0) * 4), (ty * dst.width + x0) * 4);
  }
}

/** Nearest-neighbour upscale: every source pixel becomes a cellW × cellH block. */
export function upscale(src: RgbaImage, cellW: number, cellH: number): RgbaImage {
  // one pixel per scan position (paper-size maps in the report): a copy, without a view per pixel
  if (cellW === 1 && cellH === 1) return { width: src.width, height: src.height, data: src.data.slice() };
  const width = src.width * cellW;
  const height = src.height * cellH;
  const data = new Uint8Array(width * height * 4);
  const row = new Uint8Array(width * 4);
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < src.width; x++) {
      const s = (y * src.width + x) * 4;
      for (let k = 0; k < cellW; k++) row.set(src.data.subarray(s, s + 4), (x * cellW + k) * 4);
    }
    for (let k = 0; k < cellH; k++) data.set(row, (y * cellH + k) * width * 4);
  }
  return { width, height, data };
}

/** An SVG document with a white background and the report's font. */
export function svgDocument(width: number, height: number, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${FONT_FAMILY}"><rect width="100%" height="100%" fill="#ffffff"/>${body}</svg>`
  );
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rough width of a string in DejaVu Sans at a font size, for layout (no font metrics needed). */
export function textWidth(s: string, fontSize: number): number {
  let w = 0;
  for (const ch of s)
    w += /[il.,:;'|!]/.test(ch) ? 0.32 : /[mwMW]/.test(ch) ? 0.9 : /[A-Z]/.test(ch) ? 0.7 : 0.6;
  return w * fontSize;
}
