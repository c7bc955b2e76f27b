/**
 * The figure of a map.orientation `ipf` output: the inverse-pole-figure colour map (one cell per
 * scan position, black = no crystal) beside its colour key, the cubic standard triangle
 * 001–011–111 in stereographic projection, coloured by the same rule (nodes/crystal/ipf.ts).
 */
import path from 'node:path';
import type { Manifest } from '../engine/run-types.ts';
import { readNpy } from '../formats/npy.ts';
import { ipfColor } from '../nodes/crystal/ipf.ts';
import { inFundamentalZone, type LaueClass } from '../nodes/crystal/symmetry.ts';
import { addPngText, encodePng, pngDataUri, type RgbaImage } from '../viz/png.ts';
import { svgToPngBytes } from '../viz/raster.ts';
import { writeFileAtomic } from '../engine/write-atomic.ts';
import type { Figure } from './figures.ts';
import { captionOf } from './figures.ts';
import { nodeProvenance, pngTextFor } from './provenance.ts';
import { outputBase, type LoadedOutput } from './run-data.ts';

/** One cell × cell block of pixels per scan position (sharp edges: the SVG rasteriser smooths scaled images). */
function mapImage(rgb: ArrayLike<number>, ny: number, nx: number, cell: number): RgbaImage {
  const w = nx * cell;
  const data = new Uint8Array(ny * cell * w * 4);
  for (let py = 0; py < ny * cell; py++)
    for (let px = 0; px < w; px++) {
      const i = Math.floor(py / cell) * nx + Math.floor(px / cell);
      const o = 4 * (py * w + px);
      for (let k = 0; k < 3; k++) {
        const v = rgb[3 * i + k];
        data[o + k] = Number.isFinite(v) ? Math.round(255 * Math.max(0, Math.min(1, v))) : 0;
      }
      data[o + 3] = 255;
    }
  return { width: w, height: ny * cell, data };
}

/** The cubic standard triangle in stereographic projection (x right, y up), `size` px wide. */
function keyImage(
  size: number,
  laue: LaueClass,
): { img: RgbaImage; corner: (d: [number, number, number]) => [number, number] } {
  // Stereographic projection (dx, dy)/(1 + dz): [011] lands 0.414 along x, [111] at (0.366, 0.366).
  const scale = (size - 8) / 0.42;
  const h = Math.ceil(0.38 * scale) + 8;
  const data = new Uint8Array(size * h * 4);
  const rgb = [0, 0, 0];
  // Place the triangle with [001] at bottom-left, [011] along +x, [111] above: plot (y, x) of d.
  const toPx = (d: [number, number, number]): [number, number] => {
    const s = 1 / (1 + d[2]);
    return [4 + d[1] * s * scale, h - 4 - d[0] * s * scale];
  };
  for (let py = 0; py < h; py++)
    for (let px = 0; px < size; px++) {
      const u = (px - 4) / scale;
      const v = (h - 4 - py) / scale;
      // Inverse stereographic: (Y, X) = (u, v).
      const r2 = u * u + v * v;
      const d: [number, number, number] = [(2 * v) / (1 + r2), (2 * u) / (1 + r2), (1 - r2) / (1 + r2)];
      const o = 4 * (py * size + px);
      data[o + 3] = 255;
      if (!inFundamentalZone(laue === 'm-3' ? 'm-3m' : laue, d)) {
        data[o] = data[o + 1] = data[o + 2] = 255;
        continue;
      }
      ipfColor(d, laue, rgb);
      for (let k = 0; k < 3; k++) data[o + k] = Math.round(255 * rgb[k]);
    }
  return { img: { width: size, height: h, data }, corner: toPx };
}

export function ipfFigure(runDir: string, m: Manifest, o: LoadedOutput): Figure {
  const a = readNpy(o.path);
  const [ny, nx] = a.shape;
  const laue = ((m.nodes[o.out.node]?.params as { laue?: string } | undefined)?.laue ?? 'm-3m') as LaueClass;
  const cell = Math.max(1, Math.floor(420 / Math.max(nx, ny / 1.5)));
  const map = pngDataUri(encodePng(mapImage(a.data as ArrayLike<number>, ny, nx, cell)));
  const cubic = laue === 'm-3m' || laue === 'm-3';
  const key = cubic ? keyImage(160, laue) : null;
  const W = nx * cell + (key ? key.img.width + 40 : 0) + 20;
  const H = Math.max(ny * cell, key ? key.img.height + 40 : 0) + 40;
  const labels = key
    ? (
        [
          ['001', [0, 0, 1]],
          ['011', [0, Math.SQRT1_2, Math.SQRT1_2]],
          ['111', [1 / Math.sqrt(3), 1 / Math.sqrt(3), 1 / Math.sqrt(3)]],
        ] as const
      ).map(([t, d]) => {
        const [x, y] = key.corner(d as [number, number, number]);
        return `<text x="${(nx * cell + 30 + x).toFixed(1)}" y="${(40 + y + (t === '111' ? -6 : 14)).toFixed(1)}" font-size="11" font-family="sans-serif" text-anchor="middle">${t}</text>`;
      })
    : [];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="18" font-size="13" font-family="sans-serif">${o.out.node}: beam direction (IPF), black = no crystal</text>
<image x="10" y="28" width="${nx * cell}" height="${ny * cell}" href="${map}"/>
${key ? `<image x="${nx * cell + 30}" y="40" width="${key.img.width}" height="${key.img.height}" href="${pngDataUri(encodePng(key.img))}"/>` : `<text x="${nx * cell + 30}" y="60" font-size="11" font-family="sans-serif">Laue ${laue}: red = c axis, green→blue with azimuth</text>`}
${labels.join('\n')}
</svg>`;
  const file = `${outputBase(o.out)}.png`;
  const prov = nodeProvenance(m, o.out.node, o.out.field, file, 'figure', o.out);
  prov.figure = {
    kind: 'inverse pole figure map with colour key',
    laue,
    key: cubic ? 'red [001], green [011], blue [111]' : 'red c axis',
  };
  const out = addPngText(svgToPngBytes(svg, 1), pngTextFor(prov));
  writeFileAtomic(path.join(runDir, file), out);
  return {
    title: `${o.out.node}: orientation map (IPF colours) and key`,
    section: 'maps',
    file,
    png: out,
    caption: captionOf(prov),
    provenance: prov,
  };
}
