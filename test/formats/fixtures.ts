/** Byte-level fixture builders for the format tests: every file is written from scratch here. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const created: string[] = [];
// Every test file that makes temp dirs removes them when it is done.
afterAll(() => {
  for (const d of created.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the test file's tests. */
export function tmpDir(prefix = 'snem-fmt-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(d);
  return d;
}

/** A .npy file built by hand: magic, version, header dict padded to 64, then `data`. */
export function npyBytes(
  descr: string,
  shape: number[],
  data: Uint8Array,
  opts: { version?: 1 | 2 | 3; fortran?: boolean } = {},
): Buffer {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const text = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const head = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(head);
  head[6] = version;
  head[7] = 0;
  if (version === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, Buffer.from(text, version === 3 ? 'utf8' : 'latin1'), Buffer.from(data)]);
}

/** Big-endian bytes of integer/float values. */
export function beBytes(kind: 'u2' | 'u4' | 'i2' | 'i4' | 'f4' | 'f8', values: number[]): Uint8Array {
  const size = Number(kind[1]);
  const b = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    const o = i * size;
    if (kind === 'u2') b.writeUInt16BE(v, o);
    else if (kind === 'u4') b.writeUInt32BE(v, o);
    else if (kind === 'i2') b.writeInt16BE(v, o);
    else if (kind === 'i4') b.writeInt32BE(v, o);
    else if (kind === 'f4') b.writeFloatBE(v, o);
    else b.writeDoubleBE(v, o);
  });
  return b;
}

// ------------------------------------------------------------------------------------------ mib

export interface MibHeaderFields {
  seq: number;
  headerBytes: number;
  chips: number;
  width: number;
  height: number;
  type: string;
  layout: string;
  depth: number;
}

/** A Merlin frame header: comma fields, NUL-padded to headerBytes. */
export function mibHeader(f: MibHeaderFields): Buffer {
  const thresholds = Array.from({ length: 8 }, () => '0.000000E+0').join(',');
  const text =
    `MQ1,${String(f.seq).padStart(6, '0')},${String(f.headerBytes).padStart(5, '0')},${String(f.chips).padStart(2, '0')},` +
    `${String(f.width).padStart(4, '0')},${String(f.height).padStart(4, '0')},${f.type},${f.layout.padStart(6, ' ')},0F,` +
    `2024-05-01 10:00:00.000000,0.001000,0,0,0,${thresholds},3RX,175,511,000,000,000,000,000,000,125,255,125,125,100,100,082,100,087,030,128,004,255,129,128,176,168,511,511,MQ1A,2024-05-01T10:00:00.000000000Z,1000000ns,${f.depth},`;
  if (text.length > f.headerBytes) throw new Error('header text too long');
  const b = Buffer.alloc(f.headerBytes);
  b.write(text, 0, 'latin1');
  return b;
}

/** Raw 1-bit: per 64 pixels one big-endian 64-bit word whose bit k is pixel k. */
export function encodeR1Row(px: ArrayLike<number>, out: Uint8Array, at: number): void {
  // Bit k of a big-endian 64-bit word lives in byte 7 − ⌊k/8⌋ of the word, at bit k mod 8.
  for (let g = 0; g < px.length / 64; g++) {
    for (let b = 0; b < 8; b++) out[at + 8 * g + b] = 0;
    for (let k = 0; k < 64; k++) if (px[64 * g + k] & 1) out[at + 8 * g + 7 - (k >> 3)] |= 1 << (k & 7);
  }
}

/** Raw 6-bit: one byte per pixel, each group of 8 stored in reverse order. */
export function encodeR6Row(px: ArrayLike<number>, out: Uint8Array, at: number): void {
  for (let g = 0; g < px.length / 8; g++) for (let j = 0; j < 8; j++) out[at + 8 * g + j] = px[8 * g + 7 - j];
}

/** Raw 12-bit: big-endian u16 per pixel, each group of 4 stored in reverse order. */
export function encodeR12Row(px: ArrayLike<number>, out: Uint8Array, at: number): void {
  for (let g = 0; g < px.length / 4; g++) {
    for (let j = 0; j < 4; j++) {
      const v = px[4 * g + 3 - j];
      out[at + 2 * (4 * g + j)] = v >> 8;
      out[at + 2 * (4 * g + j) + 1] = v & 0xff;
    }
  }
}

export function rowBytes(depth: 1 | 6 | 12, n: number): number {
  return depth === 1 ? n / 8 : depth === 6 ? n : 2 * n;
}

export function encodeRow(depth: 1 | 6 | 12, px: ArrayLike<number>, out: Uint8Array, at: number): void {
  if (depth === 1) encodeR1Row(px, out, at);
  else if (depth === 6) encodeR6Row(px, out, at);
  else encodeR12Row(px, out, at);
}

/**
 * A 512×512 quad image in raw read-out order: 256 raw rows, each [chip 4 | chip 3 | chip 2 | chip 1]
 * where chip 1 = top-left, 2 = top-right, 3 = bottom-left, 4 = bottom-right, and chips 3, 4 are
 * rotated by 180° (flipped in x and y).
 */
export function encodeQuadRaw(depth: 1 | 6 | 12, img: ArrayLike<number>): Uint8Array {
  const n = 256;
  const seg = rowBytes(depth, n);
  const out = new Uint8Array(n * 4 * seg);
  const part = new Array<number>(n);
  for (let y = 0; y < n; y++) {
    const base = y * 4 * seg;
    const yb = 511 - y;
    for (let x = 0; x < n; x++) part[x] = img[yb * 512 + 256 + (n - 1 - x)];
    encodeRow(depth, part, out, base); // chip 4
    for (let x = 0; x < n; x++) part[x] = img[yb * 512 + (n - 1 - x)];
    encodeRow(depth, part, out, base + seg); // chip 3
    for (let x = 0; x < n; x++) part[x] = img[y * 512 + 256 + x];
    encodeRow(depth, part, out, base + 2 * seg); // chip 2
    for (let x = 0; x < n; x++) part[x] = img[y * 512 + x];
    encodeRow(depth, part, out, base + 3 * seg); // chip 1
  }
  return out;
}

// ------------------------------------------------------------------------------------------ blo

export interface HandBlo {
  ny: number;
  nx: number;
  dp: number;
  note?: string;
  sx?: number;
  sy?: number;
  beamV?: number;
  sdp?: number;
  cl?: number;
  dataOffset2?: number;
}

/** A blockfile built byte by byte, frames[k][i] = (k * 7 + i) & 255. */
export function bloBytes(o: HandBlo): Buffer {
  const off1 = 4096;
  const off2 = o.dataOffset2 ?? Math.ceil((off1 + o.nx * o.ny) / 16) * 16;
  const rec = 6 + o.dp * o.dp;
  const b = Buffer.alloc(off2 + o.nx * o.ny * rec);
  b.write('IMGBLO', 0, 'latin1');
  b.writeUInt16LE(0x0102, 6);
  b.writeUInt32LE(off1, 8);
  b.writeUInt32LE(off2, 12);
  b.writeUInt32LE(131135, 16);
  b.writeUInt16LE(o.dp, 20);
  b.writeUInt16LE(o.nx, 24);
  b.writeUInt16LE(o.ny, 26);
  b.writeUInt16LE(2500, 28);
  b.writeDoubleLE(o.sx ?? 2, 30);
  b.writeDoubleLE(o.sy ?? 2, 38);
  b.writeUInt32LE(o.beamV ?? 200000, 46);
  b.writeUInt16LE(o.sdp ?? 6226, 50);
  b.writeUInt32LE(o.cl ?? 2000, 52);
  b.writeDoubleLE(42339.65347, 56);
  b.writeDoubleLE(0.98, 128 + 8);
  b.write(o.note ?? 'Precession angle : \r\nCamera gamma : on', 240, 'latin1');
  for (let k = 0; k < o.nx * o.ny; k++) b[off1 + k] = (k * 3) & 255;
  for (let k = 0; k < o.nx * o.ny; k++) {
    const at = off2 + k * rec;
    b[at] = 0xaa;
    b[at + 1] = 0x55;
    b.writeUInt32LE(k, at + 2);
    for (let i = 0; i < o.dp * o.dp; i++) b[at + 6 + i] = (k * 7 + i) & 255;
  }
  return b;
}

/** Number of positions where two arrays differ (fast on large frames, unlike deep equality). */
export function mismatches(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.max(a.length, b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
