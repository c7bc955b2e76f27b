/**
 * Positioned-read helpers shared by the format modules: exact reads that turn a short read into a
 * FileFormatError (the file is shorter than its header says), byte swapping, file-name helpers,
 * and the checks before a file is opened (readable, non-empty; its first bytes for sniffing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../engine/errors.ts';

/** Fill `into` from byte `pos` of the file, or throw naming the file and the missing bytes. */
export function readExact(fd: number, file: string, into: Uint8Array, pos: number): Uint8Array {
  let got = 0;
  while (got < into.length) {
    const n = fs.readSync(fd, into, got, into.length - got, pos + got);
    if (n === 0) {
      throw new FileFormatError(
        file,
        `unexpected end of file: expected ${into.length} bytes at offset ${pos}, found ${got}`,
      );
    }
    got += n;
  }
  return into;
}

/** Read up to `n` bytes from `pos` (fewer at the end of the file). */
export function readUpTo(fd: number, n: number, pos: number): Buffer {
  const b = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const k = fs.readSync(fd, b, got, n - got, pos + got);
    if (k === 0) break;
    got += k;
  }
  return b.subarray(0, got);
}

/** Reverse the bytes of every `width`-byte element in place (big-endian ↔ little-endian). */
export function swapInPlace(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  if (width === 2) {
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      const t = bytes[i];
      bytes[i] = bytes[i + 1];
      bytes[i + 1] = t;
    }
    return;
  }
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Open read-only; map errno codes to one clear message. */
export function openForRead(file: string): number {
  try {
    return fs.openSync(file, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileFormatError(file, 'no such file');
    if (code === 'EACCES' || code === 'EPERM')
      throw new FileFormatError(file, 'permission denied (expected a readable file)');
    throw new FileFormatError(file, `cannot open: ${(e as Error).message}`);
  }
}

/** `dir/name.ext` → `dir/name` + `suffix` (e.g. sibling `.hdr`, `.axis.npy`). */
export function sibling(file: string, suffix: string): string {
  const ext = path.extname(file);
  return file.slice(0, file.length - ext.length) + suffix;
}

export function extOf(file: string): string {
  return path.extname(file).toLowerCase();
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
