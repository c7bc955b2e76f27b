/**
 * Open a data file as a streaming `DatasetHandle`: the format is detected from magic bytes first,
 * then the extension. Each format lives in its own module; this file only dispatches.
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../engine/errors.ts';
import type { DatasetHandle, Json, ScanShape } from '../engine/types.ts';
import { NpyReader, isNpy } from './npy.ts';

export interface OpenOptions {
  /** Scan shape for formats that store a flat stack of frames ([n, h, w]). */
  scan?: ScanShape;
  /** Read a truncated file anyway, missing frames NaN (formats that support it). */
  allowTruncated?: boolean;
}

export interface FormatModule {
  name: string;
  /** true if the first bytes (and/or extension) identify this format. */
  sniff(head: Buffer, file: string): boolean;
  open(file: string, opts: OpenOptions): DatasetHandle;
}

/** Check the path is a readable, non-empty regular file; one clear message otherwise. */
export function checkReadableFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileFormatError(file, 'no such file (expected a 4D-STEM data file)');
    if (code === 'EACCES') throw new FileFormatError(file, 'permission denied (expected a readable data file)');
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

export const npyFormat: FormatModule = {
  name: 'npy',
  sniff: (head) => isNpy(head),
  open(file, opts) {
    const head = new NpyReader(file, 1);
    const shape = head.header.shape;
    head.close();
    let scan: ScanShape;
    if (shape.length === 4) {
      scan = { ny: shape[0], nx: shape[1] };
    } else if (shape.length === 3) {
      scan = opts.scan ?? { ny: 1, nx: shape[0] };
      if (scan.ny * scan.nx !== shape[0]) {
        throw new FileFormatError(file, `scan ${scan.ny}×${scan.nx} = ${scan.ny * scan.nx} positions, but the file holds ${shape[0]} frames`);
      }
    } else {
      throw new FileFormatError(file, `expected a 3-D [n, h, w] or 4-D [ny, nx, h, w] array of frames, found shape (${shape.join(', ')})`);
    }
    const r = new NpyReader(file, shape.length - 2);
    return {
      path: file,
      format: 'npy',
      kind: 'frames',
      scan,
      frameShape: shape.slice(-2),
      dtype: r.header.dtype,
      meta: readSidecarMeta(file),
      read: (start, count) => r.readRows(start, count),
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

/** Formats in detection order. Format modules register here. */
export const FORMATS: FormatModule[] = [npyFormat];

export function detectFormat(file: string): FormatModule {
  checkReadableFile(file);
  const head = readHead(file);
  const hit = FORMATS.find((f) => f.sniff(head, file));
  if (!hit) {
    throw new FileFormatError(
      file,
      `unrecognised data format (magic bytes ${JSON.stringify(head.subarray(0, 8).toString('latin1'))}; expected one of: ${FORMATS.map((f) => f.name).join(', ')})`,
    );
  }
  return hit;
}

export function openDataset(file: string, opts: OpenOptions = {}): DatasetHandle {
  return detectFormat(file).open(file, opts);
}
