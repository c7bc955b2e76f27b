import { describe, expect, it } from 'vitest';
import {
  applyColormap,
  colorIndex,
  colorLimits,
  colormapLut,
  COLORMAPS,
  NAN_GRAY,
  percentile,
} from '../../viz/colormaps.ts';
import { renderMapFigure } from '../../viz/map-figure.ts';
import { upscale } from '../../viz/raster.ts';
import { mapPanel } from '../../viz/map-panel.ts';
import { addPngText, crc32, decodePng, encodePng, readPngText } from '../../viz/png.ts';
import { lineCut, sampleMap } from '../../viz/linecut.ts';
import { formatTick, niceLength, niceTicks } from '../../viz/ticks.ts';

const hex = (lut: Uint8Array, i: number) =>
  Array.from(lut.subarray(3 * i, 3 * i + 3), (b) => b.toString(16).padStart(2, '0')).join('');

describe('colormaps', () => {
  it('tables match the published endpoints and midpoints', () => {
    expect(hex(colormapLut('viridis'), 0)).toBe('440154');
    expect(hex(colormapLut('viridis'), 128)).toBe('21918c');
    expect(hex(colormapLut('viridis'), 255)).toBe('fde725');
    expect(hex(colormapLut('magma'), 0)).toBe('000004');
    expect(hex(colormapLut('magma'), 255)).toBe('fcfdbf');
    expect(hex(colormapLut('cividis'), 0)).toBe('00224e');
    expect(hex(colormapLut('RdBu'), 0)).toBe('67001f');
    expect(hex(colormapLut('RdBu'), 255)).toBe('053061');
    expect(hex(colormapLut('RdBu_r'), 0)).toBe('053061');
    expect(hex(colormapLut('gray'), 77)).toBe('4d4d4d');
    for (const c of COLORMAPS) expect(colormapLut(c).length).toBe(768);
  });

  it('robust limits ignore NaN and outliers; diverging limits are symmetric', () => {
    const v = new Float64Array(1001).map((_, i) => i / 10);
    v[0] = Number.NaN;
    v[1000] = 1e9; // one hot pixel
    const [lo, hi] = colorLimits(v);
    expect(lo).toBeCloseTo(percentile(v, 1), 12);
    expect(lo).toBeGreaterThan(0.9);
    expect(hi).toBeLessThan(100);
    expect(colorLimits([-0.2, 0.5, 0.1], { centreOnZero: true, limits: [-0.2, 0.5] })).toEqual([-0.5, 0.5]);
    expect(colorLimits([3, 3, 3])[0]).toBeLessThan(3);
  });

  it('maps values through the table with clipping and NaN handling', () => {
    expect(colorIndex(0, 0, 1)).toBe(0);
    expect(colorIndex(1, 0, 1)).toBe(255);
    expect(colorIndex(0.5, 0, 1)).toBe(128);
    expect(colorIndex(-5, 0, 1)).toBe(0);
    const rgba = applyColormap([0, 1, Number.NaN], 'viridis', 0, 1, 'transparent');
    expect(Array.from(rgba.subarray(0, 4))).toEqual([0x44, 0x01, 0x54, 255]);
    expect(rgba[11]).toBe(0);
    expect(Array.from(applyColormap([Number.NaN], 'viridis', 0, 1, 'gray').subarray(0, 3))).toEqual(NAN_GRAY);
  });
});

describe('ticks', () => {
  it('nice ticks, lengths and labels', () => {
    expect(niceTicks(2.31, 2.69, 5)).toEqual([2.4, 2.5, 2.6]);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceLength(37)).toBe(20);
    expect(niceLength(0.7)).toBe(0.5);
    expect(formatTick(3.305, 0.005)).toBe('3.305');
    expect(formatTick(40, 10)).toBe('40');
  });
});

describe('png text chunks', () => {
  it('CRC-32 matches the PNG reference value of IEND', () => {
    expect(crc32(Buffer.from('IEND', 'latin1'))).toBe(0xae426082);
  });

  it('round-trips UTF-8 provenance and stays a valid PNG', () => {
    const img = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 255, 4, 5, 6, 255]) };
    const png = encodePng(img, {
      'snem:node': 'peak.rmax',
      'snem:provenance': JSON.stringify({ unit: 'Å' }),
    });
    expect(readPngText(png)).toEqual({ 'snem:node': 'peak.rmax', 'snem:provenance': '{"unit":"Å"}' });
    expect(Array.from(decodePng(png).data)).toEqual(Array.from(img.data));
    expect(readPngText(addPngText(png, { more: 'x' })).more).toBe('x');
  });
});

describe('map figure', () => {
  it('every scan position is a block of exactly the colormap colour of its value; aspect follows the step', () => {
    const ny = 5;
    const nx = 7;
    const values = new Float64Array(ny * nx).map((_, i) => (i * 37) % 11);
    values[8] = Number.NaN;
    const f = renderMapFigure({
      values,
      ny,
      nx,
      title: 't',
      label: 'v',
      unit: 'Å',
      step: { y: 3, x: 2 },
      limits: [0, 10],
      upscale: 6,
    });
    expect(f.map.cellW).toBe(6);
    expect(f.map.cellH).toBe(9); // 6 · 3/2: the specimen's true aspect
    const png = decodePng(encodePng(f.image));
    const lut = colormapLut('viridis');
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++) {
        for (const [dx, dy] of [
          [0, 0],
          [5, 8],
          [3, 4],
        ]) {
          const px = f.map.x + x * 6 + dx;
          const py = f.map.y + y * 9 + dy;
          const o = (py * png.width + px) * 4;
          const got = Array.from(png.data.subarray(o, o + 3));
          const v = values[y * nx + x];
          const want = Number.isFinite(v)
            ? Array.from(lut.subarray(3 * colorIndex(v, 0, 10), 3 * colorIndex(v, 0, 10) + 3))
            : NAN_GRAY;
          expect(got, `position (${y}, ${x})`).toEqual(want);
        }
      }
  });
});

describe('upscale', () => {
  it('makes each pixel a cellW × cellH block; at 1 × 1 a copy of the pixels, not the same buffer', () => {
    const src = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => 10 * i) };
    const same = upscale(src, 1, 1);
    expect([same.width, same.height]).toEqual([3, 2]);
    expect(same.data).toEqual(src.data);
    expect(same.data.buffer).not.toBe(src.data.buffer);
    const big = upscale(src, 2, 3);
    expect([big.width, big.height]).toEqual([6, 6]);
    // pixel (x 1, y 1) of the source fills x 2..3, y 3..5
    for (let y = 3; y < 6; y++)
      for (let x = 2; x < 4; x++)
        expect([...big.data.subarray((y * 6 + x) * 4, (y * 6 + x) * 4 + 4)]).toEqual([160, 170, 180, 190]);
  });
});

describe('line cut', () => {
  it('samples one position per step along the longer axis, distance in nm', () => {
    const cut = lineCut([0, 0], [2, 4], { y: 2, x: 1 });
    expect(Array.from(cut.ix)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(cut.iy)).toEqual([0, 1, 1, 2, 2]);
    expect(cut.distance[4]).toBeCloseTo(Math.hypot(4, 4), 12);
    expect(Array.from(sampleMap([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14], 5, cut))).toEqual([
      0, 6, 7, 13, 14,
    ]);
  });
});

describe('constant maps', () => {
  const cell = { cellW: 4, cellH: 4 };
  it('label their one value as constant, also at 0 (limits widened to ±1e-6) and under a diverging colormap', () => {
    const zero = mapPanel({ values: new Float32Array(12), ny: 3, nx: 4, title: 'vbf' }, cell).svg(0, 0);
    expect(zero).toContain('0 (constant)');
    const five = mapPanel({ values: new Float32Array(12).fill(5), ny: 3, nx: 4, colormap: 'RdBu' }, cell).svg(
      0,
      0,
    );
    expect(five).toContain('5 (constant)');
    expect(five).not.toContain('0 (constant)');
    const varied = mapPanel(
      { values: Float32Array.from({ length: 12 }, (_, i) => i), ny: 3, nx: 4 },
      cell,
    ).svg(0, 0);
    expect(varied).not.toContain('(constant)');
  });
});
