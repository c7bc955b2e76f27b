import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHdf5 } from '../../formats/hdf5.ts';
import { openDataset, openDatasetAsync } from '../../formats/open.ts';
import { mismatches, tmpDir } from './fixtures.ts';

type H5 = Awaited<ReturnType<typeof loadHdf5>>;
let h5: H5;
beforeAll(async () => {
  h5 = await loadHdf5();
});

const cube = (ny: number, nx: number, h: number, w: number) =>
  new Uint16Array(ny * nx * h * w).map((_, i) => (i * 31) % 65521);

/** An emdfile / py4DSTEM EMD 1.0 layout: root group → DataCube array group with data and dims. */
function writeEmd(file: string, data: Uint16Array, shape: number[]) {
  const f = new h5.File(file, 'w');
  f.create_attribute('emd_group_type', 'file');
  f.create_attribute('version_major', 1);
  const root = f.create_group('experiment');
  root.create_attribute('emd_group_type', 'root');
  const dc = root.create_group('datacube');
  dc.create_attribute('emd_group_type', 1);
  dc.create_attribute('python_class', 'DataCube');
  dc.create_dataset({
    name: 'data',
    data,
    shape,
    dtype: '<H',
    chunks: [1, 2, shape[2], shape[3]],
    compression: 'gzip',
    compression_opts: 4,
  });
  const dim = (name: string, step: number, n: number, units: string) => {
    const d = dc.create_dataset({ name, data: Float64Array.from({ length: n }, (_, i) => i * step) });
    d.create_attribute('units', units);
  };
  dim('dim0', 2.5, shape[0], 'nm');
  dim('dim1', 2.5, shape[1], 'nm');
  dim('dim2', 0.0125, shape[2], 'A^-1');
  dim('dim3', 0.0125, shape[3], 'A^-1');
  const md = dc.create_group('metadatabundle');
  const cal = md.create_group('calibration');
  cal.create_attribute('emd_group_type', 0);
  cal.create_attribute('R_pixel_size', 2.5);
  cal.create_attribute('R_pixel_units', 'nm');
  cal.create_attribute('Q_pixel_size', 0.0125);
  cal.create_attribute('Q_pixel_units', 'A^-1');
  cal.create_attribute('qx0_mean', 10.5);
  cal.create_attribute('qy0_mean', 11.25);
  // A decoy 4-D dataset elsewhere: the DataCube must still be chosen.
  f.create_group('other').create_dataset({ name: 'thing', data: new Uint8Array(16), shape: [1, 1, 4, 4] });
  f.close();
}

describe('HDF5 / EMD via h5wasm', () => {
  it('finds the EMD 1.0 DataCube, reads chunked gzip data by hyperslab across scan rows, and its calibration', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'cube.emd');
    const shape = [3, 4, 6, 5];
    const data = cube(3, 4, 6, 5);
    writeEmd(file, data, shape);
    const h = await openDatasetAsync(file);
    expect(h.format).toBe('emd');
    expect(h.meta.h5Path).toBe('/experiment/datacube/data');
    expect(h.meta.h5Chunks).toEqual([1, 2, 6, 5]);
    expect(h.scan).toEqual({ ny: 3, nx: 4 });
    expect(h.frameShape).toEqual([6, 5]);
    expect(h.dtype).toBe('uint16');
    expect(h.meta.scanStepNm).toBe(2.5);
    expect(h.meta.gPerPixel).toBe(0.0125);
    expect(h.meta.qPerPixel as number).toBeCloseTo(2 * Math.PI * 0.0125, 12);
    expect(h.meta.center).toEqual([11.25, 10.5]);
    // Positions 3 … 9 span rows 0, 1 and 2.
    const fr = h.read(3, 7);
    expect(fr.shape).toEqual([7, 6, 5]);
    expect(mismatches(fr.data, data.subarray(3 * 30, 10 * 30))).toBe(0);
    h.close();
  });

  it('reads any dataset by h5Path, a 3-D stack with a scan, and refuses a group path or a bad shape', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'plain.h5');
    const f = new h5.File(file, 'w');
    const g = f.create_group('entry');
    g.create_dataset({
      name: 'stack',
      data: Float32Array.from({ length: 6 * 4 * 4 }, (_, i) => i / 2),
      shape: [6, 4, 4],
      chunks: [2, 4, 4],
    });
    g.create_dataset({ name: 'flat', data: new Uint8Array(16), shape: [16] });
    f.close();
    const h = await openDatasetAsync(file, { h5Path: '/entry/stack', scan: '2x3' });
    expect(h.format).toBe('hdf5');
    expect(h.scan).toEqual({ ny: 2, nx: 3 });
    expect(Array.from(h.read(5, 1).data)).toEqual(Array.from({ length: 16 }, (_, i) => (80 + i) / 2));
    h.close();
    // Without h5Path the only rank-3 dataset is not a 4-D cube: the message lists candidates.
    expect(() => openDataset(file)).toThrow(
      /plain\.h5: HDF5 file holds several candidate datasets; choose one with the dataset option h5Path: \/entry\/stack/,
    );
    expect(() => openDataset(file, { h5Path: '/entry' })).toThrow(
      /plain\.h5: HDF5 path \/entry: expected a dataset, found a group/,
    );
    expect(() => openDataset(file, { h5Path: '/entry/flat' })).toThrow(
      /expected a 3-D \[n, h, w\] or 4-D \[ny, nx, h, w\] array, found shape \(16\)/,
    );
    expect(() => openDataset(file, { h5Path: '/entry/stack', scan: '4x4' })).toThrow(
      /scan 4×4 = 16 positions, but \/entry\/stack holds 6 frames/,
    );
  });

  it('refuses a truncated HDF5 file and reports a corrupted chunk naming the file', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'cut.emd');
    writeEmd(file, cube(2, 2, 8, 8), [2, 2, 8, 8]);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(openDatasetAsync(file)).rejects.toThrow(
      /cut\.emd: truncated HDF5 file: the superblock declares \d+ bytes, the file has \d+/,
    );
    // Overwrite the gzip stream of the chunks (found by their zlib header 78 xx) with junk.
    const bad = Buffer.from(bytes);
    let hits = 0;
    for (let i = 0; i + 1 < bad.length; i++) {
      if (
        bad[i] === 0x78 &&
        (bad[i + 1] === 0x5e || bad[i + 1] === 0x9c || bad[i + 1] === 0x01 || bad[i + 1] === 0xda)
      ) {
        bad.fill(0xff, i, i + 12);
        hits++;
      }
    }
    expect(hits).toBeGreaterThan(0);
    const corrupt = path.join(dir, 'corrupt.emd');
    fs.writeFileSync(corrupt, bad);
    const h = await openDatasetAsync(corrupt);
    expect(() => h.read(0, 4)).toThrow(/corrupt\.emd: reading \/experiment\/datacube\/data/);
    h.close();
  });
});
