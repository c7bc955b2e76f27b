/**
 * Pre-integrated 1-D profiles as a dataset of kind 'profiles' (frameShape [n]): a CSV with columns
 * x, I (one profile, a 1×1 scan), or an `.npy` of [ny, nx, n] (also [positions, n] or [n]) with
 * its x axis in the sibling `NAME.axis.npy`, as snem's own run directories write them. The x axis
 * is carried in `meta.x` (its unit is declared by the consumer, `source.profiles`' `xUnit`).
 * Profiles are small, so the CSV is parsed whole; the npy is still read by positioned slabs.
 */
import fs from 'node:fs';
import { FileFormatError } from '../engine/errors.ts';
import type { DatasetHandle, Json, ScanShape } from '../engine/types.ts';
import { NpyReader, readNpy, readNpyHeader } from './npy.ts';
import { sibling } from './io.ts';
import { tableCells, tableLines } from './curve-table.ts';

export function axisFileOf(npyFile: string): string {
  return sibling(npyFile, '.axis.npy');
}

export interface CsvProfile {
  header: string[] | null;
  x: Float64Array;
  y: Float32Array;
}

export function parseProfileCsv(file: string, text: string): CsvProfile {
  const lines = tableLines(text);
  if (lines.length === 0)
    throw new FileFormatError(file, 'CSV profile holds no data rows (expected a header line and rows "x,I")');
  let header: string[] | null = null;
  const first = tableCells(lines[0]);
  if (first.some((c) => c === '' || !Number.isFinite(Number(c)))) {
    header = first;
    lines.shift();
  }
  if (lines.length === 0)
    throw new FileFormatError(file, 'CSV profile holds no data rows (expected a header line and rows "x,I")');
  const x: number[] = [];
  const y: number[] = [];
  lines.forEach((l, i) => {
    const cells = tableCells(l);
    const a = Number(cells[0]);
    const b = Number(cells[1]);
    if (cells.length < 2 || cells[0] === '' || cells[1] === '' || !Number.isFinite(a) || Number.isNaN(b)) {
      throw new FileFormatError(
        file,
        `CSV profile row ${i + (header ? 2 : 1)}: expected two numbers "x,I", found ${JSON.stringify(l.slice(0, 80))}`,
      );
    }
    x.push(a);
    y.push(b);
  });
  for (let i = 1; i < x.length; i++) {
    if (!(x[i] > x[i - 1]))
      throw new FileFormatError(
        file,
        `CSV profile: x must increase, but row ${i + 1} has x=${x[i]} after ${x[i - 1]}`,
      );
  }
  return { header, x: Float64Array.from(x), y: Float32Array.from(y) };
}

function openCsvProfile(file: string): DatasetHandle {
  const p = parseProfileCsv(file, fs.readFileSync(file, 'utf8'));
  const n = p.x.length;
  const meta: Record<string, Json> = { x: Array.from(p.x) };
  if (p.header) meta.columns = p.header;
  return {
    path: file,
    format: 'csv',
    kind: 'profiles',
    scan: { ny: 1, nx: 1 },
    frameShape: [n],
    dtype: 'float32',
    meta,
    read(start, count) {
      if (start !== 0 || count !== 1)
        throw new RangeError(`${file}: a CSV profile has one position; asked for ${start}+${count}`);
      return { dtype: 'float32', shape: [1, n], data: Float32Array.from(p.y) };
    },
    close() {},
  };
}

function openNpyProfiles(file: string, opts: { scan?: ScanShape }): DatasetHandle {
  const axisFile = axisFileOf(file);
  if (!fs.existsSync(axisFile))
    throw new FileFormatError(file, `profiles .npy needs its x axis in ${axisFile} (not found)`);
  const axis = readNpy(axisFile);
  const shape = readNpyHeader(file).shape;
  const n = shape[shape.length - 1];
  if (axis.shape.length !== 1 || axis.shape[0] !== n) {
    throw new FileFormatError(
      axisFile,
      `expected a 1-D axis of ${n} values (the last dimension of ${file}), found shape (${axis.shape.join(', ')})`,
    );
  }
  let scan: ScanShape;
  if (shape.length === 3) scan = { ny: shape[0], nx: shape[1] };
  else if (shape.length === 2) scan = opts.scan ?? { ny: 1, nx: shape[0] };
  else if (shape.length === 1) scan = { ny: 1, nx: 1 };
  else
    throw new FileFormatError(
      file,
      `profiles .npy: expected [ny, nx, n], [positions, n] or [n], found shape (${shape.join(', ')})`,
    );
  const positions = shape.length === 1 ? 1 : sizeOfLeading(shape);
  if (scan.ny * scan.nx !== positions)
    throw new FileFormatError(
      file,
      `scan ${scan.ny}×${scan.nx} = ${scan.ny * scan.nx} positions, but the file holds ${positions} profiles`,
    );
  const r = new NpyReader(file, Math.max(0, shape.length - 1));
  return {
    path: file,
    format: 'npy',
    kind: 'profiles',
    scan,
    frameShape: [n],
    dtype: r.header.dtype,
    meta: { x: Array.from(axis.data as ArrayLike<number>) },
    read(start, count) {
      const rows = shape.length === 1 ? r.readAll() : r.readRows(start, count);
      return { dtype: rows.dtype, shape: [count, n], data: rows.data };
    },
    close: () => r.close(),
  };
}

function sizeOfLeading(shape: number[]): number {
  return shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

export function openProfiles(file: string, opts: { scan?: ScanShape } = {}): DatasetHandle {
  if (/\.(csv|txt|dat)$/i.test(file)) return openCsvProfile(file);
  return openNpyProfiles(file, opts);
}
