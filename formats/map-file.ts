/**
 * One 2-D map acquired apart from the scan (an EELS or EDX elemental map, a HAADF image …) read
 * from npy, float TIFF, a CSV grid, an HDF5 / EMD dataset or a HyperSpy `.hspy` signal, with the
 * pixel size the file carries when it carries one (HyperSpy axes, EMD dim vectors).
 *
 * Rows are y (the first array axis), columns x, as in every snem map. Leading axes of length 1
 * are dropped ([1, H, W] is a map); anything else that is not 2-D is refused naming the shape.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../engine/errors.ts';
import type { Json, TypedArray } from '../engine/types.ts';
import { tableCells, tableLines } from './curve-table.ts';
import { attr, checkHdf5Superblock, dtypeOf, h5Error, isHdf5, loadHdf5 } from './hdf5.ts';
import { extOf } from './io.ts';
import { isNpy, readNpy } from './npy.ts';
import { checkReadableFile, readHead } from './io.ts';
import { isTiff, openTiff } from './tiff.ts';

export type MapFormat = 'npy' | 'tiff' | 'csv' | 'hdf5' | 'hspy';

export interface MapFile {
  format: MapFormat;
  ny: number;
  nx: number;
  /** Row-major [ny, nx]; non-finite values are kept (they mean "no data"). */
  data: Float64Array;
  /** Pixel size [y, x] in nm from the file itself, or null when it carries none. */
  pixelSizeNm: [number, number] | null;
  /** What the file says about the signal (title, units, the dataset path …). */
  meta: Record<string, Json>;
}

export interface MapReadOptions {
  format?: MapFormat | 'auto';
  /** Dataset inside an HDF5 / EMD / hspy file. */
  h5Path?: string;
}

/** nm per unit of a length unit as files spell it, or null for units that are not lengths. */
export function nmPerUnit(unit: string): number | null {
  const u = unit.trim().replace('μ', 'µ');
  const table: Record<string, number> = {
    nm: 1,
    Å: 0.1,
    A: 0.1,
    angstrom: 0.1,
    pm: 1e-3,
    µm: 1e3,
    um: 1e3,
    micron: 1e3,
    mm: 1e6,
    m: 1e9,
  };
  return table[u] ?? table[u.toLowerCase()] ?? null;
}

/** The format from the content (magic bytes) first, then the extension. */
export function detectMapFormat(file: string): MapFormat {
  const head = readHead(file, 4096);
  const ext = extOf(file).replace(/^\./, '');
  if (isNpy(head)) return 'npy';
  if (isTiff(head)) return 'tiff';
  if (isHdf5(head)) return ext === 'hspy' ? 'hspy' : 'hdf5';
  if (ext === 'csv' || ext === 'txt' || ext === 'tsv') return 'csv';
  throw new FileFormatError(
    file,
    `not a map file snem reads: expected NumPy .npy, TIFF, a CSV grid, HDF5 / EMD or HyperSpy .hspy (found neither their magic bytes nor a .csv extension)`,
  );
}

/** Drop leading axes of length 1; the rest must be [ny, nx]. */
function as2d(file: string, shape: readonly number[], where: string): [number, number] {
  const s = [...shape];
  while (s.length > 2 && s[0] === 1) s.shift();
  if (s.length !== 2 || s[0] < 2 || s[1] < 2) {
    throw new FileFormatError(
      file,
      `${where}expected a 2-D map [ny, nx] of at least 2 × 2 values, found shape (${shape.join(', ')})`,
    );
  }
  return [s[0], s[1]];
}

function toFloat64(
  a: ArrayLike<number> | TypedArray | bigint[] | BigInt64Array | BigUint64Array,
): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number((a as ArrayLike<number>)[i]);
  return out;
}

function readNpyMap(file: string): MapFile {
  const a = readNpy(file);
  const [ny, nx] = as2d(file, a.shape, '');
  return { format: 'npy', ny, nx, data: toFloat64(a.data), pixelSizeNm: null, meta: {} };
}

function readTiffMap(file: string): MapFile {
  const h = openTiff(file);
  try {
    const pages = h.scan.ny * h.scan.nx;
    if (pages !== 1)
      throw new FileFormatError(file, `expected one 2-D image, found a stack of ${pages} pages`);
    const [ny, nx] = as2d(file, h.frameShape, '');
    const meta: Record<string, Json> = {};
    if (typeof h.meta.imageDescription === 'string') meta.imageDescription = h.meta.imageDescription;
    return { format: 'tiff', ny, nx, data: toFloat64(h.read(0, 1).data), pixelSizeNm: null, meta };
  } finally {
    h.close();
  }
}

/** A grid of numbers: one line per row, cells separated by commas, semicolons, tabs or spaces; # comments; `nan` for no data. */
export function parseMapCsv(file: string, text: string): MapFile {
  const lines = tableLines(text);
  const rows = lines.map((l) => tableCells(l));
  const num = (c: string) => (/^[+-]?nan$/i.test(c) ? NaN : c === '' ? Number.NaN : Number(c));
  if (rows.length && rows[0].every((c) => !/^[+-]?nan$/i.test(c) && !Number.isFinite(Number(c))))
    rows.shift(); // a header line
  const nx = rows[0]?.length ?? 0;
  if (rows.length < 2 || nx < 2)
    throw new FileFormatError(
      file,
      `expected a grid of at least 2 rows × 2 columns of numbers, found ${rows.length} row(s) of ${nx} cell(s)`,
    );
  const data = new Float64Array(rows.length * nx);
  rows.forEach((cells, i) => {
    if (cells.length !== nx)
      throw new FileFormatError(
        file,
        `row ${i + 1}: expected ${nx} numbers like the first row, found ${cells.length}`,
      );
    cells.forEach((c, j) => {
      const v = num(c);
      if (Number.isNaN(v) && !/^[+-]?nan$/i.test(c))
        throw new FileFormatError(
          file,
          `row ${i + 1}, column ${j + 1}: expected a number, found ${JSON.stringify(c.slice(0, 20))}`,
        );
      data[i * nx + j] = v;
    });
  });
  return { format: 'csv', ny: rows.length, nx, data, pixelSizeNm: null, meta: {} };
}

type H5Node = {
  path: string;
  shape?: number[] | null;
  keys?: () => string[];
  attrs: Record<string, { json_value: unknown }>;
  value?: unknown;
  metadata?: unknown;
  type?: string;
};

/** Pixel size of one axis from an attribute-carrying node (HyperSpy axis group, EMD dim dataset). */
function axisStepNm(scale: unknown, units: unknown): number | null {
  if (typeof scale !== 'number' || !(Math.abs(scale) > 0)) return null;
  const k = typeof units === 'string' ? nmPerUnit(units) : null;
  return k === null ? null : Math.abs(scale) * k;
}

async function readHdf5Map(
  file: string,
  format: 'hdf5' | 'hspy',
  h5Path: string | undefined,
): Promise<MapFile> {
  const h5 = await loadHdf5();
  checkHdf5Superblock(file);
  let f: InstanceType<typeof h5.File>;
  try {
    f = new h5.File(path.resolve(file), 'r');
  } catch (e) {
    throw h5Error(file, 'cannot open as HDF5', e);
  }
  try {
    const get = (p: string) => {
      try {
        return f.get(p) as unknown as H5Node | null;
      } catch {
        return null;
      }
    };
    let dsPath = h5Path;
    if (!dsPath) {
      // HyperSpy: /Experiments/<title>/data. Otherwise the file's only 2-D dataset.
      const exps = get('/Experiments');
      const hs = exps?.keys
        ? exps
            .keys()
            .map((k) => `/Experiments/${k}/data`)
            .filter((p) => get(p))
        : [];
      if (hs.length === 1) dsPath = hs[0];
      else {
        const found: string[] = [];
        const queue: H5Node[] = [f as unknown as H5Node];
        while (queue.length && found.length < 50) {
          const g = queue.shift()!;
          for (const k of g.keys!()) {
            const c = get(`${g.path === '/' ? '' : g.path}/${k}`);
            if (!c) continue;
            if (typeof c.keys === 'function') queue.push(c);
            else if (Array.isArray(c.shape) && c.shape.filter((s) => s > 1).length === 2) found.push(c.path);
          }
        }
        if (found.length !== 1) {
          throw new FileFormatError(
            file,
            found.length
              ? `holds several 2-D datasets; choose one with the param h5Path: ${found.slice(0, 20).join(', ')}`
              : 'holds no 2-D dataset (expected a map [ny, nx])',
          );
        }
        dsPath = found[0];
      }
    }
    const ds = get(dsPath);
    if (!ds || typeof ds.keys === 'function' || !Array.isArray(ds.shape))
      throw new FileFormatError(
        file,
        `HDF5 path ${dsPath}: expected a dataset, found ${ds ? 'a group' : 'nothing'}`,
      );
    const [ny, nx] = as2d(file, ds.shape, `HDF5 dataset ${dsPath}: `);
    dtypeOf(file, dsPath, ds.metadata as never);
    const data = toFloat64(ds.value as ArrayLike<number>);
    const meta: Record<string, Json> = { h5Path: dsPath };
    const group = dsPath.replace(/\/[^/]*$/, '') || '/';
    let step: [number | null, number | null] = [null, null];
    // The two axes that are not of length 1, in array order (rows = y first).
    const kept = ds.shape.map((s, i) => (s > 1 ? i : -1)).filter((i) => i >= 0);
    const hsAxis = (i: number) => get(`${group}/axis-${i}`);
    if (hsAxis(kept[0]) && hsAxis(kept[1])) {
      step = kept.map((i) => {
        const a = hsAxis(i)!;
        return axisStepNm(attr(a, 'scale'), attr(a, 'units'));
      }) as [number | null, number | null];
      const g = get(group);
      const title = g ? attr(get(`${group}/metadata/General`) ?? g, 'title') : undefined;
      if (typeof title === 'string') meta.title = title;
      const q = get(`${group}/metadata/Signal`);
      const quantity = q ? attr(q, 'quantity') : undefined;
      if (typeof quantity === 'string') meta.quantity = quantity;
    } else {
      // EMD 1.0 / emdfile: dim1, dim2 … vectors beside data (1-based), with a units attribute.
      const dimStep = (i: number) => {
        const d = get(`${group}/dim${i + 1}`) ?? get(`${group}/dim${i}`);
        if (!d || !Array.isArray(d.shape) || d.shape[0] < 2) return null;
        const v = d.value as ArrayLike<number>;
        return axisStepNm(Number(v[1]) - Number(v[0]), attr(d, 'units'));
      };
      step = kept.map(dimStep) as [number | null, number | null];
    }
    return {
      format,
      ny,
      nx,
      data,
      pixelSizeNm: step[0] !== null && step[1] !== null ? [step[0], step[1]] : null,
      meta,
    };
  } catch (e) {
    throw h5Error(file, 'not a readable 2-D map', e);
  } finally {
    try {
      f.close();
    } catch {
      /* already closed */
    }
  }
}

/** Read a map file whole (maps are small: even 2048² float64 is 32 MB). */
export async function readMapFile(file: string, opts: MapReadOptions = {}): Promise<MapFile> {
  checkReadableFile(file);
  if (fs.statSync(file).size === 0) throw new FileFormatError(file, 'the file is empty');
  const format = !opts.format || opts.format === 'auto' ? detectMapFormat(file) : opts.format;
  let m: MapFile;
  if (format === 'npy') m = readNpyMap(file);
  else if (format === 'tiff') m = readTiffMap(file);
  else if (format === 'csv') m = parseMapCsv(file, fs.readFileSync(file, 'utf8'));
  else m = await readHdf5Map(file, format, opts.h5Path);
  let finite = 0;
  for (let i = 0; i < m.data.length; i++) if (Number.isFinite(m.data[i])) finite++;
  if (finite < 3)
    throw new FileFormatError(file, `the map holds ${finite} finite value(s) (expected a map of numbers)`);
  return m;
}
