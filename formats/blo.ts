/**
 * NanoMegas ASTAR blockfile (.blo), reading and writing (layout: shared/data/blockfile-format.md).
 *
 * 240-byte little-endian header, a free-text note up to Data_offset_1, the stored virtual
 * bright-field image (NY×NX uint8) at Data_offset_1, then NX·NY records at Data_offset_2, each
 * `AA 55` + u32 index + DP_SZ² uint8 pixels. Every header offset is honoured; every record read is
 * checked for its magic and index, so a wrong offset or a corrupted file is reported, not read as
 * noise.
 */
import fs from 'node:fs';
import { FileFormatError } from '../engine/errors.ts';
import type { DatasetHandle, Json, NDArray, TypedArray } from '../engine/types.ts';
import { openForRead, readExact, readUpTo } from './io.ts';
import { closeFd, completeRecords, plainDecoder, stackHandle, truncatedMessage } from './stack.ts';
import { electronWavelengthA } from './wavelength.ts';

export const BLO_MAGIC_ID = 'IMGBLO';
const HEADER_BYTES = 240;
const RECORD_PREFIX = 6;
/** Flags value found in real ASTAR files (rsciio's writer uses 131141 instead). */
const ASTAR_UNKNOWN1 = 131135;

export interface BloHeader {
  id: string;
  magic: number;
  dataOffset1: number;
  dataOffset2: number;
  unknown1: number;
  dpSize: number;
  dpRotation: number;
  nx: number;
  ny: number;
  scanRotation: number;
  /** Scan steps in nm. */
  sx: number;
  sy: number;
  /** Volts. */
  beamEnergy: number;
  /** 100 × pixels per cm on the (virtual) camera: 100/SDP cm per pixel. */
  sdp: number;
  /** Raw Camera_length field; a source comment says 10×mm, rsciio scales it by 1e-4: units uncertain. */
  cameraLength: number;
  /** OLE/Excel serial date (days since 1899-12-30 UTC). */
  acquisitionTime: number;
  centering: number[];
  distortion: number[];
  note: string;
}

export function isBlo(head: Uint8Array): boolean {
  return head.length >= 6 && Buffer.from(head.buffer, head.byteOffset, 6).toString('latin1') === BLO_MAGIC_ID;
}

export function parseBloHeader(file: string, head: Buffer): BloHeader {
  if (!isBlo(head)) {
    throw new FileFormatError(
      file,
      `not an ASTAR blockfile: expected magic "IMGBLO", found ${JSON.stringify(head.subarray(0, 6).toString('latin1'))}`,
    );
  }
  if (head.length < HEADER_BYTES) {
    throw new FileFormatError(
      file,
      `truncated blockfile header: expected ${HEADER_BYTES} bytes, found ${head.length}`,
    );
  }
  const f64s = (at: number, n: number) => Array.from({ length: n }, (_, i) => head.readDoubleLE(at + 8 * i));
  const h: BloHeader = {
    id: BLO_MAGIC_ID,
    magic: head.readUInt16LE(6),
    dataOffset1: head.readUInt32LE(8),
    dataOffset2: head.readUInt32LE(12),
    unknown1: head.readUInt32LE(16),
    dpSize: head.readUInt16LE(20),
    dpRotation: head.readUInt16LE(22),
    nx: head.readUInt16LE(24),
    ny: head.readUInt16LE(26),
    scanRotation: head.readUInt16LE(28),
    sx: head.readDoubleLE(30),
    sy: head.readDoubleLE(38),
    beamEnergy: head.readUInt32LE(46),
    sdp: head.readUInt16LE(50),
    cameraLength: head.readUInt32LE(52),
    acquisitionTime: head.readDoubleLE(56),
    centering: f64s(64, 8),
    distortion: f64s(128, 14),
    note: '',
  };
  if (h.dpSize === 0 || h.nx === 0 || h.ny === 0) {
    throw new FileFormatError(
      file,
      `blockfile header declares an empty dataset (DP_SZ=${h.dpSize}, NX=${h.nx}, NY=${h.ny}); expected positive sizes`,
    );
  }
  if (h.dataOffset1 < HEADER_BYTES || h.dataOffset2 < h.dataOffset1 + h.nx * h.ny) {
    throw new FileFormatError(
      file,
      `inconsistent blockfile offsets: expected Data_offset_1 ≥ ${HEADER_BYTES} and Data_offset_2 ≥ Data_offset_1 + NX·NY = ${h.dataOffset1 + h.nx * h.ny}, found ${h.dataOffset1} and ${h.dataOffset2}`,
    );
  }
  const noteEnd = Math.min(h.dataOffset1, head.length);
  h.note = head.subarray(HEADER_BYTES, noteEnd).toString('latin1').replace(/\0+$/g, '').replace(/\0/g, '');
  return h;
}

/** OLE serial date → ISO string. */
function oleDateToIso(days: number): string | null {
  if (!Number.isFinite(days) || days <= 0) return null;
  const ms = Date.UTC(1899, 11, 30) + days * 86400000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function isoToOleDate(d: Date): number {
  return (d.getTime() - Date.UTC(1899, 11, 30)) / 86400000;
}

/** Calibration in snem's vocabulary, plus every raw header field under `blo`. */
export function bloMeta(h: BloHeader): Record<string, Json> {
  const meta: Record<string, Json> = {};
  if (h.sx > 0 || h.sy > 0) meta.scanStepNm = h.sx === h.sy ? h.sx : [h.sy, h.sx];
  if (h.beamEnergy > 0) meta.beamEnergyKeV = h.beamEnergy / 1000;
  if (h.cameraLength > 0) meta.cameraLengthMm = h.cameraLength / 10;
  if (h.sdp > 0) meta.detectorCmPerPixel = 100 / h.sdp;
  if (h.sdp > 0 && h.cameraLength > 0 && h.beamEnergy > 0) {
    // Small-angle: 2θ per pixel = (100/SDP cm) / L; g = 2θ/λ (1/d units), Q = 2π g.
    const lambda = electronWavelengthA(h.beamEnergy);
    const lengthCm = h.cameraLength / 100;
    const g = 100 / h.sdp / lengthCm / lambda;
    meta.gPerPixel = g;
    meta.qPerPixel = 2 * Math.PI * g;
    meta.calibrationWarning =
      'gPerPixel/qPerPixel derived from SDP (100/SDP cm per pixel on the camera) and Camera_length read as 10×mm; ' +
      'the Camera_length unit is uncertain in the format, so check against a known ring and override in calib.geometry';
  }
  if (h.scanRotation) meta.scanRotationDeg = h.scanRotation / 100;
  if (h.dpRotation) meta.dpRotationDeg = h.dpRotation / 100;
  const when = oleDateToIso(h.acquisitionTime);
  if (when) meta.acquiredAt = when;
  if (h.note) meta.note = h.note;
  meta.blo = {
    magic: h.magic,
    dataOffset1: h.dataOffset1,
    dataOffset2: h.dataOffset2,
    unknown1: h.unknown1,
    dpSize: h.dpSize,
    dpRotation: h.dpRotation,
    nx: h.nx,
    ny: h.ny,
    scanRotation: h.scanRotation,
    sx: h.sx,
    sy: h.sy,
    beamEnergy: h.beamEnergy,
    sdp: h.sdp,
    cameraLength: h.cameraLength,
    acquisitionTime: h.acquisitionTime,
    centering: h.centering,
    distortion: h.distortion,
  };
  return meta;
}

export function readBloHeader(file: string): BloHeader {
  const fd = openForRead(file);
  try {
    return parseBloHeader(file, readUpTo(fd, 4096, 0));
  } finally {
    closeFd(fd);
  }
}

/** A blockfile handle also exposes the stored virtual bright-field image. */
export interface BloHandle extends DatasetHandle {
  header: BloHeader;
  /** The stored VBF image, uint8 [ny, nx]. */
  vbf(): NDArray;
}

export function openBlo(file: string, opts: { allowTruncated?: boolean } = {}): BloHandle {
  const fd = openForRead(file);
  try {
    const size = fs.fstatSync(fd).size;
    const head = readUpTo(fd, 4096, 0);
    const h = parseBloHeader(file, head);
    if (head.length >= h.dataOffset1 && h.dataOffset1 > 4096)
      h.note = readUpTo(fd, h.dataOffset1 - HEADER_BYTES, HEADER_BYTES)
        .toString('latin1')
        .replace(/\0/g, '');
    const positions = h.nx * h.ny;
    const pixelBytes = h.dpSize * h.dpSize;
    const stride = RECORD_PREFIX + pixelBytes;
    if (size < h.dataOffset1 + positions) {
      throw new FileFormatError(
        file,
        `truncated blockfile: expected the ${h.ny}×${h.nx} VBF image at bytes ${h.dataOffset1}…${h.dataOffset1 + positions}, but the file has ${size} bytes`,
      );
    }
    const available = Math.min(positions, completeRecords(size, h.dataOffset2, stride, 0, stride));
    const expectedBytes = h.dataOffset2 + positions * stride;
    if (available < positions && !opts.allowTruncated) {
      throw new FileFormatError(
        file,
        truncatedMessage('blockfile', positions, available, expectedBytes, size),
      );
    }
    const truncated = available < positions;
    const meta = bloMeta(h);
    if (truncated) meta.missingFrames = positions - available;
    const stack = {
      file,
      fd,
      firstOffset: h.dataOffset2,
      stride,
      pixelOffset: RECORD_PREFIX,
      pixelBytes,
      positions,
      available,
      frameShape: [h.dpSize, h.dpSize],
      outDtype: truncated ? ('float32' as const) : ('uint8' as const),
      decode: plainDecoder('uint8', true, h.dpSize, h.dpSize),
      checkRecord(rec: Uint8Array, k: number) {
        const index = rec[2] | (rec[3] << 8) | (rec[4] << 16) | (rec[5] << 24);
        if (rec[0] !== 0xaa || rec[1] !== 0x55 || index >>> 0 !== k) {
          throw new FileFormatError(
            file,
            `corrupted blockfile record ${k} at byte ${h.dataOffset2 + k * stride}: expected magic AA 55 and index ${k}, found ` +
              `${rec[0].toString(16).padStart(2, '0')} ${rec[1].toString(16).padStart(2, '0')} and index ${index >>> 0}`,
          );
        }
      },
    };
    return {
      ...stackHandle(stack, file, 'blo', { ny: h.ny, nx: h.nx }, meta),
      header: h,
      vbf() {
        const img = new Uint8Array(positions);
        readExact(fd, file, img, h.dataOffset1);
        return { dtype: 'uint8', shape: [h.ny, h.nx], data: img };
      },
    };
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface BloWriteOptions {
  scan: { ny: number; nx: number };
  /** Side length of the square patterns. */
  dpSize: number;
  /** Scan step in nm: one number, or [y, x]. */
  scanStepNm?: number | [number, number];
  beamEnergyKeV?: number;
  /** Raw SDP field (100 × pixels per cm). */
  sdp?: number;
  /** Raw Camera_length field (read back as cameraLengthMm = value/10). */
  cameraLength?: number;
  scanRotationDeg?: number;
  dpRotationDeg?: number;
  acquiredAt?: Date;
  note?: string;
  distortion?: number[];
  centering?: number[];
  unknown1?: number;
  /** The stored VBF image [ny·nx] uint8; default: each frame's mean, truncated to uint8 (as rsciio). */
  vbf?: Uint8Array;
}

function bloHeaderBytes(o: BloWriteOptions): { bytes: Buffer; dataOffset1: number; dataOffset2: number } {
  const { ny, nx } = o.scan;
  if (o.dpSize < 1 || o.dpSize > 65535 || nx < 1 || nx > 65535 || ny < 1 || ny > 65535) {
    throw new RangeError(`blockfile sizes must be 1…65535 (DP_SZ=${o.dpSize}, NX=${nx}, NY=${ny})`);
  }
  const dataOffset1 = 0x1000;
  // As ASTAR does: the records start at the end of the VBF image, rounded up to a multiple of 16.
  const dataOffset2 = Math.ceil((dataOffset1 + nx * ny) / 16) * 16;
  const b = Buffer.alloc(dataOffset1);
  b.write(BLO_MAGIC_ID, 0, 'latin1');
  b.writeUInt16LE(0x0102, 6);
  b.writeUInt32LE(dataOffset1, 8);
  b.writeUInt32LE(dataOffset2, 12);
  b.writeUInt32LE(o.unknown1 ?? ASTAR_UNKNOWN1, 16);
  b.writeUInt16LE(o.dpSize, 20);
  b.writeUInt16LE(Math.round((o.dpRotationDeg ?? 0) * 100) & 0xffff, 22);
  b.writeUInt16LE(nx, 24);
  b.writeUInt16LE(ny, 26);
  b.writeUInt16LE(Math.round((o.scanRotationDeg ?? 0) * 100) & 0xffff, 28);
  const step = o.scanStepNm ?? 0;
  const [sy, sx] = Array.isArray(step) ? step : [step, step];
  b.writeDoubleLE(sx, 30);
  b.writeDoubleLE(sy, 38);
  b.writeUInt32LE(Math.round((o.beamEnergyKeV ?? 0) * 1000), 46);
  b.writeUInt16LE(Math.trunc(o.sdp ?? 0), 50);
  b.writeUInt32LE(Math.trunc(o.cameraLength ?? 0), 52);
  b.writeDoubleLE(isoToOleDate(o.acquiredAt ?? new Date(Date.UTC(1970, 0, 2))), 56);
  (o.centering ?? []).slice(0, 8).forEach((v, i) => {
    b.writeDoubleLE(v, 64 + 8 * i);
  });
  (o.distortion ?? []).slice(0, 14).forEach((v, i) => {
    b.writeDoubleLE(v, 128 + 8 * i);
  });
  // The note is latin-1, at most 3856 bytes (the room before the VBF image), NUL-padded.
  const note = Buffer.from(o.note ?? '', 'latin1').subarray(0, dataOffset1 - HEADER_BYTES);
  note.copy(b, HEADER_BYTES);
  return { bytes: b, dataOffset1, dataOffset2 };
}

/** Clamp and round any value to the uint8 a blockfile stores. */
function toU8(v: number): number {
  return v >= 255 ? 255 : v > 0 ? Math.round(v) : 0;
}

/**
 * Streams a blockfile to disk frame by frame (positioned writes, any order); `close()` writes the
 * VBF image and renames the temp file into place.
 */
export class BloStreamWriter {
  private fd: number;
  private readonly tmp: string;
  private readonly dataOffset1: number;
  private readonly dataOffset2: number;
  private readonly stride: number;
  private readonly vbf: Uint8Array;
  private readonly record: Uint8Array;

  constructor(
    readonly file: string,
    readonly opts: BloWriteOptions,
  ) {
    const h = bloHeaderBytes(opts);
    this.dataOffset1 = h.dataOffset1;
    this.dataOffset2 = h.dataOffset2;
    const positions = opts.scan.ny * opts.scan.nx;
    this.stride = RECORD_PREFIX + opts.dpSize * opts.dpSize;
    this.vbf = opts.vbf ? Uint8Array.from(opts.vbf) : new Uint8Array(positions);
    if (this.vbf.length !== positions)
      throw new RangeError(`vbf has ${this.vbf.length} values, expected ${positions}`);
    this.record = new Uint8Array(this.stride);
    this.tmp = `${file}.tmp-${process.pid}`;
    this.fd = fs.openSync(this.tmp, 'w');
    fs.writeSync(this.fd, h.bytes, 0, h.bytes.length, 0);
    fs.ftruncateSync(this.fd, this.dataOffset2 + positions * this.stride);
  }

  /** Frames of positions start … start+n−1: [n·dpSize²] values (uint8, or clamped and rounded). */
  writeFrames(start: number, frames: TypedArray): void {
    const px = this.stride - RECORD_PREFIX;
    const n = frames.length / px;
    if (!Number.isInteger(n) || start < 0 || start + n > this.vbf.length) {
      throw new RangeError(
        `frames of ${frames.length} values at position ${start} do not fit ${this.vbf.length} frames of ${px} pixels`,
      );
    }
    const rec = this.record;
    for (let k = 0; k < n; k++) {
      const index = start + k;
      rec[0] = 0xaa;
      rec[1] = 0x55;
      rec[2] = index & 0xff;
      rec[3] = (index >>> 8) & 0xff;
      rec[4] = (index >>> 16) & 0xff;
      rec[5] = (index >>> 24) & 0xff;
      let sum = 0;
      const base = k * px;
      if (frames instanceof Uint8Array) {
        rec.set(frames.subarray(base, base + px), RECORD_PREFIX);
        for (let i = 0; i < px; i++) sum += frames[base + i];
      } else {
        for (let i = 0; i < px; i++) {
          const v = toU8(frames[base + i]);
          rec[RECORD_PREFIX + i] = v;
          sum += v;
        }
      }
      if (!this.opts.vbf) this.vbf[index] = Math.trunc(sum / px);
      const at = this.dataOffset2 + index * this.stride;
      let done = 0;
      while (done < rec.length) done += fs.writeSync(this.fd, rec, done, rec.length - done, at + done);
    }
  }

  close(): void {
    fs.writeSync(this.fd, this.vbf, 0, this.vbf.length, this.dataOffset1);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.file);
  }

  abort(): void {
    closeFd(this.fd);
    fs.rmSync(this.tmp, { force: true });
  }
}

/** Write frames [ny, nx, h, w] (or [n, h, w] with opts.scan) as a blockfile. */
export function writeBlo(
  file: string,
  frames: NDArray,
  opts: Omit<BloWriteOptions, 'scan' | 'dpSize'> & { scan?: { ny: number; nx: number } },
): void {
  const s = frames.shape;
  if (s.length < 3 || s[s.length - 1] !== s[s.length - 2]) {
    throw new RangeError(
      `a blockfile holds square patterns: expected [ny, nx, n, n] or [positions, n, n], got [${s.join(', ')}]`,
    );
  }
  const scan = s.length === 4 ? { ny: s[0], nx: s[1] } : (opts.scan ?? { ny: 1, nx: s[0] });
  const w = new BloStreamWriter(file, { ...opts, scan, dpSize: s[s.length - 1] });
  try {
    w.writeFrames(0, frames.data);
    w.close();
  } catch (e) {
    w.abort();
    throw e;
  }
}
