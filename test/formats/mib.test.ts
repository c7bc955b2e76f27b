import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../formats/open.ts';
import { beBytes, encodeQuadRaw, encodeRow, mibHeader, mismatches, rowBytes, tmpDir } from './fixtures.ts';

/** Deterministic pixel values below 2^bits. */
const pattern = (n: number, bits: number, seed: number) =>
  Array.from({ length: n }, (_, i) => ((i * 2654435761 + seed * 97) >>> 7) % 2 ** bits);

/** The header of one single-chip 256² frame (384 header bytes, as the Merlin writes it). */
const singleChipHeader = (seq: number, type: string, depth: number) =>
  mibHeader({ seq, headerBytes: 384, chips: 1, width: 256, height: 256, type, layout: '1x1', depth });

function writeMib(file: string, frames: Buffer[]): void {
  fs.writeFileSync(file, Buffer.concat(frames));
}

describe('Merlin .mib reader (hand-built frames)', () => {
  it('reads single-chip U08, U16 and U32 big-endian frames', () => {
    const dir = tmpDir();
    for (const [type, bits, kind, depth] of [
      ['U08', 8, null, 6],
      ['U16', 16, 'u2', 12],
      ['U32', 32, 'u4', 24],
    ] as const) {
      const f = path.join(dir, `${type}.mib`);
      const px = [0, 1, 2].map((s) => pattern(256 * 256, depth, s));
      writeMib(
        f,
        px.map((p, k) =>
          Buffer.concat([singleChipHeader(k + 1, type, depth), kind ? beBytes(kind, p) : Uint8Array.from(p)]),
        ),
      );
      const h = openDataset(f, { scan: { ny: 1, nx: 3 } });
      expect(h.format).toBe('mib');
      expect(h.frameShape).toEqual([256, 256]);
      expect(h.dtype).toBe(bits === 8 ? 'uint8' : bits === 16 ? 'uint16' : 'uint32');
      expect(h.meta.counterDepth).toBe(depth);
      const fr = h.read(1, 2);
      expect(mismatches(fr.data.subarray(0, 65536), px[1])).toBe(0);
      expect(mismatches(fr.data.subarray(65536), px[2])).toBe(0);
      h.close();
    }
  });

  it('decodes RAW 1-, 6-, 12- and 24-bit single-chip frames', () => {
    const dir = tmpDir();
    for (const depth of [1, 6, 12] as const) {
      const img = pattern(256 * 256, depth, depth);
      const data = new Uint8Array(rowBytes(depth, 256) * 256);
      for (let r = 0; r < 256; r++)
        encodeRow(depth, img.slice(r * 256, r * 256 + 256), data, r * rowBytes(depth, 256));
      const f = path.join(dir, `r${depth}.mib`);
      const head = singleChipHeader(1, 'R64', depth);
      writeMib(f, [Buffer.concat([head, data]), Buffer.concat([head, data])]);
      const h = openDataset(f);
      expect(h.scan).toEqual({ ny: 1, nx: 2 });
      expect(h.dtype).toBe(depth === 12 ? 'uint16' : 'uint8');
      expect(mismatches(h.read(1, 1).data, img)).toBe(0);
      h.close();
    }
    // 24-bit raw: two 12-bit frames, the high bits first.
    const img = pattern(256 * 256, 24, 5);
    const hi = img.map((v) => v >> 12);
    const lo = img.map((v) => v & 4095);
    const data = new Uint8Array(2 * 256 * 512);
    for (let r = 0; r < 256; r++) {
      encodeRow(12, hi.slice(r * 256, r * 256 + 256), data, r * 512);
      encodeRow(12, lo.slice(r * 256, r * 256 + 256), data, 256 * 512 + r * 512);
    }
    const f = path.join(dir, 'r24.mib');
    writeMib(f, [
      Buffer.concat([
        mibHeader({
          seq: 1,
          headerBytes: 384,
          chips: 1,
          width: 512,
          height: 256,
          type: 'R64',
          layout: '1x1',
          depth: 24,
        }),
        data,
      ]),
    ]);
    const h = openDataset(f);
    expect(h.frameShape).toEqual([256, 256]);
    expect(h.dtype).toBe('uint32');
    expect(mismatches(h.read(0, 1).data, img)).toBe(0);
  });

  it('assembles quad 512×512 frames: U16 as stored, RAW 1/6/12-bit from the chip read-out order', () => {
    const dir = tmpDir();
    const u = pattern(512 * 512, 12, 1);
    const fu = path.join(dir, 'quad-u16.mib');
    writeMib(fu, [
      Buffer.concat([
        mibHeader({
          seq: 1,
          headerBytes: 768,
          chips: 4,
          width: 512,
          height: 512,
          type: 'U16',
          layout: '2x2G',
          depth: 12,
        }),
        beBytes('u2', u),
      ]),
    ]);
    const hu = openDataset(fu);
    expect(hu.frameShape).toEqual([512, 512]);
    expect(mismatches(hu.read(0, 1).data, u)).toBe(0);
    hu.close();
    for (const depth of [1, 6, 12] as const) {
      const img = pattern(512 * 512, depth, depth + 1);
      const f = path.join(dir, `quad-r${depth}.mib`);
      writeMib(f, [
        Buffer.concat([
          mibHeader({
            seq: 1,
            headerBytes: 768,
            chips: 4,
            width: 1024,
            height: 256,
            type: 'R64',
            layout: '2x2',
            depth,
          }),
          encodeQuadRaw(depth, img),
        ]),
      ]);
      const h = openDataset(f);
      expect(h.frameShape).toEqual([512, 512]);
      const got = h.read(0, 1).data;
      // Spot-check a pixel in each quadrant, then everything.
      for (const [y, x] of [
        [3, 5],
        [7, 300],
        [400, 9],
        [511, 511],
      ])
        expect(got[y * 512 + x]).toBe(img[y * 512 + x]);
      expect(mismatches(got, img)).toBe(0);
      h.close();
    }
  });

  it('takes the scan shape from the .hdr next to the .mib, or opened through the .hdr', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'scan.mib');
    const frames = [0, 1, 2, 3, 4, 5].map((k) =>
      Buffer.concat([singleChipHeader(k + 1, 'U08', 6), Buffer.alloc(65536, k)]),
    );
    writeMib(f, frames);
    fs.writeFileSync(
      path.join(dir, 'scan.hdr'),
      'HDR,\t\nFrames in Acquisition (Number):\t6\nFrames per Trigger (Number):\t3\nCounter Depth (number):\t6\nEnd\t\n',
    );
    const h = openDataset(f);
    expect(h.scan).toEqual({ ny: 2, nx: 3 });
    expect(h.read(4, 1).data[100]).toBe(4);
    expect((h.meta.mibHdr as Record<string, string>)['Counter Depth (number)']).toBe('6');
    h.close();
    const viaHdr = openDataset(path.join(dir, 'scan.hdr'));
    expect(viaHdr.scan).toEqual({ ny: 2, nx: 3 });
    expect(viaHdr.path).toBe(f);
    viaHdr.close();
    expect(() => openDataset(f, { scan: '2x2' })).toThrow(
      /scan\.mib: scan 2×2 = 4 positions, but the file holds 6 frames/,
    );
  });

  it('refuses truncated files (or reads them with NaN) and detects a corrupted frame header', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'trunc.mib');
    const frame = (k: number) => Buffer.concat([singleChipHeader(k + 1, 'U08', 6), Buffer.alloc(65536, 9)]);
    const whole = Buffer.concat([frame(0), frame(1), frame(2)]);
    fs.writeFileSync(f, whole.subarray(0, whole.length - 1000));
    expect(() => openDataset(f)).toThrow(/trunc\.mib: size|trunc\.mib: truncated/);
    expect(() => openDataset(f, { scan: '1x3' })).toThrow(
      /trunc\.mib: truncated Merlin file: the header declares 3 frames .* holds 2 complete frames/,
    );
    const h = openDataset(f, { scan: '1x3', allowTruncated: true });
    const fr = h.read(0, 3);
    expect(fr.dtype).toBe('float32');
    expect(fr.data[65535]).toBe(9);
    expect(Number.isNaN(fr.data[2 * 65536])).toBe(true);
    h.close();
    const c = path.join(dir, 'corrupt.mib');
    const bad = Buffer.from(whole);
    bad.write('XQ1', whole.length / 3, 'latin1');
    fs.writeFileSync(c, bad);
    const hc = openDataset(c);
    expect(() => hc.read(0, 3)).toThrow(
      /corrupt\.mib: corrupted Merlin frame 1 .* expected a header starting "MQ1,"/,
    );
    hc.close();
    const g = path.join(dir, 'garbled.mib');
    fs.writeFileSync(g, Buffer.from('MQ1,000001,0x384,01,0256'));
    expect(() => openDataset(g)).toThrow(/garbled\.mib: malformed Merlin frame header/);
  });
});
