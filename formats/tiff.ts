/**
 * TIFF stacks and single images: a small strict reader of our own (classic and BigTIFF, either
 * byte order, uncompressed, one sample per pixel, strips), plus a minimal writer.
 *
 * Why not a library: the npm TIFF readers (utif2, geotiff) decode whole pages from an in-memory
 * buffer; 4D-STEM stacks are tens of thousands of uncompressed pages, and we want positioned reads
 * of only the pages a chunk needs. Walking IFDs and reading strips is a few dozen lines; compressed
 * or tiled files are refused with a clear message instead of being half-supported.
 */
import fs from 'node:fs';
import { FileFormatError } from '../engine/errors.ts';
import { asBytes, bytesPerElement, ctorOf } from '../engine/ndarray.ts';
import type { DatasetHandle, DType, Json, NDArray, ScanShape, TypedArray } from '../engine/types.ts';
import { openForRead, readExact, readUpTo } from './io.ts';
import { closeFd, closeOnce, plainDecoder, readStack } from './stack.ts';

export function isTiff(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const ii = head[0] === 0x49 && head[1] === 0x49 && (head[2] === 42 || head[2] === 43) && head[3] === 0;
  const mm = head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && (head[3] === 42 || head[3] === 43);
  return ii || mm;
}

/** Bytes per value of each TIFF field type (2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL, 16 LONG8 …). */
export const TIFF_TYPE_BYTES: Readonly<Record<number, number>> = {
  1: 1,
  2: 1,
  3: 2,
  4: 4,
  5: 8,
  6: 1,
  7: 1,
  8: 2,
  9: 4,
  10: 8,
  11: 4,
  12: 8,
  16: 8,
  17: 8,
  18: 8,
};

interface Page {
  width: number;
  height: number;
  dtype: DType;
  /** Strip offsets and byte counts. */
  offsets: number[];
  counts: number[];
  description?: string;
}

class TiffParser {
  private le: boolean;
  private big: boolean;
  constructor(
    private readonly fd: number,
    private readonly file: string,
    head: Buffer,
    private readonly size: number,
  ) {
    this.le = head[0] === 0x49;
    this.big = (this.le ? head.readUInt16LE(2) : head.readUInt16BE(2)) === 43;
  }

  private u16(b: Buffer, at: number) {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }
  private u32(b: Buffer, at: number) {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }
  private u64(b: Buffer, at: number) {
    return Number(this.le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
  }
  private read(n: number, at: number, what: string): Buffer {
    if (at + n > this.size)
      throw new FileFormatError(
        this.file,
        `TIFF ${what} at byte ${at} (+${n}) lies beyond the end of the file (${this.size} bytes)`,
      );
    return readExact(this.fd, this.file, Buffer.alloc(n), at) as Buffer;
  }

  firstIfd(head: Buffer): number {
    return this.big ? this.u64(head, 8) : this.u32(head, 4);
  }

  /** Values of one IFD entry as numbers (ASCII as one string). */
  private values(entry: Buffer, at: number): number[] | string {
    const type = this.u16(entry, at + 2);
    const count = this.big ? this.u64(entry, at + 4) : this.u32(entry, at + 4);
    const size = TIFF_TYPE_BYTES[type] ?? 1;
    const bytes = count * size;
    const inline = this.big ? 8 : 4;
    const valueAt = at + (this.big ? 12 : 8);
    const buf =
      bytes <= inline
        ? entry.subarray(valueAt, valueAt + bytes)
        : this.read(bytes, this.big ? this.u64(entry, valueAt) : this.u32(entry, valueAt), 'tag data');
    if (type === 2) return buf.toString('latin1').replace(/\0+$/, '');
    const out: number[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const o = i * size;
      switch (type) {
        case 3:
          out[i] = this.u16(buf, o);
          break;
        case 4:
          out[i] = this.u32(buf, o);
          break;
        case 16:
          out[i] = this.u64(buf, o);
          break;
        default:
          out[i] = buf[o];
      }
    }
    return out;
  }

  /** Parse the IFD at `at`; returns the page and the next IFD offset (0 = last). */
  page(at: number, index: number): { page: Page; next: number } {
    const countBytes = this.big ? 8 : 2;
    const entryBytes = this.big ? 20 : 12;
    const n = this.big ? this.u64(this.read(8, at, 'IFD'), 0) : this.u16(this.read(2, at, 'IFD'), 0);
    const body = this.read(n * entryBytes + (this.big ? 8 : 4), at + countBytes, 'IFD');
    const tags = new Map<number, number[] | string>();
    for (let i = 0; i < n; i++) tags.set(this.u16(body, i * entryBytes), this.values(body, i * entryBytes));
    const next = this.big ? this.u64(body, n * entryBytes) : this.u32(body, n * entryBytes);
    const num = (tag: number, dflt?: number) => {
      const v = tags.get(tag);
      if (v === undefined) {
        if (dflt === undefined)
          throw new FileFormatError(this.file, `TIFF page ${index}: required tag ${tag} missing`);
        return dflt;
      }
      return (v as number[])[0];
    };
    const compression = num(259, 1);
    if (compression !== 1)
      throw new FileFormatError(
        this.file,
        `TIFF page ${index}: compression ${compression} is not supported (expected uncompressed, compression 1)`,
      );
    if (tags.has(322))
      throw new FileFormatError(
        this.file,
        `TIFF page ${index}: tiled images are not supported (expected strips)`,
      );
    const spp = num(277, 1);
    if (spp !== 1)
      throw new FileFormatError(
        this.file,
        `TIFF page ${index}: ${spp} samples per pixel (expected one, a greyscale detector image)`,
      );
    const bits = num(258, 1);
    const format = num(339, 1);
    const dtype = (
      {
        1: { 8: 'uint8', 16: 'uint16', 32: 'uint32' },
        2: { 8: 'int8', 16: 'int16', 32: 'int32' },
        3: { 32: 'float32', 64: 'float64' },
      } as Record<number, Record<number, DType>>
    )[format]?.[bits];
    if (!dtype)
      throw new FileFormatError(
        this.file,
        `TIFF page ${index}: ${bits}-bit sample format ${format} is not supported (expected 8/16/32-bit integers or 32/64-bit floats)`,
      );
    const offsets = tags.get(273);
    const counts = tags.get(279);
    if (!Array.isArray(offsets) || !Array.isArray(counts) || offsets.length !== counts.length) {
      throw new FileFormatError(
        this.file,
        `TIFF page ${index}: strip offsets/byte counts missing or inconsistent`,
      );
    }
    const description = tags.get(270);
    return {
      page: {
        width: num(256),
        height: num(257),
        dtype,
        offsets,
        counts,
        description: typeof description === 'string' ? description : undefined,
      },
      next,
    };
  }
}

export interface TiffLayout {
  width: number;
  height: number;
  dtype: DType;
  littleEndian: boolean;
  /** Offset of each page's (contiguous) pixel data. */
  pageOffsets: Float64Array;
  description?: string;
}

export function readTiffLayout(file: string, fd: number): TiffLayout {
  const size = fs.fstatSync(fd).size;
  const head = readUpTo(fd, 16, 0);
  if (!isTiff(head))
    throw new FileFormatError(
      file,
      `not a TIFF file: expected "II*\\0" or "MM\\0*", found ${JSON.stringify(head.subarray(0, 4).toString('latin1'))}`,
    );
  const p = new TiffParser(fd, file, head, size);
  const offsets: number[] = [];
  const seen = new Set<number>();
  let first: Page | null = null;
  for (let at = p.firstIfd(head); at !== 0; ) {
    if (seen.has(at)) throw new FileFormatError(file, `TIFF IFD chain loops back to byte ${at}`);
    seen.add(at);
    const { page, next } = p.page(at, offsets.length);
    first ??= page;
    if (page.width !== first.width || page.height !== first.height || page.dtype !== first.dtype) {
      throw new FileFormatError(
        file,
        `TIFF page ${offsets.length} is ${page.width}×${page.height} ${page.dtype}; expected every page like page 0, ${first.width}×${first.height} ${first.dtype}`,
      );
    }
    const frameBytes = page.width * page.height * bytesPerElement(page.dtype);
    let end = page.offsets[0];
    for (let i = 0; i < page.offsets.length; i++) {
      if (page.offsets[i] !== end)
        throw new FileFormatError(
          file,
          `TIFF page ${offsets.length}: strips are not contiguous (expected strip ${i} at byte ${end}, found ${page.offsets[i]})`,
        );
      end += page.counts[i];
    }
    if (end - page.offsets[0] < frameBytes || page.offsets[0] + frameBytes > size) {
      throw new FileFormatError(
        file,
        `truncated TIFF page ${offsets.length}: expected ${frameBytes} pixel bytes at byte ${page.offsets[0]}, the file has ${size} bytes`,
      );
    }
    offsets.push(page.offsets[0]);
    at = next;
  }
  if (!first) throw new FileFormatError(file, 'TIFF file has no image pages');
  // ImageJ writes stacks beyond 4 GB as one IFD plus contiguous pages, announced as "images=N".
  const ij =
    first.description && /^ImageJ=/.test(first.description) ? /images=(\d+)/.exec(first.description) : null;
  const frameBytes = first.width * first.height * bytesPerElement(first.dtype);
  if (ij && offsets.length === 1 && Number(ij[1]) > 1) {
    const n = Number(ij[1]);
    if (offsets[0] + n * frameBytes > size)
      throw new FileFormatError(
        file,
        `truncated ImageJ TIFF stack: expected ${n} images of ${frameBytes} bytes from byte ${offsets[0]}, the file has ${size} bytes`,
      );
    for (let i = 1; i < n; i++) offsets.push(offsets[0] + i * frameBytes);
  }
  return {
    width: first.width,
    height: first.height,
    dtype: first.dtype,
    littleEndian: head[0] === 0x49,
    pageOffsets: Float64Array.from(offsets),
    description: first.description,
  };
}

export function openTiff(file: string, opts: { scan?: ScanShape } = {}): DatasetHandle {
  const fd = openForRead(file);
  try {
    const t = readTiffLayout(file, fd);
    const n = t.pageOffsets.length;
    const scan = opts.scan ?? { ny: 1, nx: n };
    if (scan.ny * scan.nx !== n)
      throw new FileFormatError(
        file,
        `scan ${scan.ny}×${scan.nx} = ${scan.ny * scan.nx} positions, but the TIFF holds ${n} pages`,
      );
    const frameShape = [t.height, t.width];
    const frameBytes = t.width * t.height * bytesPerElement(t.dtype);
    const decode = plainDecoder(t.dtype, t.littleEndian, t.height, t.width);
    // Equally spaced pages (the usual stack) stream through the shared stack reader; otherwise page by page.
    let stride = n > 1 ? t.pageOffsets[1] - t.pageOffsets[0] : frameBytes;
    for (let i = 2; i < n && stride > 0; i++)
      if (t.pageOffsets[i] - t.pageOffsets[i - 1] !== stride) stride = -1;
    const meta: Record<string, Json> = { pages: n };
    if (t.description && t.description.length < 4096) meta.imageDescription = t.description;
    const stack = {
      file,
      fd,
      firstOffset: t.pageOffsets[0],
      stride,
      pixelOffset: 0,
      pixelBytes: frameBytes,
      positions: n,
      available: n,
      frameShape,
      outDtype: t.dtype,
      decode,
    };
    const readPages = (start: number, count: number): NDArray => {
      if (stride >= frameBytes) return readStack(stack, start, count);
      const C = ctorOf(t.dtype);
      const out = new C(count * t.width * t.height) as TypedArray;
      const px = new Uint8Array(frameBytes);
      for (let k = 0; k < count; k++) {
        readExact(fd, file, px, t.pageOffsets[start + k]);
        decode(px, out, k * t.width * t.height);
      }
      return { dtype: t.dtype, shape: [count, ...frameShape], data: out };
    };
    return {
      path: file,
      format: 'tiff',
      kind: 'frames',
      scan,
      frameShape,
      dtype: t.dtype,
      meta,
      read: readPages,
      close: closeOnce(fd),
    };
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

const SAMPLE: Record<DType, [number, number]> = {
  uint8: [1, 8],
  uint16: [1, 16],
  uint32: [1, 32],
  int8: [2, 8],
  int16: [2, 16],
  int32: [2, 32],
  float32: [3, 32],
  float64: [3, 64],
};

/**
 * A tag beyond the baseline ones the writer sets (size, sample format, strips, description),
 * written in every page's IFD: SHORT or LONG values, or RATIONAL as [numerator, denominator] pairs.
 * Values that do not fit the entry's 4 bytes are stored once, after the description.
 */
export interface TiffTag {
  id: number;
  type: 3 | 4 | 5;
  values: number[];
}

export interface TiffWriteOptions {
  bigEndian?: boolean;
  /** ImageDescription (tag 270), 7-bit text. */
  description?: string;
  tags?: TiffTag[];
}

/** One IFD entry: inline value (SHORT/LONG, one) or the offset of its values. */
interface Entry {
  id: number;
  type: number;
  count: number;
  value: number;
}

/**
 * [h, w] or [n, h, w] as a classic TIFF, one strip per page: header, pixel data (so pages are
 * contiguous), description, out-of-line tag values, then the IFDs with their entries in tag order.
 * Below 4 GB only.
 */
export function encodeTiff(a: NDArray, opts: TiffWriteOptions = {}): Buffer {
  const [n, h, w] = a.shape.length === 2 ? [1, a.shape[0], a.shape[1]] : a.shape;
  if (a.shape.length < 2 || a.shape.length > 3)
    throw new RangeError(`writeTiff: expected [h, w] or [n, h, w], got [${a.shape.join(', ')}]`);
  const bpe = bytesPerElement(a.dtype);
  const frameBytes = w * h * bpe;
  const le = !opts.bigEndian;
  const data = Buffer.from(asBytes(a.data));
  if (!le && bpe > 1) for (let i = 0; i < data.length; i += bpe) data.subarray(i, i + bpe).reverse();
  // Padded past 4 bytes so the description is never stored inline in the entry.
  const desc = opts.description ? Buffer.from(`${opts.description.padEnd(4, ' ')}\0`, 'latin1') : null;
  const even = (k: number) => k + (k & 1);
  const dataStart = 8;
  const descAt = even(dataStart + data.length);
  let at = even(descAt + (desc?.length ?? 0));
  const extra = (opts.tags ?? []).map((t) => {
    const bytes = t.values.length * (t.type === 3 ? 2 : 4);
    const count = t.type === 5 ? t.values.length / 2 : t.values.length;
    if (bytes <= 4) return { tag: t, count, valueAt: -1 };
    const valueAt = at;
    at = even(at + bytes);
    return { tag: t, count, valueAt };
  });
  const [format, bits] = SAMPLE[a.dtype];
  const entriesOf = (page: number): Entry[] => {
    const e: Entry[] = [
      { id: 256, type: 4, count: 1, value: w },
      { id: 257, type: 4, count: 1, value: h },
      { id: 258, type: 3, count: 1, value: bits },
      { id: 259, type: 3, count: 1, value: 1 },
      { id: 262, type: 3, count: 1, value: 1 },
      { id: 273, type: 4, count: 1, value: dataStart + page * frameBytes },
      { id: 277, type: 3, count: 1, value: 1 },
      { id: 278, type: 4, count: 1, value: h },
      { id: 279, type: 4, count: 1, value: frameBytes },
      { id: 339, type: 3, count: 1, value: format },
    ];
    if (desc) e.push({ id: 270, type: 2, count: desc.length, value: descAt });
    for (const x of extra)
      e.push({
        id: x.tag.id,
        type: x.tag.type,
        count: x.count,
        value: x.valueAt >= 0 ? x.valueAt : x.tag.values[0],
      });
    return e.sort((p, q) => p.id - q.id);
  };
  const entries = entriesOf(0).length;
  const ifdBytes = 2 + entries * 12 + 4;
  const ifdStart = at;
  if (ifdStart + n * ifdBytes > 0xffffffff)
    throw new RangeError('writeTiff: file would exceed 4 GB (classic TIFF)');
  const out = Buffer.alloc(ifdStart + n * ifdBytes);
  const u16 = (v: number, o: number) => (le ? out.writeUInt16LE(v, o) : out.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (le ? out.writeUInt32LE(v, o) : out.writeUInt32BE(v, o));
  out.write(le ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(ifdStart, 4);
  data.copy(out, dataStart);
  desc?.copy(out, descAt);
  for (const x of extra) {
    if (x.valueAt < 0) continue;
    x.tag.values.forEach((v, i) => {
      if (x.tag.type === 3) u16(v, x.valueAt + 2 * i);
      else u32(v, x.valueAt + 4 * i);
    });
  }
  for (let p = 0; p < n; p++) {
    const ifd = ifdStart + p * ifdBytes;
    u16(entries, ifd);
    let e = ifd + 2;
    for (const t of entriesOf(p)) {
      u16(t.id, e);
      u16(t.type, e + 2);
      u32(t.count, e + 4);
      if (t.type === 3 && t.count === 1) u16(t.value, e + 8);
      else u32(t.value, e + 8);
      e += 12;
    }
    u32(p + 1 < n ? ifd + ifdBytes : 0, e);
  }
  return out;
}

/** encodeTiff into a file. */
export function writeTiff(file: string, a: NDArray, opts: TiffWriteOptions = {}): void {
  fs.writeFileSync(file, encodeTiff(a, opts));
}
