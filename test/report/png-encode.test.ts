/**
 * The PNG encoder writes exactly the bytes pngjs writes (so figures, and the figure cache's
 * entries, did not change when it replaced pngjs's encoder), on images that make every filter
 * type win some row, on edge sizes, and on a figure the report draws.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { encodeRgbaPng, filterRows } from '../../viz/png-encode.ts';
import { decodePng } from '../../viz/png.ts';
import { renderMapFigure } from '../../viz/map-figure.ts';

function pngjsBytes(width: number, height: number, rgba: Uint8Array): Buffer {
  const png = new PNG({ width, height, colorType: 6, inputColorType: 6, bitDepth: 8 });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png, { colorType: 6 });
}

/** A deterministic pseudo-random generator (xorshift), so a failure can be reproduced. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Rows of different kinds: noise, zero (after noise: no filter beats none), horizontal and vertical ramps, a diagonal, copies of the row above. */
function mixedImage(width: number, height: number, seed: number): Uint8Array {
  const r = rng(seed);
  const px = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const kind = y % 6;
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 4; c++) {
        const i = (y * width + x) * 4 + c;
        px[i] =
          kind === 0
            ? Math.floor(r() * 256)
            : kind === 1
              ? 0
              : kind === 2
                ? (x * 3 + c * 40) & 255
                : kind === 3
                  ? (y * 7 + c) & 255
                  : kind === 4
                    ? (x + y * 2 + c * 9) & 255
                    : y > 0
                      ? px[i - width * 4]
                      : 0;
      }
  }
  return px;
}

describe('encodeRgbaPng', () => {
  it('writes the bytes pngjs writes, every filter type in use', () => {
    const width = 37;
    const height = 48;
    const px = mixedImage(width, height, 7);
    const filtered = filterRows(px, width, height);
    const types = new Set<number>();
    for (let y = 0; y < height; y++) types.add(filtered[y * (width * 4 + 1)]);
    expect([...types].sort()).toEqual([0, 1, 2, 3, 4]);
    const mine = encodeRgbaPng(width, height, px);
    expect(mine.equals(pngjsBytes(width, height, px))).toBe(true);
    expect(decodePng(mine).data).toEqual(px);
  });

  it('matches pngjs on edge sizes and random images', () => {
    for (const [w, h, seed] of [
      [1, 1, 1],
      [1, 9, 2],
      [13, 1, 3],
      [2, 2, 4],
      [64, 33, 5],
    ]) {
      const r = rng(seed);
      const px = Uint8Array.from({ length: w * h * 4 }, () => Math.floor(r() * 256));
      expect(encodeRgbaPng(w, h, px).equals(pngjsBytes(w, h, px))).toBe(true);
      const mixed = mixedImage(w, h, seed);
      expect(encodeRgbaPng(w, h, mixed).equals(pngjsBytes(w, h, mixed))).toBe(true);
    }
  });

  it('matches pngjs on a map figure (text, colour bar, exact map pixels)', () => {
    const ny = 20;
    const nx = 30;
    const values = Float64Array.from({ length: ny * nx }, (_, i) => Math.sin(i / 7) + (i % nx) / nx);
    const { image } = renderMapFigure({
      values,
      ny,
      nx,
      title: 'test map',
      colormap: 'viridis',
      limits: [-1, 2],
    });
    expect(
      encodeRgbaPng(image.width, image.height, image.data).equals(
        pngjsBytes(image.width, image.height, image.data),
      ),
    ).toBe(true);
  });

  it('refuses a buffer of the wrong size', () => {
    expect(() => encodeRgbaPng(3, 3, new Uint8Array(35))).toThrow(/35 bytes for a 3 × 3 RGBA image/);
  });
});
