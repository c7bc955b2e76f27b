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
import { FileFormatError } from '../engine/errors.ts';
import { formatBytes } from '../engine/format-bytes.ts';
import { bytesPerElement } from '../engine/ndarray.ts';
import type { DatasetHandle } from '../engine/types.ts';
import { isBlo, openBlo } from './blo.ts';
import { type FormatModule, type OpenOptions, resolveOptions } from './format-module.ts';
import { hdf5Ready, isHdf5, loadHdf5, openHdf5 } from './hdf5.ts';
import { checkReadableFile, extOf, readHead } from './io.ts';
import { isMerlinHdr, isMib, openMib } from './mib.ts';
import { npyFormat } from './npy-frames.ts';
import { openProfiles } from './profiles.ts';
import { rawFormat } from './raw-format.ts';
import { isTiff, openTiff } from './tiff.ts';

export type { FormatModule, OpenOptions, ResolvedOptions } from './format-module.ts';
export { parseScan } from './format-module.ts';
export { checkReadableFile, readHead } from './io.ts';
export { npyFormat, readSidecarMeta } from './npy-frames.ts';
export { rawFormat } from './raw-format.ts';
export type { RawLayout } from './raw.ts';

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

export function detectFormat(file: string, opts: OpenOptions = {}): FormatModule {
  checkReadableFile(file);
  const head = readHead(file);
  const o = resolveOptions(opts);
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
  return checkOpened(file, detectFormat(file, opts).open(file, resolveOptions(opts)));
}

/** Open any supported file, initialising HDF5 support first when the file needs it. */
export async function openDatasetAsync(file: string, opts: OpenOptions = {}): Promise<DatasetHandle> {
  const format = detectFormat(file, opts);
  if (format === hdf5Format && !hdf5Ready()) await loadHdf5();
  return checkOpened(file, format.open(file, resolveOptions(opts)));
}

export { loadHdf5 };
