/**
 * A stack of equally spaced frame records in one file: the shape shared by .blo, .mib, raw/EMPAD
 * and uncompressed TIFF/npy. `readStack` reads positions start … start+count−1 with a few large
 * positioned reads (never the whole file), checks each record's prefix if the format asks, and
 * decodes the pixels straight into the output array.
 */
import fs from 'node:fs';
import { FileFormatError } from '../engine/errors.ts';
import { asBytes, bytesPerElement, ctorOf } from '../engine/ndarray.ts';
import type { DatasetHandle, DType, Json, NDArray, ScanShape, TypedArray } from '../engine/types.ts';
import { readExact, swapInPlace } from './io.ts';

/** Turns one record's pixel bytes into `frameElems` values of `out` starting at `outOffset`. */
export type FrameDecoder = (px: Uint8Array, out: TypedArray, outOffset: number) => void;

export interface StackLayout {
  file: string;
  fd: number;
  /** Byte offset of record 0. */
  firstOffset: number;
  /** Bytes from one record to the next. */
  stride: number;
  /** Bytes from the start of a record to its first pixel byte. */
  pixelOffset: number;
  /** Pixel bytes per record, as stored. */
  pixelBytes: number;
  /** Positions the dataset has (scan ny·nx). */
  positions: number;
  /** Complete records present in the file (< positions only for an allowed truncated file). */
  available: number;
  /** Output frame shape, e.g. [h, w] after dropping rows or assembling chips. */
  frameShape: number[];
  /** dtype of the returned frames (float32 when missing frames must be NaN). */
  outDtype: DType;
  decode: FrameDecoder;
  /** Throw (FileFormatError) if record k's bytes (from the record start) are not what they should be. */
  checkRecord?: (record: Uint8Array, k: number) => void;
  /** Read buffer kept between calls (set by readStack; at most MAX_READ_BYTES). */
  scratch?: Uint8Array;
}

/** Upper bound on one positioned read, so a big chunk request does not double its memory. */
const MAX_READ_BYTES = 32 * 1024 * 1024;

export function readStack(s: StackLayout, start: number, count: number): NDArray {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(count) ||
    start < 0 ||
    count < 0 ||
    start + count > s.positions
  ) {
    throw new RangeError(`${s.file}: positions ${start}…${start + count - 1} outside 0…${s.positions - 1}`);
  }
  let frameElems = 1;
  for (const d of s.frameShape) frameElems *= d;
  const C = ctorOf(s.outDtype);
  const out = new C(count * frameElems) as TypedArray;
  const readable = Math.max(0, Math.min(start + count, s.available) - start);
  if (readable < count) (out as Float32Array).fill(NaN, readable * frameElems);
  const perRead = Math.max(1, Math.floor(MAX_READ_BYTES / s.stride));
  for (let i = 0; i < readable; i += perRead) {
    const n = Math.min(perRead, readable - i);
    // The last record may end right after its pixels (no footer / padding at the end of file).
    const len = (n - 1) * s.stride + s.pixelOffset + s.pixelBytes;
    // Reused across calls: chunks are read one after another, and allocating (zero-filling)
    // megabytes per chunk costs more than the copy out of it.
    if (!s.scratch || s.scratch.length < len)
      s.scratch = new Uint8Array(Buffer.allocUnsafeSlow(len).buffer, 0, len);
    const view = s.scratch.subarray(0, len);
    readExact(s.fd, s.file, view, s.firstOffset + (start + i) * s.stride);
    for (let j = 0; j < n; j++) {
      const rec = view.subarray(j * s.stride, j * s.stride + s.pixelOffset + s.pixelBytes);
      s.checkRecord?.(rec, start + i + j);
      s.decode(rec.subarray(s.pixelOffset), out, (i + j) * frameElems);
    }
  }
  return { dtype: s.outDtype, shape: [count, ...s.frameShape], data: out };
}

/**
 * The common decoder: `rows`×`cols` values of `dtype` (either endianness), keeping the first
 * `keepRows` rows, converted to the output's dtype (a no-op copy when they match).
 */
export function plainDecoder(
  dtype: DType,
  littleEndian: boolean,
  rows: number,
  cols: number,
  keepRows = rows,
): FrameDecoder {
  const bpe = bytesPerElement(dtype);
  const keepBytes = keepRows * cols * bpe;
  const C = ctorOf(dtype);
  const scratch = new Uint8Array(keepBytes);
  const typed = new C(scratch.buffer) as TypedArray;
  return (px, out, outOffset) => {
    const src = px.subarray(0, keepBytes);
    if ((littleEndian || bpe === 1) && out instanceof C) {
      asBytes(out).set(src, outOffset * bpe);
      return;
    }
    scratch.set(src);
    if (!littleEndian) swapInPlace(scratch, bpe);
    // TypedArray.set converts element-wise when the output dtype differs (float32 for NaN gaps).
    (out as Float64Array).set(typed as unknown as Float64Array, outOffset);
  };
}

/** Records available in `fileSize` bytes (a last partial record does not count). */
export function completeRecords(
  fileSize: number,
  firstOffset: number,
  stride: number,
  pixelOffset: number,
  pixelBytes: number,
): number {
  const rest = fileSize - firstOffset;
  if (rest < pixelOffset + pixelBytes) return 0;
  return Math.floor((rest - pixelOffset - pixelBytes) / stride) + 1;
}

/** The message every format uses for a file shorter than its header says. */
export function truncatedMessage(
  what: string,
  expected: number,
  found: number,
  expectedBytes: number,
  fileBytes: number,
): string {
  return (
    `truncated ${what}: the header declares ${expected} frames (${expectedBytes} bytes) but the file holds ${found} complete ` +
    `frames (${fileBytes} bytes); set "allowTruncated": true in the graph's dataset (snem info: --allow-truncated) to read it with the missing frames as NaN`
  );
}

/** The dataset handle of a frame stack: frames read through `readStack`, the file closed once. */
export function stackHandle(
  stack: StackLayout,
  path: string,
  format: string,
  scan: ScanShape,
  meta: Record<string, Json>,
): DatasetHandle {
  return {
    path,
    format,
    kind: 'frames',
    scan,
    frameShape: stack.frameShape,
    dtype: stack.outDtype,
    meta,
    read: (start, count) => readStack(stack, start, count),
    close: closeOnce(stack.fd),
  };
}

/** A source's close(): closes `fd` the first time, does nothing after. */
export function closeOnce(fd: number): () => void {
  let open = true;
  return () => {
    if (open) closeFd(fd);
    open = false;
  };
}

export function closeFd(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    /* already closed */
  }
}

export function formatError(file: string, detail: string): FileFormatError {
  return new FileFormatError(file, detail);
}
