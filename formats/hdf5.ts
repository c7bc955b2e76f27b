/**
 * HDF5 / EMD through h5wasm (the HDF5 C library compiled to WebAssembly; reads the file in place
 * through Node's file system, so only the requested hyperslabs — and the chunks holding them —
 * are read and decompressed).
 *
 * The dataset is `opts.h5Path` if given; otherwise a py4DSTEM / emdfile EMD 1.0 DataCube (a group
 * with `emd_group_type` 1 and `python_class` "DataCube" holding `data` [Rx, Ry, Qx, Qy] and
 * `dim0…dim3` vectors); otherwise the only 4-D dataset in the file. Calibration comes from a
 * `calibration` metadata group (R_pixel_size/units, Q_pixel_size/units; py4DSTEM's Å⁻¹ is 1/d) or
 * from the dim vectors.
 *
 * h5wasm initialises asynchronously: call `await loadHdf5()` once (openDatasetAsync does) before
 * the synchronous `openHdf5`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../engine/errors.ts';
import { openForRead, readUpTo } from './io.ts';
import { closeFd } from './stack.ts';
import { ctorOf } from '../engine/ndarray.ts';
import type { DatasetHandle, DType, Json, NDArray, ScanShape, TypedArray } from '../engine/types.ts';

type H5Module = typeof import('h5wasm/node');
type H5Dataset = import('h5wasm/node').Dataset;
type H5Group = import('h5wasm/node').Group;

let h5: H5Module | null = null;

/** Load and initialise h5wasm (about half a second, once per process or worker). */
export async function loadHdf5(): Promise<H5Module> {
  if (!h5) {
    const m = await import('h5wasm/node');
    await m.ready;
    // Turn HDF5 errors into exceptions: by default the library prints them to stderr and, for a
    // failed read (e.g. a corrupted chunk), h5wasm would hand back an uninitialised buffer.
    (m.Module as unknown as { activate_throwing_error_handler(): number }).activate_throwing_error_handler();
    h5 = m;
  }
  return h5;
}

export function hdf5Ready(): boolean {
  return h5 !== null;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(head: Uint8Array): boolean {
  // The superblock sits at 0, or after a user block of 512, 1024, 2048 … bytes.
  for (const at of [0, 512, 1024, 2048]) {
    if (head.length >= at + 8 && HDF5_SIGNATURE.every((b, i) => head[at + i] === b)) return true;
  }
  return false;
}

/**
 * Check the superblock's end-of-file address against the real size, so a truncated file is
 * refused with one clear message before the HDF5 library reports it on stderr.
 */
export function checkHdf5Superblock(file: string): void {
  const fd = openForRead(file);
  try {
    const size = fs.fstatSync(fd).size;
    const head = readUpTo(fd, 2048 + 96, 0);
    const at = [0, 512, 1024, 2048].find(
      (o) => head.length >= o + 8 && HDF5_SIGNATURE.every((b, i) => head[o + i] === b),
    );
    if (at === undefined)
      throw new FileFormatError(file, 'not an HDF5 file: expected the signature \\x89HDF\\r\\n\\x1a\\n');
    const version = head[at + 8];
    const sizeOfOffsets = version <= 1 ? head[at + 13] : head[at + 9];
    if (![2, 4, 8].includes(sizeOfOffsets))
      throw new FileFormatError(
        file,
        `corrupted HDF5 superblock: size of offsets ${sizeOfOffsets} (expected 2, 4 or 8)`,
      );
    const baseAt = at + (version === 0 ? 24 : version === 1 ? 28 : 12);
    const eofAt = baseAt + 2 * sizeOfOffsets;
    if (head.length < eofAt + sizeOfOffsets) throw new FileFormatError(file, 'truncated HDF5 superblock');
    const readAddr = (o: number) =>
      sizeOfOffsets === 8
        ? Number(head.readBigUInt64LE(o))
        : sizeOfOffsets === 4
          ? head.readUInt32LE(o)
          : head.readUInt16LE(o);
    const base = readAddr(baseAt);
    const eof = readAddr(eofAt);
    if (base + eof > size) {
      throw new FileFormatError(
        file,
        `truncated HDF5 file: the superblock declares ${base + eof} bytes, the file has ${size}`,
      );
    }
  } finally {
    closeFd(fd);
  }
}

/** h5wasm reports failures as plain strings or Errors; name the file and say what failed. */
export function h5Error(file: string, what: string, e: unknown): FileFormatError {
  if (e instanceof FileFormatError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  // The HDF5 error stack is long; its "minor" lines say what went wrong.
  const minors = [...msg.matchAll(/minor:\s*([^\n]+)/g)].map((m) => m[1].trim());
  const short = minors.length
    ? [...new Set(minors)].slice(0, 3).join('; ')
    : msg.replace(/\s+/g, ' ').slice(0, 200);
  return new FileFormatError(file, `${what}: ${short}`);
}

export function dtypeOf(
  file: string,
  dsPath: string,
  meta: { type: number; size: number; signed: boolean },
): DType {
  const int = { 1: ['uint8', 'int8'], 2: ['uint16', 'int16'], 4: ['uint32', 'int32'] } as Record<
    number,
    [DType, DType]
  >;
  if (meta.type === 0 && int[meta.size]) return int[meta.size][meta.signed ? 1 : 0];
  if (meta.type === 1 && meta.size === 4) return 'float32';
  if (meta.type === 1 && meta.size === 8) return 'float64';
  throw new FileFormatError(
    file,
    `HDF5 dataset ${dsPath}: element type (class ${meta.type}, ${meta.size} bytes) is not supported (expected 8/16/32-bit integers or 32/64-bit floats)`,
  );
}

export function attr(obj: { attrs: Record<string, { json_value: unknown }> }, name: string): unknown {
  try {
    return obj.attrs[name]?.json_value;
  } catch {
    return undefined;
  }
}

interface Found {
  path: string;
  emd: boolean;
}

/** Every DataCube group and every dataset of rank ≥ 3 (breadth-first, bounded). */
function survey(root: H5Group): { cubes: Found[]; arrays: Found[] } {
  const cubes: Found[] = [];
  const arrays: Found[] = [];
  const queue: H5Group[] = [root];
  let visited = 0;
  while (queue.length && visited < 5000) {
    const g = queue.shift()!;
    for (const key of g.keys()) {
      visited++;
      const child = g.get(key) as unknown as {
        type?: number;
        shape?: number[] | null;
        keys?: () => string[];
        path: string;
        attrs: Record<string, { json_value: unknown }>;
      } | null;
      if (!child) continue;
      if (typeof child.keys === 'function') {
        const type = attr(child, 'emd_group_type');
        const cls = attr(child, 'python_class');
        if (
          (type === 1 || type === '1') &&
          child.keys().includes('data') &&
          (cls === undefined || cls === 'DataCube')
        ) {
          cubes.push({ path: `${child.path}/data`, emd: true });
        }
        queue.push(child as unknown as H5Group);
      } else if (Array.isArray(child.shape) && child.shape.length >= 3) {
        arrays.push({ path: child.path, emd: false });
      }
    }
  }
  return { cubes, arrays };
}

function num(v: unknown): number | null {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'number' && Number.isFinite(x) ? x : typeof x === 'bigint' ? Number(x) : null;
}

function str(v: unknown): string | null {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' ? x : null;
}

/** A value stored either as an attribute of the group or as a scalar dataset inside it. */
function readKey(g: H5Group, key: string): unknown {
  const a = attr(g as never, key);
  if (a !== undefined) return a;
  if (!g.keys().includes(key)) return undefined;
  const d = g.get(key) as H5Dataset | null;
  try {
    return d?.json_value;
  } catch {
    return undefined;
  }
}

function findGroup(root: H5Group, name: string, maxVisit = 2000): H5Group | null {
  const queue: H5Group[] = [root];
  let visited = 0;
  while (queue.length && visited < maxVisit) {
    const g = queue.shift()!;
    for (const key of g.keys()) {
      visited++;
      const child = g.get(key) as unknown as H5Group | null;
      if (child && typeof (child as H5Group).keys === 'function') {
        if (key === name) return child;
        queue.push(child);
      }
    }
  }
  return null;
}

/** Scan step in nm from a length and its unit (nm, Å/A, µm/um, pixels → none). */
function toNm(value: number, unit: string | null): number | null {
  const u = (unit ?? '').trim();
  if (/^(nm)$/i.test(u)) return value;
  if (/^(A|Å|angstrom)$/i.test(u)) return value / 10;
  if (/^(um|µm|μm)$/i.test(u)) return value * 1000;
  return null;
}

function emdMeta(file: H5Group, cubeGroup: H5Group | null): Record<string, Json> {
  const meta: Record<string, Json> = {};
  const cal = (cubeGroup && findGroup(cubeGroup, 'calibration')) ?? findGroup(file, 'calibration');
  if (cal) {
    const r = num(readKey(cal, 'R_pixel_size'));
    const rUnit = str(readKey(cal, 'R_pixel_units'));
    const q = num(readKey(cal, 'Q_pixel_size'));
    const qUnit = str(readKey(cal, 'Q_pixel_units'));
    const step = r !== null ? toNm(r, rUnit) : null;
    if (step !== null) meta.scanStepNm = step;
    if (q !== null && qUnit && /^A\^-1$|^Å⁻¹$|^1\/A$/i.test(qUnit)) {
      // py4DSTEM's reciprocal unit is 1/d (g); snem's Q is 2π/d.
      meta.gPerPixel = q;
      meta.qPerPixel = 2 * Math.PI * q;
    } else if (q !== null && qUnit === 'mrad') {
      meta.mradPerPixel = q;
    }
    const qx0 = num(readKey(cal, 'qx0_mean'));
    const qy0 = num(readKey(cal, 'qy0_mean'));
    // py4DSTEM's qx is the row axis, qy the column axis; snem's centre is [col, row].
    if (qx0 !== null && qy0 !== null) meta.center = [qy0, qx0];
  }
  if (cubeGroup && meta.scanStepNm === undefined) {
    const dims = cubeGroup.keys();
    const stepOf = (name: string) => {
      if (!dims.includes(name)) return null;
      const d = cubeGroup.get(name) as H5Dataset | null;
      const v = d?.value as unknown as ArrayLike<number> | null;
      if (!d || !v || v.length < 2) return null;
      return { step: Number(v[1]) - Number(v[0]), unit: str(attr(d as never, 'units')) };
    };
    const r = stepOf('dim0');
    const s = r && toNm(r.step, r.unit);
    if (s) meta.scanStepNm = s;
    const q = stepOf('dim2');
    if (q && meta.gPerPixel === undefined && q.unit && /^A\^-1$|^Å⁻¹$/i.test(q.unit)) {
      meta.gPerPixel = q.step;
      meta.qPerPixel = 2 * Math.PI * q.step;
    }
  }
  return meta;
}

export interface Hdf5OpenOptions {
  scan?: ScanShape;
  /** Path of the dataset inside the file, e.g. "/experiment/datacube/data". */
  h5Path?: string;
}

export function openHdf5(file: string, opts: Hdf5OpenOptions = {}): DatasetHandle {
  if (!h5) {
    throw new Error(
      'HDF5 support is not initialised: call `await loadHdf5()` (or use openDatasetAsync) before opening an HDF5 file',
    );
  }
  checkHdf5Superblock(file);
  let f: InstanceType<H5Module['File']>;
  try {
    f = new h5.File(path.resolve(file), 'r');
  } catch (e) {
    throw h5Error(file, 'cannot open as HDF5', e);
  }
  if (!(f.file_id > 0n))
    throw new FileFormatError(file, 'cannot open as HDF5 (the library rejected the file)');
  try {
    let dsPath = opts.h5Path;
    let emd = false;
    if (!dsPath) {
      const { cubes, arrays } = survey(f as unknown as H5Group);
      const four = arrays.filter((a) => ((f.get(a.path) as H5Dataset).shape ?? []).length === 4);
      const pick = cubes.length === 1 ? cubes[0] : cubes.length === 0 && four.length === 1 ? four[0] : null;
      if (!pick) {
        const candidates = [...cubes, ...arrays].map((c) => c.path);
        throw new FileFormatError(
          file,
          candidates.length === 0
            ? 'HDF5 file holds no dataset of rank 3 or 4 (expected a 4D-STEM datacube)'
            : `HDF5 file holds several candidate datasets; choose one with the dataset option h5Path: ${candidates.slice(0, 20).join(', ')}`,
        );
      }
      dsPath = pick.path;
      emd = pick.emd;
    }
    const entity = f.get(dsPath) as H5Dataset | null;
    if (!entity || !('shape' in entity) || typeof (entity as H5Dataset).slice !== 'function') {
      throw new FileFormatError(
        file,
        `HDF5 path ${dsPath}: expected a dataset, found ${entity ? 'a group' : 'nothing'}`,
      );
    }
    const ds = entity;
    const shape = ds.shape ?? [];
    const md = ds.metadata;
    const dtype = dtypeOf(file, dsPath, md as never);
    let scan: ScanShape;
    if (shape.length === 4) scan = { ny: shape[0], nx: shape[1] };
    else if (shape.length === 3) {
      scan = opts.scan ?? { ny: 1, nx: shape[0] };
      if (scan.ny * scan.nx !== shape[0])
        throw new FileFormatError(
          file,
          `scan ${scan.ny}×${scan.nx} = ${scan.ny * scan.nx} positions, but ${dsPath} holds ${shape[0]} frames`,
        );
    } else {
      throw new FileFormatError(
        file,
        `HDF5 dataset ${dsPath}: expected a 3-D [n, h, w] or 4-D [ny, nx, h, w] array, found shape (${shape.join(', ')})`,
      );
    }
    if (shape.length === 4 && opts.scan && (opts.scan.ny !== shape[0] || opts.scan.nx !== shape[1])) {
      throw new FileFormatError(
        file,
        `scan ${opts.scan.ny}×${opts.scan.nx} given, but ${dsPath} is a ${shape[0]}×${shape[1]} scan`,
      );
    }
    const frameShape = shape.slice(-2);
    const meta: Record<string, Json> = { h5Path: dsPath };
    if (md.chunks) meta.h5Chunks = md.chunks;
    const groupPath = dsPath.replace(/\/[^/]*$/, '') || '/';
    const group = emd ? (f.get(groupPath) as unknown as H5Group) : null;
    Object.assign(meta, emdMeta(f as unknown as H5Group, group));
    if (emd) meta.emd = '1.0 DataCube';

    const sliceRows = (ranges: [number, number][]): TypedArray => {
      let v: unknown;
      try {
        v = ds.slice(ranges);
      } catch (e) {
        throw h5Error(file, `reading ${dsPath} ${JSON.stringify(ranges)} failed`, e);
      }
      if (!ArrayBuffer.isView(v))
        throw new FileFormatError(
          file,
          `HDF5 dataset ${dsPath}: unexpected value type when reading ${JSON.stringify(ranges)}`,
        );
      return v as TypedArray;
    };
    const read = (start: number, count: number): NDArray => {
      if (start < 0 || count < 0 || start + count > scan.ny * scan.nx)
        throw new RangeError(`${file}: positions ${start}…${start + count - 1} outside the scan`);
      if (shape.length === 3)
        return { dtype, shape: [count, ...frameShape], data: sliceRows([[start, start + count]]) };
      // 4-D: one hyperslab. Within one scan row it is exact; across rows it covers the whole rows
      // touched (at most 2·nx extra frames) so that each HDF5 chunk is decompressed once per call,
      // whatever the chunk cache size, then the wanted positions are cut out.
      const iy0 = Math.floor(start / scan.nx);
      const iy1 = Math.floor((start + count - 1) / scan.nx);
      if (count === 0) return { dtype, shape: [0, ...frameShape], data: new (ctorOf(dtype))(0) };
      if (iy0 === iy1) {
        const x0 = start - iy0 * scan.nx;
        return {
          dtype,
          shape: [count, ...frameShape],
          data: sliceRows([
            [iy0, iy0 + 1],
            [x0, x0 + count],
          ]),
        };
      }
      const block = sliceRows([
        [iy0, iy1 + 1],
        [0, scan.nx],
      ]);
      const frameElems = frameShape[0] * frameShape[1];
      const from = (start - iy0 * scan.nx) * frameElems;
      return {
        dtype,
        shape: [count, ...frameShape],
        data: block.slice(from, from + count * frameElems) as TypedArray,
      };
    };
    let open = true;
    return {
      path: file,
      format: emd ? 'emd' : 'hdf5',
      kind: 'frames',
      scan,
      frameShape,
      dtype,
      meta,
      read,
      close() {
        if (open) f.close();
        open = false;
      },
    };
  } catch (e) {
    try {
      f.close();
    } catch {
      /* the library may already have dropped it */
    }
    throw h5Error(file, 'not a readable 4D-STEM HDF5 file', e);
  }
}
