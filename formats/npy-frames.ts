/**
 * `.npy` files as datasets: a 4-D [ny, nx, h, w] scan, a 3-D [n, h, w] stack (with `scan`), one
 * 2-D image, or 1-D profiles when an axis file sits beside them; calibration from a `meta.json`
 * in the same folder (as `snem simulate` writes).
 */
import fs from 'node:fs';
import path from 'node:path';
import { FileFormatError } from '../engine/errors.ts';
import type { Json, ScanShape } from '../engine/types.ts';
import { type FormatModule, wantsProfiles } from './format-module.ts';
import { isNpy, NpyReader, readNpyHeader } from './npy.ts';
import { axisFileOf, openProfiles } from './profiles.ts';

export const npyFormat: FormatModule = {
  name: 'npy',
  sniff: (head) => isNpy(head),
  open(file, opts) {
    const shape = readNpyHeader(file).shape;
    if (wantsProfiles(opts) || (shape.length <= 3 && fs.existsSync(axisFileOf(file))))
      return openProfiles(file, opts);
    let scan: ScanShape;
    if (shape.length === 4) {
      scan = { ny: shape[0], nx: shape[1] };
      if (opts.scan && (opts.scan.ny !== scan.ny || opts.scan.nx !== scan.nx)) {
        throw new FileFormatError(
          file,
          `scan ${opts.scan.ny}×${opts.scan.nx} given, but the file is a ${scan.ny}×${scan.nx} scan`,
        );
      }
    } else if (shape.length === 3) {
      scan = opts.scan ?? { ny: 1, nx: shape[0] };
      if (scan.ny * scan.nx !== shape[0]) {
        throw new FileFormatError(
          file,
          `scan ${scan.ny}×${scan.nx} = ${scan.ny * scan.nx} positions, but the file holds ${shape[0]} frames`,
        );
      }
    } else if (shape.length === 2) {
      scan = { ny: 1, nx: 1 };
    } else {
      throw new FileFormatError(
        file,
        `expected a 3-D [n, h, w] or 4-D [ny, nx, h, w] array of frames (or one 2-D image), found shape (${shape.join(', ')})`,
      );
    }
    const r = new NpyReader(file, Math.max(0, shape.length - 2));
    return {
      path: file,
      format: 'npy',
      kind: 'frames',
      scan,
      frameShape: shape.slice(-2),
      dtype: r.header.dtype,
      meta: readSidecarMeta(file),
      read: (start, count) => {
        if (start < 0 || count < 0 || start + count > scan.ny * scan.nx)
          throw new RangeError(`${file}: positions ${start}…${start + count - 1} outside the scan`);
        const rows = r.readRows(shape.length === 2 ? 0 : start, shape.length === 2 ? 1 : count);
        return shape.length === 2 ? { ...rows, shape: [1, ...shape] } : rows;
      },
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
