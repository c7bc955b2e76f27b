import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../formats/open.ts';
import { readNpy, NpyStreamWriter, writeNpy } from '../../formats/npy.ts';
import { nd } from '../../engine/ndarray.ts';
import { beBytes, npyBytes, tmpDir } from './fixtures.ts';

describe('npy reader (hand-built files)', () => {
  it('reads big-endian uint16, int32, float32 and float64 frame stacks as native values', () => {
    const dir = tmpDir();
    const cases: [string, 'u2' | 'i4' | 'f4' | 'f8', number[]][] = [
      ['>u2', 'u2', [0, 1, 258, 65535, 4660, 7, 8, 9]],
      ['>i4', 'i4', [-1, 2, -300000, 4, 5, 6, 7, 2147483647]],
      ['>f4', 'f4', [0.5, -1.25, 3, 4, 5, 6, 7, 1e-3]],
      ['>f8', 'f8', [Math.PI, -1, 2, 3, 4, 5, 6, 1e300]],
    ];
    for (const [descr, kind, values] of cases) {
      const f = path.join(dir, `be-${kind}.npy`);
      fs.writeFileSync(f, npyBytes(descr, [2, 2, 2], beBytes(kind, values)));
      const h = openDataset(f);
      expect(h.scan).toEqual({ ny: 1, nx: 2 });
      const frames = h.read(0, 2);
      expect(frames.shape).toEqual([2, 2, 2]);
      const got = Array.from(frames.data as ArrayLike<number>);
      if (kind === 'f4') expect(got).toEqual(values.map((v) => Math.fround(v)));
      else expect(got).toEqual(values);
      h.close();
    }
  });

  it('reads v2.0 and v3.0 headers and every little-endian dtype', () => {
    const dir = tmpDir();
    const dtypes: [string, number, (b: Buffer, v: number, o: number) => void][] = [
      ['|u1', 1, (b, v, o) => b.writeUInt8(v, o)],
      ['|i1', 1, (b, v, o) => b.writeInt8(v, o)],
      ['<u2', 2, (b, v, o) => b.writeUInt16LE(v, o)],
      ['<i2', 2, (b, v, o) => b.writeInt16LE(v, o)],
      ['<u4', 4, (b, v, o) => b.writeUInt32LE(v, o)],
      ['<i4', 4, (b, v, o) => b.writeInt32LE(v, o)],
      ['<f4', 4, (b, v, o) => b.writeFloatLE(v, o)],
      ['<f8', 8, (b, v, o) => b.writeDoubleLE(v, o)],
    ];
    for (const version of [2, 3] as const) {
      for (const [descr, size, put] of dtypes) {
        const vals = [1, 2, 3, 4, 5, 6, 7, 8].map((v) => (descr.includes('i') ? -v : v));
        const data = Buffer.alloc(vals.length * size);
        vals.forEach((v, i) => {
          put(data, v, i * size);
        });
        const f = path.join(dir, `v${version}${descr.replace(/[<|>]/, '')}.npy`);
        fs.writeFileSync(f, npyBytes(descr, [1, 2, 2, 2], data, { version }));
        const h = openDataset(f);
        expect(h.scan).toEqual({ ny: 1, nx: 2 });
        expect(Array.from(h.read(1, 1).data as ArrayLike<number>)).toEqual(vals.slice(4));
        h.close();
      }
    }
  });

  it('uses the scan option for a 3-D stack and refuses a mismatched one', () => {
    const dir = tmpDir();
    const f = path.join(dir, 's.npy');
    writeNpy(
      f,
      nd(
        new Uint8Array(6 * 4).map((_, i) => i),
        [6, 2, 2],
      ),
    );
    const h = openDataset(f, { scan: '2x3' });
    expect(h.scan).toEqual({ ny: 2, nx: 3 });
    expect(Array.from(h.read(5, 1).data)).toEqual([20, 21, 22, 23]);
    h.close();
    expect(() => openDataset(f, { scan: [4, 4] })).toThrow(
      /s\.npy: scan 4×4 = 16 positions, but the file holds 6 frames/,
    );
  });

  it('refuses Fortran-ordered stacks with a message saying how to fix them', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'fortran.npy');
    fs.writeFileSync(f, npyBytes('|u1', [2, 2, 2], new Uint8Array(8), { fortran: true }));
    expect(() => openDataset(f)).toThrow(/fortran\.npy: Fortran-ordered .*ascontiguousarray/);
  });

  it('refuses unsupported dtypes, unknown versions and malformed headers', () => {
    const dir = tmpDir();
    const c8 = path.join(dir, 'c8.npy');
    fs.writeFileSync(c8, npyBytes('<c8', [1, 2, 2], new Uint8Array(32)));
    expect(() => openDataset(c8)).toThrow(/c8\.npy: unsupported \.npy dtype '<c8'/);
    const v9 = path.join(dir, 'v9.npy');
    const b = npyBytes('|u1', [1, 2, 2], new Uint8Array(4));
    b[6] = 9;
    fs.writeFileSync(v9, b);
    expect(() => openDataset(v9)).toThrow(/v9\.npy: unsupported \.npy format version 9\.0/);
    const bad = path.join(dir, 'bad.npy');
    fs.writeFileSync(
      bad,
      Buffer.from(
        npyBytes('|u1', [1, 2, 2], new Uint8Array(4)).toString('latin1').replace('shape', 'shapo'),
        'latin1',
      ),
    );
    expect(() => openDataset(bad)).toThrow(/bad\.npy: malformed \.npy header/);
  });

  it('refuses a header that claims more data than the file holds', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'short.npy');
    fs.writeFileSync(f, npyBytes('<u2', [4, 8, 8], new Uint8Array(100)));
    expect(() => openDataset(f)).toThrow(
      /short\.npy: truncated \.npy file: header declares shape \(4, 8, 8\) uint16 = 512 data bytes, but only 100/,
    );
  });

  it('refuses shapes that are not whole numbers (4.5 was read as 4, 1e400 as 1) and an empty scan', () => {
    const dir = tmpDir();
    const cases: [string, (number | string)[], RegExp][] = [
      [
        'half.npy',
        [4.5, 3, 8, 8],
        /half\.npy: malformed \.npy shape \(4\.5, 3, 8, 8\): expected whole numbers/,
      ],
      ['huge.npy', ['1e400', 4, 8, 8], /huge\.npy: malformed \.npy shape \(1e400, 4, 8, 8\)/],
      ['neg.npy', [-2, 3, 8, 8], /neg\.npy: malformed \.npy shape/],
      [
        'empty-scan.npy',
        [0, 3, 8, 8],
        /empty-scan\.npy: holds no scan positions \(scan 0 × 3; expected at least one pattern\)/,
      ],
    ];
    for (const [name, shape, re] of cases) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, npyBytes('|u1', shape as number[], new Uint8Array(8 * 8 * 12)));
      expect(() => openDataset(f)).toThrow(re);
    }
    const py2 = path.join(dir, 'py2.npy');
    fs.writeFileSync(py2, npyBytes('|u1', ['2L', '3L', 4, 4] as never, new Uint8Array(96)));
    expect(openDataset(py2).scan).toEqual({ ny: 2, nx: 3 });
  });

  it('refuses (sparse) files whose header matches a size no reader should load, stating the memory', () => {
    const dir = tmpDir();
    const frames = path.join(dir, 'wide.npy');
    fs.writeFileSync(frames, npyBytes('|u1', [1, 1, 100_000, 100_000], new Uint8Array(0)));
    fs.truncateSync(frames, fs.statSync(frames).size + 1e10); // sparse: the header's 10 GB, no disk used
    expect(() => openDataset(frames)).toThrow(
      /wide\.npy: frames of 100000 × 100000 pixels would need 10\.0 GB each as stored and 80\.0 GB as float64 while integrating .* at most 67,108,864 pixels per frame/,
    );
    const whole = path.join(dir, 'mask.npy');
    fs.writeFileSync(whole, npyBytes('|u1', [60_000, 60_000], new Uint8Array(0)));
    fs.truncateSync(whole, fs.statSync(whole).size + 3.6e9);
    expect(() => readNpy(whole)).toThrow(
      /mask\.npy: holds 3\.60 GB \(shape \(60000, 60000\) uint8\), more than the 2\.15 GB read whole here/,
    );
  });

  it('round-trips the streaming writer through openDataset', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'w.npy');
    const w = new NpyStreamWriter(f, 'uint16', [2, 2, 3, 3], 2);
    w.writeRows(
      0,
      new Uint16Array(36).map((_, i) => i * 1000),
    );
    w.close();
    const h = openDataset(f);
    expect(h.scan).toEqual({ ny: 2, nx: 2 });
    expect(h.dtype).toBe('uint16');
    expect(Array.from(h.read(2, 2).data)).toEqual(Array.from({ length: 18 }, (_, i) => (i + 18) * 1000));
    expect(readNpy(f).shape).toEqual([2, 2, 3, 3]);
    h.close();
  });
});
