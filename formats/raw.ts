/**
 * Raw binary frames with a declared layout (EMPAD and anything else without a self-describing
 * header): `offset` bytes of file header, then per frame `frameHeaderBytes`, `shape` = [rows, cols]
 * values of `dtype`, `frameFooterBytes`. `dropRows` trailing rows are discarded (EMPAD stores
 * 128 × 130 float32 frames whose last 2 rows are metadata). A `.raw` file opened without options
 * is taken as EMPAD when its size is a whole number of 128 × 130 float32 frames.
 */
import fs from 'node:fs';
import { FileFormatError } from '../engine/errors.ts';
import { bytesPerElement } from '../engine/ndarray.ts';
import type { DatasetHandle, DType, Json, ScanShape } from '../engine/types.ts';
import { openForRead } from './io.ts';
import { closeFd, completeRecords, plainDecoder, stackHandle, truncatedMessage } from './stack.ts';

export interface RawLayout {
  /** Stored frame shape [rows, cols] (before dropping rows). */
  shape: [number, number];
  dtype: DType;
  /** Bytes before the first frame. */
  offset?: number;
  frameHeaderBytes?: number;
  frameFooterBytes?: number;
  /** Trailing rows of each frame to discard (EMPAD: 2). */
  dropRows?: number;
  /** Default true. */
  littleEndian?: boolean;
}

export const EMPAD_LAYOUT: RawLayout = {
  shape: [130, 128],
  dtype: 'float32',
  dropRows: 2,
  littleEndian: true,
};

const DTYPES: DType[] = ['uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32', 'float32', 'float64'];

export function checkRawLayout(file: string, r: RawLayout): void {
  const ok =
    Array.isArray(r.shape) &&
    r.shape.length === 2 &&
    r.shape.every((n) => Number.isInteger(n) && n > 0) &&
    DTYPES.includes(r.dtype) &&
    [r.offset, r.frameHeaderBytes, r.frameFooterBytes, r.dropRows].every(
      (v) => v === undefined || (Number.isInteger(v) && v >= 0),
    );
  if (!ok || (r.dropRows ?? 0) >= r.shape[0]) {
    throw new FileFormatError(
      file,
      `raw layout: expected {shape: [rows, cols] positive integers, dtype one of ${DTYPES.join('/')}, offset/frameHeaderBytes/frameFooterBytes/dropRows non-negative integers (dropRows < rows)}, found ${JSON.stringify(r)}`,
    );
  }
}

export function openRaw(
  file: string,
  layout: RawLayout,
  opts: { scan?: ScanShape; allowTruncated?: boolean; assumed?: string } = {},
): DatasetHandle {
  checkRawLayout(file, layout);
  const fd = openForRead(file);
  try {
    const size = fs.fstatSync(fd).size;
    const [rows, cols] = layout.shape;
    const keepRows = rows - (layout.dropRows ?? 0);
    const pixelBytes = rows * cols * bytesPerElement(layout.dtype);
    const offset = layout.offset ?? 0;
    const head = layout.frameHeaderBytes ?? 0;
    const stride = head + pixelBytes + (layout.frameFooterBytes ?? 0);
    const available = completeRecords(size, offset, stride, head, pixelBytes);
    const rest = size - offset - available * stride;
    const scan = opts.scan ?? { ny: 1, nx: rest > 0 && opts.allowTruncated ? available + 1 : available };
    const positions = scan.ny * scan.nx;
    const layoutText = `${rows}×${cols} ${layout.dtype} frames with ${head}+${layout.frameFooterBytes ?? 0} header/footer bytes (${stride} bytes each) after ${offset} file-header bytes`;
    if (rest > 0 && (available >= positions || !opts.scan) && !opts.allowTruncated) {
      throw new FileFormatError(
        file,
        `size ${size} bytes is not a whole number of ${layoutText}: ${available} frames and ${rest} bytes left over; check shape, dtype and offsets`,
      );
    }
    if (available > positions) {
      throw new FileFormatError(
        file,
        `scan ${scan.ny}×${scan.nx} = ${positions} positions, but the file holds ${available} ${layoutText}`,
      );
    }
    if (available === 0 && positions > 0 && !opts.allowTruncated) {
      throw new FileFormatError(
        file,
        `raw layout ${JSON.stringify(layout)} needs at least ${offset + stride} bytes per frame; the file has ${size}`,
      );
    }
    if (available < positions && !opts.allowTruncated) {
      throw new FileFormatError(
        file,
        truncatedMessage('raw file', positions, available, offset + positions * stride, size),
      );
    }
    const truncated = available < positions;
    const meta: Record<string, Json> = { rawLayout: { ...layout } as unknown as Json };
    if (opts.assumed) meta.layoutAssumed = opts.assumed;
    if (truncated) meta.missingFrames = positions - available;
    const outDtype: DType = truncated ? 'float32' : layout.dtype;
    const stack = {
      file,
      fd,
      firstOffset: offset,
      stride,
      pixelOffset: head,
      pixelBytes,
      positions,
      available,
      frameShape: [keepRows, cols],
      outDtype,
      decode: plainDecoder(layout.dtype, layout.littleEndian ?? true, rows, cols, keepRows),
    };
    return stackHandle(stack, file, 'raw', scan, meta);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

/** A `.raw` file with no declared layout: EMPAD if the size fits, otherwise ask for the layout. */
export function guessRawLayout(file: string, size: number): RawLayout {
  const empadFrame = 130 * 128 * 4;
  if (size % empadFrame === 0) return EMPAD_LAYOUT;
  throw new FileFormatError(
    file,
    `raw file of ${size} bytes is not a whole number of EMPAD frames (128×130 float32 = ${empadFrame} bytes); declare its layout with dataset option raw: {shape, dtype, offset, frameHeaderBytes, frameFooterBytes, dropRows, littleEndian}`,
  );
}
