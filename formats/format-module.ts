/**
 * What a format module is (how the dispatcher in formats/open.ts sees it) and the options every
 * reader takes: the graph's `dataset` object minus `path`, with `scan` normalised.
 */
import { FileFormatError } from '../engine/errors.ts';
import type { DatasetHandle, ScanShape } from '../engine/types.ts';
import type { RawLayout } from './raw.ts';

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

/** Options with `scan` parsed. */
export function resolveOptions(opts: OpenOptions): ResolvedOptions {
  return { ...opts, scan: parseScan(opts.scan) };
}

/** The options ask for 1-D profiles rather than frames. */
export const wantsProfiles = (o?: ResolvedOptions) => !!o && (o.profiles === true || o.kind === 'profiles');
