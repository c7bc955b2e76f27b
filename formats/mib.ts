/**
 * Quantum Detectors Merlin `.mib` (optionally with its `.hdr` acquisition header).
 *
 * Every frame is an ASCII header (`MQ1,seq,headerBytes,chips,width,height,type,layout,…,depth`)
 * followed by pixels. Type `U08/U16/U32` stores big-endian counts already assembled into the
 * image (single chip 256×256 or quad 512×512). Type `R64` ("raw") stores the chip read-out order:
 * 1-bit pixels packed into big-endian 64-bit words, 6-bit pixels as bytes in reversed groups of 8,
 * 12-bit as big-endian u16 in reversed groups of 4, 24-bit as two 12-bit frames (high bits first);
 * a quad's raw rows hold the four chips side by side, [4 | 3 | 2 | 1], with chips 3 and 4 (the
 * bottom half) flipped in x and y. The scan shape comes from `opts.scan`, else the `.hdr`
 * (ScanX/ScanY, or frames per trigger), else one row.
 */
import fs from 'node:fs';
import { FileFormatError } from '../engine/errors.ts';
import type { DatasetHandle, DType, Json, ScanShape, TypedArray } from '../engine/types.ts';
import { extOf, openForRead, readUpTo, sibling } from './io.ts';
import {
  closeFd,
  completeRecords,
  type FrameDecoder,
  plainDecoder,
  stackHandle,
  truncatedMessage,
} from './stack.ts';

export interface MibHeader {
  sequence: number;
  headerBytes: number;
  chips: number;
  /** Width and height as written in the header (raw files: the read-out geometry). */
  width: number;
  height: number;
  /** 'U08' | 'U16' | 'U32' | 'R64'. */
  type: string;
  layout: string;
  counterDepth: number;
  timestamp: string;
  shutterS: number;
  raw: boolean;
  /** Assembled detector image shape [rows, cols]. */
  frameShape: [number, number];
  pixelBytes: number;
  dtype: DType;
}

export function isMib(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x4d && head[1] === 0x51 && head[2] === 0x31 && head[3] === 0x2c; // "MQ1,"
}

export function isMerlinHdr(head: Uint8Array, file: string): boolean {
  return extOf(file) === '.hdr' && Buffer.from(head.subarray(0, 3)).toString('latin1') === 'HDR';
}

export function parseMibHeader(file: string, head: Buffer): MibHeader {
  if (!isMib(head)) {
    throw new FileFormatError(
      file,
      `not a Merlin .mib file: expected a frame header starting "MQ1,", found ${JSON.stringify(head.subarray(0, 8).toString('latin1'))}`,
    );
  }
  const headerBytes = Number.parseInt(head.toString('latin1', 0, 64).split(',')[2] ?? '', 10);
  if (!Number.isInteger(headerBytes) || headerBytes < 40 || headerBytes > 65536) {
    throw new FileFormatError(
      file,
      `malformed Merlin frame header: expected the header length as field 3, found ${JSON.stringify(head.toString('latin1', 0, 32))}`,
    );
  }
  if (head.length < headerBytes) {
    throw new FileFormatError(
      file,
      `truncated Merlin frame header: expected ${headerBytes} bytes, found ${head.length}`,
    );
  }
  const parts = head
    .toString('latin1', 0, headerBytes)
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0 && !p.includes('\0'));
  const int = (i: number, what: string) => {
    const v = Number.parseInt(parts[i] ?? '', 10);
    if (!Number.isFinite(v))
      throw new FileFormatError(
        file,
        `malformed Merlin frame header: expected ${what} in field ${i + 1}, found ${JSON.stringify(parts[i] ?? '')}`,
      );
    return v;
  };
  const chips = int(3, 'the chip count');
  const width = int(4, 'the width');
  const height = int(5, 'the height');
  const type = (parts[6] ?? '').toUpperCase();
  const layout = (parts[7] ?? '').replace(/G$/, '');
  const last = Number.parseInt(parts[parts.length - 1] ?? '', 10);
  const raw = type.startsWith('R');
  let frameShape: [number, number];
  let pixelBytes: number;
  let dtype: DType;
  let counterDepth: number;
  if (!raw) {
    const bits = { U08: 8, U16: 16, U32: 32 }[type];
    if (!bits)
      throw new FileFormatError(
        file,
        `unsupported Merlin pixel type ${JSON.stringify(parts[6])} (expected U08, U16, U32 or R64)`,
      );
    dtype = bits === 8 ? 'uint8' : bits === 16 ? 'uint16' : 'uint32';
    frameShape = [height, width];
    pixelBytes = (width * height * bits) / 8;
    counterDepth = [1, 6, 12, 24].includes(last) ? last : bits === 8 ? 6 : bits === 16 ? 12 : 24;
  } else {
    counterDepth = last;
    const bytesPerPx = { 1: 1 / 8, 6: 1, 12: 2, 24: 2 }[counterDepth];
    if (bytesPerPx === undefined) {
      throw new FileFormatError(
        file,
        `raw Merlin file: expected the counter depth 1, 6, 12 or 24 as the last header field, found ${JSON.stringify(parts[parts.length - 1])}`,
      );
    }
    dtype = counterDepth <= 6 ? 'uint8' : counterDepth === 12 ? 'uint16' : 'uint32';
    pixelBytes = width * height * bytesPerPx;
    if (chips === 1) {
      // 24-bit raw: the header width covers both 12-bit halves.
      frameShape = counterDepth === 24 ? [height, width / 2] : [height, width];
    } else if (chips === 4 && layout === '2x2') {
      if (counterDepth === 24)
        throw new FileFormatError(
          file,
          'raw 24-bit quad Merlin data is not supported (expected 1, 6 or 12-bit raw, or a U08/U16/U32 file)',
        );
      if (width !== 4 * height)
        throw new FileFormatError(
          file,
          `raw quad Merlin header: expected width = 4 × height (four chips side by side), found ${width}×${height}`,
        );
      frameShape = [2 * height, 2 * height];
    } else {
      throw new FileFormatError(
        file,
        `raw Merlin layout ${JSON.stringify(parts[7])} with ${chips} chips is not supported (expected a single chip or a 2x2 quad)`,
      );
    }
    if (frameShape[1] % 64 !== 0 && counterDepth === 1)
      throw new FileFormatError(
        file,
        `raw 1-bit rows must be multiples of 64 pixels, found ${frameShape[1]}`,
      );
  }
  return {
    sequence: int(1, 'the frame number'),
    headerBytes,
    chips,
    width,
    height,
    type,
    layout,
    counterDepth,
    timestamp: parts[9] ?? '',
    shutterS: Number.parseFloat(parts[10] ?? ''),
    raw,
    frameShape,
    pixelBytes,
    dtype,
  };
}

/**
 * Decode `n` raw-ordered pixels of one chip row segment at `src[srcOff…]` into `out[outOff…]`,
 * reversed in x when `flip`.
 */
function decodeRawSegment(
  depth: number,
  src: Uint8Array,
  srcOff: number,
  n: number,
  out: TypedArray,
  outOff: number,
  flip: boolean,
): void {
  const at = (p: number) => (flip ? outOff + n - 1 - p : outOff + p);
  if (depth === 1) {
    // Each 8 bytes are one big-endian 64-bit word; bit k (LSB = 0) is pixel k of the 64.
    for (let g = 0; g < n / 64; g++) {
      for (let b = 0; b < 8; b++) {
        const byte = src[srcOff + g * 8 + 7 - b];
        const p0 = 64 * g + 8 * b;
        for (let bit = 0; bit < 8; bit++) out[at(p0 + bit)] = (byte >> bit) & 1;
      }
    }
  } else if (depth === 6) {
    for (let i = 0; i < n; i++) out[at((i & ~7) + 7 - (i & 7))] = src[srcOff + i];
  } else {
    for (let i = 0; i < n; i++)
      out[at((i & ~3) + 3 - (i & 3))] = (src[srcOff + 2 * i] << 8) | src[srcOff + 2 * i + 1];
  }
}

function rawDecoder(h: MibHeader): FrameDecoder {
  const [rows, cols] = h.frameShape;
  const d = h.counterDepth;
  if (h.chips === 1 && d === 24) {
    const half = rows * cols * 2;
    const hi = new Uint32Array(rows * cols);
    const lo = new Uint32Array(rows * cols);
    return (px, out, o) => {
      for (let r = 0; r < rows; r++) {
        decodeRawSegment(12, px, r * cols * 2, cols, hi, r * cols, false);
        decodeRawSegment(12, px, half + r * cols * 2, cols, lo, r * cols, false);
      }
      for (let i = 0; i < hi.length; i++) out[o + i] = hi[i] * 4096 + lo[i];
    };
  }
  const segBytes = (px: number) => (px * (d === 1 ? 1 : d === 6 ? 8 : 16)) / 8;
  if (h.chips === 1) {
    const rowBytes = segBytes(cols);
    return (px, out, o) => {
      for (let r = 0; r < rows; r++) decodeRawSegment(d, px, r * rowBytes, cols, out, o + r * cols, false);
    };
  }
  // Quad: raw row y = [chip 4 | chip 3 | chip 2 | chip 1]; chips 1, 2 are the top half as read,
  // chips 3, 4 the bottom half rotated by 180°.
  const chip = rows / 2;
  const seg = segBytes(chip);
  return (px, out, o) => {
    for (let y = 0; y < chip; y++) {
      const base = y * 4 * seg;
      decodeRawSegment(d, px, base + 3 * seg, chip, out, o + y * cols, false);
      decodeRawSegment(d, px, base + 2 * seg, chip, out, o + y * cols + chip, false);
      const yb = rows - 1 - y;
      decodeRawSegment(d, px, base + 1 * seg, chip, out, o + yb * cols, true);
      decodeRawSegment(d, px, base, chip, out, o + yb * cols + chip, true);
    }
  };
}

/** The `.hdr` acquisition header: `Key:\tValue` lines between `HDR,` and `End`. */
export function readMerlinHdr(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, 'latin1').split(/\r?\n/)) {
    if (line.startsWith('HDR') || line.startsWith('End')) continue;
    const m = /^([^:\t]+):?\t+(.*)$/.exec(line);
    if (m) out[m[1].trim()] = m[2].trim();
  }
  return out;
}

function scanFromHdr(hdr: Record<string, string>): ScanShape | null {
  const nx = Number.parseInt(hdr.ScanX ?? '', 10);
  const ny = Number.parseInt(hdr.ScanY ?? '', 10);
  if (nx > 0 && ny > 0) return { ny, nx };
  const frames = Number.parseInt(hdr['Frames in Acquisition (Number)'] ?? '', 10);
  const perTrigger = Number.parseInt(hdr['Frames per Trigger (Number)'] ?? '', 10);
  if (frames > 0 && perTrigger > 0 && frames % perTrigger === 0 && perTrigger < frames)
    return { ny: frames / perTrigger, nx: perTrigger };
  return null;
}

export interface MibOpenOptions {
  scan?: ScanShape;
  allowTruncated?: boolean;
}

export function openMib(file: string, opts: MibOpenOptions = {}): DatasetHandle {
  let mibFile = file;
  let hdrFile: string | null = sibling(file, '.hdr');
  if (extOf(file) === '.hdr') {
    hdrFile = file;
    mibFile = sibling(file, '.mib');
    if (!fs.existsSync(mibFile))
      throw new FileFormatError(file, `Merlin header without data: expected ${mibFile} next to it`);
  }
  const hdr = hdrFile && fs.existsSync(hdrFile) ? readMerlinHdr(hdrFile) : null;
  const fd = openForRead(mibFile);
  try {
    const size = fs.fstatSync(fd).size;
    const h = parseMibHeader(mibFile, readUpTo(fd, 4096, 0));
    const stride = h.headerBytes + h.pixelBytes;
    const available = completeRecords(size, 0, stride, h.headerBytes, h.pixelBytes);
    const partial = size % stride !== 0;
    const scan = opts.scan ?? (hdr && scanFromHdr(hdr)) ?? { ny: 1, nx: partial ? available + 1 : available };
    const positions = scan.ny * scan.nx;
    if (available > positions || (available === positions && partial)) {
      throw new FileFormatError(
        mibFile,
        `scan ${scan.ny}×${scan.nx} = ${positions} positions, but the file holds ${available} frames of ${stride} bytes` +
          (partial ? ` plus ${size - available * stride} extra bytes` : ''),
      );
    }
    if (available < positions && !opts.allowTruncated) {
      throw new FileFormatError(
        mibFile,
        truncatedMessage('Merlin file', positions, available, positions * stride, size),
      );
    }
    const truncated = available < positions;
    const meta: Record<string, Json> = {
      detector: 'Merlin',
      mibType: h.type,
      counterDepth: h.counterDepth,
      chips: h.chips,
      layout: h.layout,
    };
    if (h.timestamp) meta.acquiredAt = h.timestamp;
    if (Number.isFinite(h.shutterS)) meta.exposureS = h.shutterS;
    if (hdr) meta.mibHdr = hdr;
    if (truncated) meta.missingFrames = positions - available;
    const outDtype: DType = truncated ? 'float32' : h.dtype;
    const stack = {
      file: mibFile,
      fd,
      firstOffset: 0,
      stride,
      pixelOffset: h.headerBytes,
      pixelBytes: h.pixelBytes,
      positions,
      available,
      frameShape: h.frameShape,
      outDtype,
      decode: h.raw ? rawDecoder(h) : plainDecoder(h.dtype, false, h.frameShape[0], h.frameShape[1]),
      checkRecord(rec: Uint8Array, k: number) {
        if (!isMib(rec)) {
          throw new FileFormatError(
            mibFile,
            `corrupted Merlin frame ${k} at byte ${k * stride}: expected a header starting "MQ1,", found ${JSON.stringify(Buffer.from(rec.subarray(0, 4)).toString('latin1'))}`,
          );
        }
      },
    };
    if (hdrFile && hdr) meta.hdrFile = hdrFile;
    // The data file, also when opened through its .hdr (hash this one).
    return stackHandle(stack, mibFile, 'mib', scan, meta);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}
