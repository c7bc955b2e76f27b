import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../formats/open.ts';
import { writeTiff } from '../../formats/tiff.ts';
import { nd } from '../../engine/ndarray.ts';
import { mismatches, tmpDir } from './fixtures.ts';

/** EMPAD-like: 128 × 130 float32 per frame, rows 128 and 129 are metadata. */
function empadBytes(frames: number): { bytes: Buffer; values: Float32Array } {
  const b = Buffer.alloc(frames * 130 * 128 * 4);
  const values = new Float32Array(frames * 128 * 128);
  for (let k = 0; k < frames; k++) {
    for (let r = 0; r < 130; r++) {
      for (let c = 0; c < 128; c++) {
        const v = r < 128 ? k * 1000 + r + c / 256 : -12345; // metadata rows are junk to drop
        b.writeFloatLE(v, ((k * 130 + r) * 128 + c) * 4);
        if (r < 128) values[(k * 128 + r) * 128 + c] = v;
      }
    }
  }
  return { bytes: b, values };
}

describe('raw binary / EMPAD', () => {
  it('reads an EMPAD-like .raw, dropping the 2 metadata rows', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'scan_x2_y3.raw');
    const { bytes, values } = empadBytes(6);
    fs.writeFileSync(f, bytes);
    const h = openDataset(f, { scan: '3x2' });
    expect(h.format).toBe('empad');
    expect(h.frameShape).toEqual([128, 128]);
    expect(h.dtype).toBe('float32');
    expect(h.meta.layoutAssumed).toMatch(/EMPAD/);
    const fr = h.read(2, 4);
    expect(mismatches(fr.data, values.subarray(2 * 128 * 128))).toBe(0);
    h.close();
  });

  it('takes the EMPAD scan from its XML (acquire, else the search scan that fits), opened via .raw or .xml', () => {
    const dir = tmpDir();
    const raw = path.join(dir, 'scan_x3_y2.raw');
    fs.writeFileSync(raw, empadBytes(6).bytes);
    const xml = (acq: [number, number], search: [number, number]) =>
      `<?xml version="1.0"?>\n<root>\n<raw_file filename="C:\\data\\scan_x3_y2.raw"/>\n<type>scan</type>\n` +
      `<scan_parameters mode="search"><scan_resolution_x>${search[1]}</scan_resolution_x><scan_resolution_y>${search[0]}</scan_resolution_y></scan_parameters>\n` +
      `<scan_parameters mode="acquire"><scan_resolution_x>${acq[1]}</scan_resolution_x><scan_resolution_y>${acq[0]}</scan_resolution_y></scan_parameters>\n</root>\n`;
    fs.writeFileSync(path.join(dir, 'acq.xml'), xml([2, 3], [64, 64]));
    const h = openDataset(raw);
    expect(h.scan).toEqual({ ny: 2, nx: 3 });
    expect(h.meta.empadXml).toMatch(/acq\.xml$/);
    h.close();
    fs.writeFileSync(path.join(dir, 'acq.xml'), xml([4, 4], [3, 2]));
    const viaXml = openDataset(path.join(dir, 'acq.xml'));
    expect(viaXml.path).toBe(raw);
    expect(viaXml.scan).toEqual({ ny: 3, nx: 2 });
    viaXml.close();
    fs.writeFileSync(path.join(dir, 'acq.xml'), xml([4, 4], [5, 5]));
    expect(() => openDataset(raw)).toThrow(
      /scan_x3_y2\.raw: EMPAD XML .*acq\.xml declares scan 4×4 or 5×5, but the file holds 6 frames/,
    );
  });

  it('honours offset, per-frame header/footer bytes and big-endian declared layouts', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'x.bin');
    const frames = 3;
    const b = Buffer.alloc(16 + frames * (4 + 2 * 3 * 2 + 2));
    b.write('FILEHEADER', 0, 'latin1');
    for (let k = 0; k < frames; k++) {
      const at = 16 + k * 12 + k * 6;
      b.writeUInt32BE(0xdeadbeef, at);
      for (let i = 0; i < 6; i++) b.writeUInt16BE(k * 100 + i, at + 4 + 2 * i);
      b.writeUInt16BE(0xffff, at + 16);
    }
    fs.writeFileSync(f, b);
    const h = openDataset(f, {
      raw: {
        shape: [2, 3],
        dtype: 'uint16',
        offset: 16,
        frameHeaderBytes: 4,
        frameFooterBytes: 2,
        littleEndian: false,
      },
    });
    expect(h.scan).toEqual({ ny: 1, nx: 3 });
    expect(Array.from(h.read(1, 2).data)).toEqual([
      100, 101, 102, 103, 104, 105, 200, 201, 202, 203, 204, 205,
    ]);
    h.close();
  });

  it('refuses a layout that does not divide the file, a wrong scan, a truncated file and bad options', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'e.raw');
    const { bytes } = empadBytes(4);
    fs.writeFileSync(f, bytes.subarray(0, bytes.length - 100));
    expect(() => openDataset(f)).toThrow(
      /e\.raw: raw file of 266140 bytes is not a whole number of EMPAD frames/,
    );
    expect(() => openDataset(f, { raw: { shape: [130, 128], dtype: 'float32', dropRows: 2 } })).toThrow(
      /e\.raw: size 266140 bytes is not a whole number of 130×128 float32 frames/,
    );
    expect(() =>
      openDataset(f, { raw: { shape: [130, 128], dtype: 'float32', dropRows: 2 }, scan: '2x2' }),
    ).toThrow(/e\.raw: truncated raw file: the header declares 4 frames .* holds 3 complete frames/);
    const h = openDataset(f, {
      raw: { shape: [130, 128], dtype: 'float32', dropRows: 2 },
      scan: '2x2',
      allowTruncated: true,
    });
    expect(Number.isNaN(h.read(3, 1).data[0])).toBe(true);
    expect(h.read(2, 1).data[0]).toBe(2000);
    h.close();
    const g = path.join(dir, 'g.raw');
    fs.writeFileSync(g, bytes);
    expect(() => openDataset(g, { scan: '3x3' })).toThrow(
      /g\.raw: truncated raw file: the header declares 9 frames/,
    );
    expect(() => openDataset(g, { scan: '1x2' })).toThrow(
      /g\.raw: scan 1×2 = 2 positions, but the file holds 4/,
    );
    expect(() => openDataset(g, { raw: { shape: [130, 128], dtype: 'float16' as never } })).toThrow(
      /g\.raw: raw layout: expected/,
    );
  });
});

/** A big-endian TIFF page written byte by byte, with its pixels split over two strips. */
function handTiffBE(w: number, h: number, values: number[]): Buffer {
  const dataAt = 8;
  const half = (h / 2) * w * 2;
  const ifdAt = dataAt + values.length * 2;
  const entries: [number, number, number][] = [
    [256, 3, w],
    [257, 3, h],
    [258, 3, 16],
    [259, 3, 1],
    [273, 4, 0], // strip offsets: 2 values stored out of line
    [277, 3, 1],
    [278, 3, h / 2],
    [279, 4, 0],
  ];
  const arraysAt = ifdAt + 2 + entries.length * 12 + 4;
  const b = Buffer.alloc(arraysAt + 16);
  b.write('MM', 0, 'latin1');
  b.writeUInt16BE(42, 2);
  b.writeUInt32BE(ifdAt, 4);
  values.forEach((v, i) => {
    b.writeUInt16BE(v, dataAt + 2 * i);
  });
  b.writeUInt16BE(entries.length, ifdAt);
  entries.forEach(([tag, type, value], i) => {
    const at = ifdAt + 2 + i * 12;
    b.writeUInt16BE(tag, at);
    b.writeUInt16BE(type, at + 2);
    const count = tag === 273 || tag === 279 ? 2 : 1;
    b.writeUInt32BE(count, at + 4);
    if (tag === 273) b.writeUInt32BE(arraysAt, at + 8);
    else if (tag === 279) b.writeUInt32BE(arraysAt + 8, at + 8);
    else b.writeUInt16BE(value, at + 8);
  });
  b.writeUInt32BE(dataAt, arraysAt);
  b.writeUInt32BE(dataAt + half, arraysAt + 4);
  b.writeUInt32BE(half, arraysAt + 8);
  b.writeUInt32BE(half, arraysAt + 12);
  return b;
}

/** A little-endian BigTIFF (version 43, 8-byte offsets) of `n` uint8 pages, built byte by byte. */
function handBigTiff(w: number, h: number, n: number): Buffer {
  const fb = w * h;
  const entries = 8;
  const ifdBytes = 8 + entries * 20 + 8;
  const dataAt = 16;
  const ifdAt = dataAt + n * fb;
  const b = Buffer.alloc(ifdAt + n * ifdBytes);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(43, 2);
  b.writeUInt16LE(8, 4);
  b.writeBigUInt64LE(BigInt(ifdAt), 8);
  for (let i = 0; i < n * fb; i++) b[dataAt + i] = (i * 5) & 255;
  for (let p = 0; p < n; p++) {
    const at = ifdAt + p * ifdBytes;
    b.writeBigUInt64LE(BigInt(entries), at);
    const tags: [number, number, number][] = [
      [256, 3, w],
      [257, 3, h],
      [258, 3, 8],
      [259, 3, 1],
      [273, 16, dataAt + p * fb],
      [277, 3, 1],
      [278, 3, h],
      [279, 16, fb],
    ];
    tags.forEach(([tag, type, v], i) => {
      const e = at + 8 + i * 20;
      b.writeUInt16LE(tag, e);
      b.writeUInt16LE(type, e + 2);
      b.writeBigUInt64LE(1n, e + 4);
      if (type === 3) b.writeUInt16LE(v, e + 12);
      else b.writeBigUInt64LE(BigInt(v), e + 12);
    });
    b.writeBigUInt64LE(p + 1 < n ? BigInt(at + ifdBytes) : 0n, at + 8 + entries * 20);
  }
  return b;
}

/** ImageJ's layout for stacks beyond 4 GB: one IFD, "images=N" in its description, pages contiguous. */
function handImageJ(w: number, h: number, n: number): Buffer {
  const fb = w * h * 2;
  const desc = Buffer.from(`ImageJ=1.54f\nimages=${n}\nslices=${n}\n\0`, 'latin1');
  const entries = 9;
  const ifdAt = 8;
  const descAt = ifdAt + 2 + entries * 12 + 4;
  const dataAt = descAt + desc.length;
  const b = Buffer.alloc(dataAt + n * fb);
  b.write('II*\0', 0, 'latin1');
  b.writeUInt32LE(ifdAt, 4);
  b.writeUInt16LE(entries, ifdAt);
  const tags: [number, number, number, number][] = [
    [256, 3, 1, w],
    [257, 3, 1, h],
    [258, 3, 1, 16],
    [259, 3, 1, 1],
    [270, 2, desc.length, descAt],
    [273, 4, 1, dataAt],
    [277, 3, 1, 1],
    [278, 3, 1, h],
    [279, 4, 1, fb],
  ];
  tags.forEach(([tag, type, count, v], i) => {
    const e = ifdAt + 2 + i * 12;
    b.writeUInt16LE(tag, e);
    b.writeUInt16LE(type, e + 2);
    b.writeUInt32LE(count, e + 4);
    if (type === 3) b.writeUInt16LE(v, e + 8);
    else b.writeUInt32LE(v, e + 8);
  });
  desc.copy(b, descAt);
  for (let i = 0; i < n * w * h; i++) b.writeUInt16LE((i * 3) & 0xffff, dataAt + 2 * i);
  return b;
}

describe('TIFF', () => {
  it('reads a hand-built big-endian single image with two strips', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'one.tif');
    const values = Array.from({ length: 4 * 6 }, (_, i) => i * 1000 + 1);
    fs.writeFileSync(f, handTiffBE(4, 6, values));
    const h = openDataset(f);
    expect(h.format).toBe('tiff');
    expect(h.scan).toEqual({ ny: 1, nx: 1 });
    expect(h.frameShape).toEqual([6, 4]);
    expect(h.dtype).toBe('uint16');
    expect(Array.from(h.read(0, 1).data)).toEqual(values);
    h.close();
  });

  it('reads a hand-built BigTIFF stack and an ImageJ single-IFD stack', () => {
    const dir = tmpDir();
    const big = path.join(dir, 'big.tif');
    fs.writeFileSync(big, handBigTiff(6, 4, 3));
    const h = openDataset(big);
    expect(h.scan).toEqual({ ny: 1, nx: 3 });
    expect(h.frameShape).toEqual([4, 6]);
    expect(Array.from(h.read(2, 1).data)).toEqual(Array.from({ length: 24 }, (_, i) => ((48 + i) * 5) & 255));
    h.close();
    const ij = path.join(dir, 'ij.tif');
    fs.writeFileSync(ij, handImageJ(3, 2, 4));
    const hj = openDataset(ij, { scan: '2x2' });
    expect(hj.meta.pages).toBe(4);
    expect(hj.dtype).toBe('uint16');
    expect(Array.from(hj.read(3, 1).data)).toEqual([18, 19, 20, 21, 22, 23].map((i) => i * 3));
    hj.close();
    fs.writeFileSync(ij, handImageJ(3, 2, 4).subarray(0, -5));
    expect(() => openDataset(ij)).toThrow(
      /ij\.tif: truncated ImageJ TIFF stack: expected 4 images of 12 bytes/,
    );
  });

  it('round-trips stacks through the writer in both byte orders and dtypes', () => {
    const dir = tmpDir();
    for (const [a, bigEndian] of [
      [
        nd(
          new Uint16Array(6 * 3 * 5).map((_, i) => i * 7),
          [6, 3, 5],
        ),
        false,
      ],
      [
        nd(
          Float32Array.from({ length: 6 * 3 * 5 }, (_, i) => i / 3 - 4),
          [6, 3, 5],
        ),
        true,
      ],
      [
        nd(
          new Int32Array(6 * 3 * 5).map((_, i) => -i * 99),
          [6, 3, 5],
        ),
        true,
      ],
    ] as const) {
      const f = path.join(dir, `s-${a.dtype}-${bigEndian}.tif`);
      writeTiff(f, a, { bigEndian, description: 'snem test stack' });
      const h = openDataset(f, { scan: '2x3' });
      expect(h.scan).toEqual({ ny: 2, nx: 3 });
      expect(h.dtype).toBe(a.dtype);
      expect(h.meta.imageDescription).toBe('snem test stack');
      expect(Array.from(h.read(1, 4).data)).toEqual(Array.from(a.data.subarray(15, 75)));
      h.close();
    }
  });

  it('refuses truncated pages, compression, a wrong scan and a corrupted IFD offset', () => {
    const dir = tmpDir();
    const a = nd(
      new Uint8Array(4 * 8 * 8).map((_, i) => i),
      [4, 8, 8],
    );
    const f = path.join(dir, 't.tif');
    writeTiff(f, a);
    const good = fs.readFileSync(f);
    expect(() => openDataset(f, { scan: '3x3' })).toThrow(
      /t\.tif: scan 3×3 = 9 positions, but the TIFF holds 4 pages/,
    );
    // Compression tag (259) → 5 (LZW) in every IFD.
    const lzw = Buffer.from(good);
    for (let at = lzw.readUInt32LE(4); at !== 0; ) {
      const n = lzw.readUInt16LE(at);
      for (let i = 0; i < n; i++)
        if (lzw.readUInt16LE(at + 2 + i * 12) === 259) lzw.writeUInt16LE(5, at + 2 + i * 12 + 8);
      at = lzw.readUInt32LE(at + 2 + n * 12);
    }
    fs.writeFileSync(f, lzw);
    expect(() => openDataset(f)).toThrow(/t\.tif: TIFF page 0: compression 5 is not supported/);
    const bad = Buffer.from(good);
    bad.writeUInt32LE(good.length + 1000, 4);
    fs.writeFileSync(f, bad);
    expect(() => openDataset(f)).toThrow(/t\.tif: TIFF IFD at byte \d+ .* beyond the end of the file/);
    // Pixel data of the last page points past the end.
    const short = Buffer.from(good);
    const ifd0 = good.readUInt32LE(4);
    const n = good.readUInt16LE(ifd0);
    const lastIfd = ifd0 + 3 * (2 + n * 12 + 4);
    for (let i = 0; i < n; i++)
      if (short.readUInt16LE(lastIfd + 2 + i * 12) === 273)
        short.writeUInt32LE(good.length - 10, lastIfd + 2 + i * 12 + 8);
    fs.writeFileSync(f, short);
    expect(() => openDataset(f)).toThrow(/t\.tif: truncated TIFF page 3: expected 64 pixel bytes/);
  });
});
