/**
 * NumPy .npy files (format versions 1.0, 2.0, 3.0): header parsing, positioned reads of slabs along
 * the first axis (so a 791 MB stack is never loaded whole), and writers (whole array or streamed).
 */
import fs from 'node:fs';
import { FileFormatError } from '../engine/errors.ts';
import { formatBytes } from '../engine/format-bytes.ts';
import { asBytes, bytesPerElement, ctorOf, sizeOf } from '../engine/ndarray.ts';
import type { DType, NDArray, TypedArray } from '../engine/types.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Record<string, DType> = {
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  f4: 'float32',
  f8: 'float64',
  b1: 'uint8',
};
const DTYPE_TO_DESCR: Record<DType, string> = {
  uint8: '|u1',
  int8: '|i1',
  uint16: '<u2',
  int16: '<i2',
  uint32: '<u4',
  int32: '<i4',
  float32: '<f4',
  float64: '<f8',
};

export interface NpyHeader {
  version: [number, number];
  dtype: DType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Bytes the data should occupy according to the header. */
  dataBytes: number;
}

export function isNpy(head: Uint8Array): boolean {
  return head.length >= 6 && MAGIC.every((b, i) => head[i] === b);
}

/** Parse the header from the first bytes of a file (at least the whole header must be present). */
export function parseNpyHeader(file: string, head: Buffer, fileSize: number): NpyHeader {
  if (!isNpy(head)) {
    throw new FileFormatError(
      file,
      `not a NumPy .npy file: expected magic bytes \\x93NUMPY, found ${JSON.stringify(head.subarray(0, 6).toString('latin1'))}`,
    );
  }
  const major = head[6];
  const minor = head[7];
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = head.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    headerLen = head.readUInt32LE(8);
    start = 12;
  } else {
    throw new FileFormatError(
      file,
      `unsupported .npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`,
    );
  }
  if (start + headerLen > head.length) {
    throw new FileFormatError(
      file,
      `.npy header claims ${headerLen} bytes but the file holds only ${Math.max(0, head.length - start)} after the preamble`,
    );
  }
  const text = head.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new FileFormatError(
      file,
      `malformed .npy header (expected descr, fortran_order and shape): ${text.trim()}`,
    );
  }
  const endian = descr[0];
  const code = descr.slice(1);
  const dtype = DESCR_TO_DTYPE[code];
  if (!dtype) {
    throw new FileFormatError(
      file,
      `unsupported .npy dtype '${descr}' (expected one of uint8/16/32, int8/16/32, float32/64)`,
    );
  }
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  // whole non-negative integers only (Python 2 writes a trailing L): parseInt read "4.5" as 4 and "1e400" as 1
  const shape = dims.map((s) => (/^[0-9]+L?$/.test(s) ? Number(s.replace(/L$/, '')) : NaN));
  if (shape.some((n) => !Number.isSafeInteger(n))) {
    throw new FileFormatError(
      file,
      `malformed .npy shape (${shapeText}): expected whole numbers, e.g. (289, 132, 144, 144)`,
    );
  }
  const dataOffset = start + headerLen;
  const dataBytes = sizeOf(shape) * bytesPerElement(dtype);
  if (dataOffset + dataBytes > fileSize) {
    throw new FileFormatError(
      file,
      `truncated .npy file: header declares shape (${shape.join(', ')}) ${dtype} = ${dataBytes} data bytes, but only ${Math.max(0, fileSize - dataOffset)} bytes follow the header`,
    );
  }
  return {
    version: [major, minor],
    dtype,
    littleEndian: endian !== '>',
    fortranOrder: fortran === 'True',
    shape,
    dataOffset,
    dataBytes,
  };
}

export function readNpyHeader(file: string): NpyHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 65536 + 12));
    fs.readSync(fd, head, 0, head.length, 0);
    return parseNpyHeader(file, head, size);
  } finally {
    fs.closeSync(fd);
  }
}

function swapInPlace(bytes: Uint8Array, width: number) {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Positioned reader of slabs along the first axis (C order only). */
export class NpyReader {
  readonly header: NpyHeader;
  private fd: number;
  private readonly rowElems: number;
  /** Number of rows: the product of the first `leadingAxes` dimensions. */
  readonly rows: number;
  private readonly rowShape: number[];

  /** `leadingAxes` = 2 reads a [ny, nx, h, w] array as ny·nx rows of [h, w]. */
  constructor(
    readonly file: string,
    leadingAxes = 1,
  ) {
    this.header = readNpyHeader(file);
    if (this.header.fortranOrder && this.header.shape.length > 1) {
      throw new FileFormatError(
        file,
        'Fortran-ordered (column-major) .npy arrays are not supported for streaming; re-save with numpy.ascontiguousarray(a) first',
      );
    }
    this.fd = fs.openSync(file, 'r');
    this.rowShape = this.header.shape.slice(leadingAxes);
    this.rowElems = sizeOf(this.rowShape);
    this.rows = sizeOf(this.header.shape.slice(0, leadingAxes));
  }

  /** Rows start … start+count−1 of the first axis, native-endian. */
  readRows(start: number, count: number): NDArray {
    const { dtype, dataOffset, littleEndian } = this.header;
    if (start < 0 || start + count > this.rows)
      throw new Error(`rows ${start}+${count} outside 0..${this.rows}`);
    const bpe = bytesPerElement(dtype);
    const C = ctorOf(dtype);
    const out = new C(count * this.rowElems) as TypedArray;
    const bytes = asBytes(out);
    let got = 0;
    const pos = dataOffset + start * this.rowElems * bpe;
    while (got < bytes.length) {
      const n = fs.readSync(this.fd, bytes, got, bytes.length - got, pos + got);
      if (n === 0) throw new FileFormatError(this.file, `unexpected end of file at byte ${pos + got}`);
      got += n;
    }
    if (!littleEndian) swapInPlace(bytes, bpe);
    return { dtype, shape: [count, ...this.rowShape], data: out };
  }

  readAll(): NDArray {
    return this.readRows(0, this.rows);
  }

  close() {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/** Most bytes readNpy loads at once (masks, axes, results): larger arrays are streamed by NpyReader. */
export const MAX_WHOLE_NPY_BYTES = 2 ** 31;

export function readNpy(file: string): NDArray {
  const h = readNpyHeader(file);
  if (h.dataBytes > MAX_WHOLE_NPY_BYTES) {
    throw new FileFormatError(
      file,
      `holds ${formatBytes(h.dataBytes)} (shape (${h.shape.join(', ')}) ${h.dtype}), more than the ${formatBytes(MAX_WHOLE_NPY_BYTES)} read whole here (a mask, an axis or a result is expected)`,
    );
  }
  if (h.shape.length === 0) {
    const r = new NpyReader(file);
    try {
      const C = ctorOf(h.dtype);
      const buf = fs.readFileSync(file).subarray(h.dataOffset, h.dataOffset + h.dataBytes);
      const a = new C(new Uint8Array(buf).buffer) as TypedArray;
      return { dtype: h.dtype, shape: [], data: a };
    } finally {
      r.close();
    }
  }
  if (h.fortranOrder && h.shape.length > 1) {
    // Small arrays: transpose in memory.
    const buf = fs.readFileSync(file);
    const C = ctorOf(h.dtype);
    const raw = new Uint8Array(buf.subarray(h.dataOffset, h.dataOffset + h.dataBytes));
    if (!h.littleEndian) swapInPlace(raw, bytesPerElement(h.dtype));
    const src = new C(raw.buffer) as TypedArray;
    const out = new C(src.length) as TypedArray;
    const nd = h.shape.length;
    const idx = new Array(nd).fill(0);
    for (let f = 0; f < src.length; f++) {
      let c = 0;
      for (let d = 0; d < nd; d++) c = c * h.shape[d] + idx[d];
      out[c] = src[f];
      for (let d = 0; d < nd; d++) {
        if (++idx[d] < h.shape[d]) break;
        idx[d] = 0;
      }
    }
    return { dtype: h.dtype, shape: h.shape, data: out };
  }
  const r = new NpyReader(file);
  try {
    const rows = r.readAll();
    return { dtype: h.dtype, shape: h.shape, data: rows.data };
  } finally {
    r.close();
  }
}

/** The header bytes (version 1.0, or 2.0 if it does not fit) for a little-endian C-order array. */
export function npyHeaderBytes(dtype: DType, shape: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DTYPE_TO_DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let version = 1;
  let pre = 10;
  if (dict.length + pre + 1 > 65535) {
    version = 2;
    pre = 12;
  }
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  dict = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const out = Buffer.alloc(total);
  Buffer.from(MAGIC).copy(out, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) out.writeUInt16LE(dict.length, 8);
  else out.writeUInt32LE(dict.length, 8);
  out.write(dict, pre, 'latin1');
  return out;
}

/** Write a whole array atomically (temp file + rename). */
export function writeNpy(file: string, a: NDArray): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const b of [npyHeaderBytes(a.dtype, a.shape), asBytes(a.data)]) {
      for (let done = 0; done < b.length; ) done += fs.writeSync(fd, b, done, b.length - done);
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true }); // a full disk left it behind
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}

/**
 * Stream a large array to disk slab by slab (first axis), e.g. simulated frames. Positioned writes,
 * so slabs may arrive out of order; `close()` renames the temp file into place.
 */
export class NpyStreamWriter {
  private fd: number;
  private readonly tmp: string;
  private readonly headerLen: number;
  private readonly rowBytes: number;

  /** `leadingAxes` = 2 addresses a [ny, nx, h, w] array by position (row = iy·nx + ix). */
  constructor(
    readonly file: string,
    readonly dtype: DType,
    readonly shape: number[],
    leadingAxes = 1,
  ) {
    this.tmp = `${file}.tmp-${process.pid}`;
    this.fd = fs.openSync(this.tmp, 'w');
    const header = npyHeaderBytes(dtype, shape);
    this.headerLen = header.length;
    fs.writeSync(this.fd, header, 0, header.length, 0);
    this.rowBytes = sizeOf(shape.slice(leadingAxes)) * bytesPerElement(dtype);
    fs.ftruncateSync(this.fd, this.headerLen + this.rowBytes * sizeOf(shape.slice(0, leadingAxes)));
  }

  writeRows(start: number, data: TypedArray): void {
    const bytes = asBytes(data);
    let done = 0;
    while (done < bytes.length) {
      done += fs.writeSync(
        this.fd,
        bytes,
        done,
        bytes.length - done,
        this.headerLen + start * this.rowBytes + done,
      );
    }
  }

  close(): void {
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.file);
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(this.tmp, { force: true });
  }
}
