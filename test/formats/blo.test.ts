import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBlo, readBloHeader, writeBlo, type BloHandle } from '../../formats/blo.ts';
import { openDataset } from '../../formats/open.ts';
import { nd } from '../../engine/ndarray.ts';
import { bloBytes, tmpDir } from './fixtures.ts';

describe('ASTAR blockfile reader (hand-built bytes)', () => {
  it('reads header fields, note, VBF and frames honouring Data_offset_2', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'a.blo');
    // A non-default Data_offset_2 (extra padding) must be honoured.
    fs.writeFileSync(f, bloBytes({ ny: 3, nx: 4, dp: 8, sx: 2.5, sy: 2.5, dataOffset2: 4160 }));
    const h = openDataset(f) as BloHandle;
    expect(h.format).toBe('blo');
    expect(h.scan).toEqual({ ny: 3, nx: 4 });
    expect(h.frameShape).toEqual([8, 8]);
    expect(h.dtype).toBe('uint8');
    expect(h.meta.scanStepNm).toBe(2.5);
    expect(h.meta.beamEnergyKeV).toBe(200);
    expect(h.meta.cameraLengthMm).toBe(200);
    expect(h.meta.note).toBe('Precession angle : \r\nCamera gamma : on');
    expect(h.meta.scanRotationDeg).toBe(25);
    expect(h.meta.acquiredAt).toBe('2015-12-01T15:40:59.808Z');
    expect(h.meta.detectorCmPerPixel).toBeCloseTo(0.0160617, 6);
    // 1e4 / (SDP · CL · λ(200 kV)) with λ = 0.025079 Å.
    expect(h.meta.gPerPixel as number).toBeCloseTo(1e4 / (6226 * 2000 * 0.0250793), 4);
    expect(h.meta.qPerPixel as number).toBeCloseTo((2 * Math.PI * 1e4) / (6226 * 2000 * 0.0250793), 3);
    const frames = h.read(5, 3);
    expect(frames.shape).toEqual([3, 8, 8]);
    for (let k = 0; k < 3; k++) expect(frames.data[k * 64 + 10]).toBe(((5 + k) * 7 + 10) & 255);
    const vbf = h.vbf();
    expect(vbf.shape).toEqual([3, 4]);
    expect(Array.from(vbf.data)).toEqual(Array.from({ length: 12 }, (_, k) => (k * 3) & 255));
    h.close();
  });

  it('reports unequal steps as [y, x]', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'b.blo');
    fs.writeFileSync(f, bloBytes({ ny: 1, nx: 2, dp: 4, sx: 2, sy: 3 }));
    expect(readBloHeader(f).sy).toBe(3);
    const h = openBlo(f);
    expect(h.meta.scanStepNm).toEqual([3, 2]);
    h.close();
  });

  it('refuses a truncated file unless allowTruncated, then the missing frames are NaN', () => {
    const dir = tmpDir();
    const f = path.join(dir, 't.blo');
    const b = bloBytes({ ny: 2, nx: 3, dp: 4 });
    fs.writeFileSync(f, b.subarray(0, b.length - 22 - 11)); // last record and a half missing
    expect(() => openDataset(f)).toThrow(
      /t\.blo: truncated blockfile: the header declares 6 frames .* holds 4 complete frames .*set "allowTruncated": true in the graph's dataset \(snem info: --allow-truncated\)/,
    );
    const h = openDataset(f, { allowTruncated: true });
    expect(h.dtype).toBe('float32');
    expect(h.meta.missingFrames).toBe(2);
    const fr = h.read(3, 3);
    expect(fr.data[0]).toBe((3 * 7) & 255);
    expect(Number.isNaN(fr.data[16])).toBe(true);
    expect(Number.isNaN(fr.data[47])).toBe(true);
    h.close();
  });

  it('detects a corrupted record magic or index when reading', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'c.blo');
    const b = bloBytes({ ny: 1, nx: 3, dp: 4 });
    const off2 = b.readUInt32LE(12);
    b.writeUInt32LE(7, off2 + 22 + 2); // record 1 claims index 7
    fs.writeFileSync(f, b);
    const h = openDataset(f);
    expect(() => h.read(0, 1)).not.toThrow();
    expect(() => h.read(0, 2)).toThrow(
      /c\.blo: corrupted blockfile record 1 .* expected magic AA 55 and index 1, found aa 55 and index 7/,
    );
    h.close();
  });

  it('refuses impossible offsets and a short header', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'o.blo');
    const b = bloBytes({ ny: 2, nx: 2, dp: 4 });
    b.writeUInt32LE(4097, 12); // Data_offset_2 inside the VBF image
    fs.writeFileSync(f, b);
    expect(() => openDataset(f)).toThrow(/o\.blo: inconsistent blockfile offsets/);
    fs.writeFileSync(f, b.subarray(0, 100));
    expect(() => openDataset(f)).toThrow(/o\.blo: truncated blockfile header: expected 240 bytes, found 100/);
  });
});

describe('ASTAR blockfile writer', () => {
  it('writes as the instrument does and reads back identically', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'w.blo');
    const frames = nd(
      new Uint8Array(3 * 5 * 6 * 6).map((_, i) => (i * 13) & 255),
      [3, 5, 6, 6],
    );
    writeBlo(f, frames, {
      scanStepNm: [3, 2],
      beamEnergyKeV: 200,
      sdp: 6226,
      cameraLength: 2000,
      note: 'Camera gamma : on',
      acquiredAt: new Date('2020-01-02T03:04:05Z'),
    });
    const raw = fs.readFileSync(f);
    expect(raw.subarray(0, 6).toString('latin1')).toBe('IMGBLO');
    expect(raw.readUInt32LE(8)).toBe(4096);
    expect(raw.readUInt32LE(12)).toBe(4112); // 4096 + 15 rounded up to 16
    expect(raw.readUInt32LE(16)).toBe(131135);
    expect(raw.length).toBe(4112 + 15 * (6 + 36));
    expect([raw[4112], raw[4113], raw.readUInt32LE(4114)]).toEqual([0xaa, 0x55, 0]);
    expect(raw.readUInt32LE(4112 + 14 * 42 + 2)).toBe(14);
    const h = openBlo(f);
    expect(h.scan).toEqual({ ny: 3, nx: 5 });
    expect(Array.from(h.read(0, 15).data)).toEqual(Array.from(frames.data));
    expect(h.meta.scanStepNm).toEqual([3, 2]);
    expect(h.meta.note).toBe('Camera gamma : on');
    expect(h.meta.acquiredAt).toBe('2020-01-02T03:04:05.000Z');
    // Default VBF: each frame's mean, truncated.
    const mean0 = Math.trunc(Array.from(frames.data.subarray(0, 36)).reduce((a, b) => a + b, 0) / 36);
    expect(h.vbf().data[0]).toBe(mean0);
    h.close();
  });

  it('clamps non-uint8 input and refuses non-square patterns', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'f.blo');
    writeBlo(f, nd(Float32Array.from([-3, 0.4, 254.6, 999]), [1, 2, 2]), {});
    expect(Array.from(openBlo(f).read(0, 1).data)).toEqual([0, 0, 255, 255]);
    expect(() => writeBlo(f, nd(new Uint8Array(6), [1, 2, 3]), {})).toThrow(/square patterns/);
  });
});
