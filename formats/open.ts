/**
 * Open a data file as a streaming `DatasetHandle`: the format is detected from magic bytes first,
 * then the extension. Each format lives in its own module; this file only dispatches.
 *
 * Options (the graph's `dataset` object minus `path`, or CLI flags):
 * - `scan`: {ny, nx} (also [ny, nx] or "NYxNX") for files that store a flat stack of frames
 *   (npy [n, h, w], mib, raw, TIFF stacks, 3-D HDF5); must match what the file holds.
 * - `allowTruncated`: read a file holding fewer frames than its header declares; the missing
 *   frames are NaN and the dtype becomes float32 (blo, mib, raw).
 * - `raw`: {shape: [rows, cols], dtype, offset, frameHeaderBytes, frameFooterBytes, dropRows,
 *   littleEndian}: read the file as raw binary with that layout, whatever its extension.
 * - `h5Path`: the dataset inside an HDF5/EMD file (default: the EMD DataCube or the only 4-D dataset).
 * - `kind: "profiles"` (or `profiles: true`): open 1-D profiles (`.npy` + `NAME.axis.npy`) for
 *   `source.profiles`. CSV files and npy files with an axis sibling are profiles anyway.
 *
 * HDF5 needs h5wasm initialised (asynchronous): use `openDatasetAsync`, or `await loadHdf5()` once
 * before the synchronous `openDataset`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../engine/errors.ts';
import { formatBytes } from '../engine/format-bytes.ts';
import { bytesPerElement } from '../engine/ndarray.ts';
import type { DatasetHandle, Json, ScanShape } from '../engine/types.ts';
import { isBlo, openBlo } from './blo.ts';
import { hdf5Ready, isHdf5, loadHdf5, openHdf5 } from './hdf5.ts';
import { findEmpadXmlFor, isEmpadXml, pickEmpadScan, readEmpadXml, type EmpadXml } from './empad-xml.ts';
import { extOf } from './io.ts';
import { isMerlinHdr, isMib, openMib } from './mib.ts';
import { NpyReader, isNpy, readNpyHeader } from './npy.ts';
import { axisFileOf, openProfiles } from './profiles.ts';
import { guessRawLayout, openRaw, type RawLayout } from './raw.ts';
import { isTiff, openTiff } from './tiff.ts';

export type { RawLayout } from './raw.ts';

export interface OpenOptions {
  /** Scan shape for formats that store a flat stack of frames ([n, h, w]). */
  scan?: ScanShape | [number, number] | string;
  /** Read a truncated file anyway, missing frames NaN (formats that support it). */
  allowTruncated?: boolean;
  /** Raw binary layout (EMPAD: {shape: [130, 128], dtype: 'float32', dropRows: 2}). */
  raw?: RawLayout;
  /** Dataset path inside an HDF5 / EMD file. */
  h5Path?: string;
  /** Open as 1-D profiles (kind 'profiles'). */
  profiles?: boolean;
  /** 'profiles' is the same as `profiles: true`; the graph's `dataset.kind`. */
  kind?: 'frames' | 'profiles';
}

/** Options with `scan` normalised to {ny, nx}. */
export interface ResolvedOptions extends Omit<OpenOptions, 'scan'> {
  scan?: ScanShape;
}

export interface FormatModule {
  name: string;
  /** true if the first bytes (and/or extension, options) identify this format. */
  sniff(head: Buffer, file: string, opts?: ResolvedOptions): boolean;
  open(file: string, opts: ResolvedOptions): DatasetHandle;
}

export function parseScan(s: OpenOptions['scan'], where = 'scan'): ScanShape | undefined {
  if (s === undefined || s === null) return undefined;
  let ny: number;
  let nx: number;
  if (typeof s === 'string') {
    const m = /^\s*(\d+)\s*[x×,]\s*(\d+)\s*$/i.exec(s);
    if (!m)
      throw new FileFormatError(
        where,
        `expected a scan shape "NYxNX" (e.g. 289x132), found ${JSON.stringify(s)}`,
      );
    [ny, nx] = [Number(m[1]), Number(m[2])];
  } else if (Array.isArray(s)) [ny, nx] = s;
  else ({ ny, nx } = s);
  if (!Number.isInteger(ny) || !Number.isInteger(nx) || ny < 1 || nx < 1) {
    throw new FileFormatError(
      where,
      `expected a scan shape of two positive integers, found ${JSON.stringify(s)}`,
    );
  }
  return { ny, nx };
}

/** Check the path is a readable, non-empty regular file; one clear message otherwise. */
export function checkReadableFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileFormatError(file, 'no such file (expected a 4D-STEM data file)');
    if (code === 'EACCES')
      throw new FileFormatError(file, 'permission denied (expected a readable data file)');
    throw new FileFormatError(file, `cannot read: ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new FileFormatError(file, 'is a directory (expected a data file)');
  if (st.size === 0) throw new FileFormatError(file, 'is empty (0 bytes; expected a data file)');
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    throw new FileFormatError(file, 'permission denied (expected a readable data file)');
  }
  return st;
}

export function readHead(file: string, n = 4096): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(n);
    const got = fs.readSync(fd, b, 0, n, 0);
    return b.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

const wantsProfiles = (o?: ResolvedOptions) => !!o && (o.profiles === true || o.kind === 'profiles');

export const npyFormat: FormatModule = {
  name: 'npy',
  sniff: (head) => isNpy(head),
  open(file, opts) {
    const shape = readNpyHeader(file).shape;
    if (wantsProfiles(opts) || (shape.length <= 3 && fs.existsSync(axisFileOf(file))))
      return openProfiles(file, opts);
    let scan: ScanShape;
    if (shape.length === 4) {
      scan = { ny: shape[0], nx: shape[1] };
      if (opts.scan && (opts.scan.ny !== scan.ny || opts.scan.nx !== scan.nx)) {
        throw new FileFormatError(
          file,
          `scan ${opts.scan.ny}×${opts.scan.nx} given, but the file is a ${scan.ny}×${scan.nx} scan`,
        );
      }
    } else if (shape.length === 3) {
      scan = opts.scan ?? { ny: 1, nx: shape[0] };
      if (scan.ny * scan.nx !== shape[0]) {
        throw new FileFormatError(
          file,
          `scan ${scan.ny}×${scan.nx} = ${scan.ny * scan.nx} positions, but the file holds ${shape[0]} frames`,
        );
      }
    } else if (shape.length === 2) {
      scan = { ny: 1, nx: 1 };
    } else {
      throw new FileFormatError(
        file,
        `expected a 3-D [n, h, w] or 4-D [ny, nx, h, w] array of frames (or one 2-D image), found shape (${shape.join(', ')})`,
      );
    }
    const r = new NpyReader(file, Math.max(0, shape.length - 2));
    return {
      path: file,
      format: 'npy',
      kind: 'frames',
      scan,
      frameShape: shape.slice(-2),
      dtype: r.header.dtype,
      meta: readSidecarMeta(file),
      read: (start, count) => {
        if (start < 0 || count < 0 || start + count > scan.ny * scan.nx)
          throw new RangeError(`${file}: positions ${start}…${start + count - 1} outside the scan`);
        const rows = r.readRows(shape.length === 2 ? 0 : start, shape.length === 2 ? 1 : count);
        return shape.length === 2 ? { ...rows, shape: [1, ...shape] } : rows;
      },
      close: () => r.close(),
    };
  },
};

/** Calibration next to an npy file: `meta.json` in the same folder (as `snem simulate` writes). */
export function readSidecarMeta(file: string): Record<string, Json> {
  const meta = path.join(path.dirname(file), 'meta.json');
  if (!fs.existsSync(meta)) return {};
  try {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as Record<string, Json>;
    return m && typeof m === 'object' ? m : {};
  } catch (e) {
    throw new FileFormatError(meta, `not valid JSON: ${(e as Error).message}`);
  }
}

/** EMPAD frames are 128 × 130 float32 with 2 metadata rows; the scan comes from its XML if present. */
function openEmpad(file: string, opts: ResolvedOptions, xml: EmpadXml | null, assumed?: string) {
  const size = checkReadableFile(file).size;
  const layout = guessRawLayout(file, size);
  const frames = size / (130 * 128 * 4);
  let scan = opts.scan;
  if (!scan && xml) {
    scan = pickEmpadScan(xml, frames) ?? undefined;
    if (!scan && !opts.allowTruncated) {
      throw new FileFormatError(
        file,
        `EMPAD XML ${xml.xmlFile} declares scan ${xml.scans.map((s) => `${s.ny}×${s.nx}`).join(' or ') || '(none)'}, but the file holds ${frames} frames; pass scan to override`,
      );
    }
    scan ??= xml.scans[0];
  }
  const h = openRaw(file, layout, { ...opts, scan, assumed });
  if (xml) h.meta.empadXml = xml.xmlFile;
  h.format = 'empad';
  return h;
}

export const rawFormat: FormatModule = {
  name: 'raw',
  // Declared layouts win over sniffing; a bare `.raw` is tried as EMPAD; an EMPAD XML opens its raw file.
  sniff: (head, file, opts) => !!opts?.raw || extOf(file) === '.raw' || isEmpadXml(head, file),
  open(file, opts) {
    if (opts.raw) return openRaw(file, opts.raw, opts);
    if (extOf(file) === '.xml') {
      const xml = readEmpadXml(file);
      checkReadableFile(xml.rawFile);
      return openEmpad(xml.rawFile, opts, xml);
    }
    const xml = opts.scan ? null : findEmpadXmlFor(file);
    return openEmpad(
      file,
      opts,
      xml,
      xml
        ? undefined
        : 'EMPAD (128×130 float32 frames, 2 metadata rows dropped), from the .raw extension and file size',
    );
  },
};

export const bloFormat: FormatModule = {
  name: 'blo',
  sniff: (head) => isBlo(head),
  open: (file, opts) => openBlo(file, opts),
};
export const mibFormat: FormatModule = {
  name: 'mib',
  sniff: (head, file) => isMib(head) || isMerlinHdr(head, file),
  open: (file, opts) => openMib(file, opts),
};
export const hdf5Format: FormatModule = {
  name: 'hdf5',
  sniff: (head) => isHdf5(head),
  open: (file, opts) => openHdf5(file, opts),
};
export const tiffFormat: FormatModule = {
  name: 'tiff',
  sniff: (head) => isTiff(head),
  open: (file, opts) => openTiff(file, opts),
};
export const csvFormat: FormatModule = {
  name: 'csv',
  sniff: (_head, file) => /\.(csv)$/i.test(file),
  open: (file, opts) => openProfiles(file, opts),
};

/** Formats in detection order. Format modules register here. */
export const FORMATS: FormatModule[] = [
  rawFormat,
  npyFormat,
  bloFormat,
  mibFormat,
  hdf5Format,
  tiffFormat,
  csvFormat,
];

function resolve(opts: OpenOptions): ResolvedOptions {
  return { ...opts, scan: parseScan(opts.scan) };
}

export function detectFormat(file: string, opts: OpenOptions = {}): FormatModule {
  checkReadableFile(file);
  const head = readHead(file);
  const o = resolve(opts);
  const hit = FORMATS.find((f) => f.sniff(head, file, o));
  if (!hit) {
    throw new FileFormatError(
      file,
      `unrecognised data format (magic bytes ${JSON.stringify(head.subarray(0, 8).toString('latin1'))}, extension ${JSON.stringify(extOf(file))}; expected one of: ` +
        'npy, blo (IMGBLO), mib (MQ1), HDF5/EMD, TIFF, EMPAD .raw/.xml, CSV profiles, or raw with a declared layout)',
    );
  }
  return hit;
}

/** Largest frame read: 2²⁶ pixels (8192 × 8192; the largest 4D-STEM cameras have ~24 M). */
export const MAX_FRAME_PIXELS = 2 ** 26;

/**
 * What every format's handle must satisfy before anything reads it: at least one scan position (an
 * empty scan was an internal error deep in the run), and frames read a chunk at a time and
 * converted to float64 for integration — a header declaring 1e5 × 1e5 pixels must be refused with
 * the memory it would take, not read.
 */
function checkOpened(file: string, d: DatasetHandle): DatasetHandle {
  if (d.scan.ny * d.scan.nx === 0) {
    d.close();
    throw new FileFormatError(
      file,
      `holds no scan positions (scan ${d.scan.ny} × ${d.scan.nx}; expected at least one ${d.kind === 'frames' ? 'pattern' : 'profile'})`,
    );
  }
  if (d.kind !== 'frames') return d;
  const px = d.frameShape.reduce((a, b) => a * b, 1);
  if (px <= MAX_FRAME_PIXELS) return d;
  d.close();
  throw new FileFormatError(
    file,
    `frames of ${d.frameShape.join(' × ')} pixels would need ${formatBytes(px * bytesPerElement(d.dtype))} each as stored and ${formatBytes(px * 8)} as float64 while integrating (×256 per chunk); at most ${MAX_FRAME_PIXELS.toLocaleString('en')} pixels per frame (8192 × 8192)`,
  );
}

/** Synchronous open; HDF5 files need `await loadHdf5()` first (or use openDatasetAsync). */
export function openDataset(file: string, opts: OpenOptions = {}): DatasetHandle {
  return checkOpened(file, detectFormat(file, opts).open(file, resolve(opts)));
}

/** Open any supported file, initialising HDF5 support first when the file needs it. */
export async function openDatasetAsync(file: string, opts: OpenOptions = {}): Promise<DatasetHandle> {
  const format = detectFormat(file, opts);
  if (format === hdf5Format && !hdf5Ready()) await loadHdf5();
  return checkOpened(file, format.open(file, resolve(opts)));
}

export { loadHdf5 };
