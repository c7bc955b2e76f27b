/**
 * source.map: a 2-D map acquired apart from the scan — an EELS or EDX elemental map, a HAADF image —
 * on its own grid and pixel size, for map.register to put on the scan grid. The file is named by a
 * param, so its content hash is part of the key (editing the map recomputes what follows).
 */
import { FileFormatError, ParamError, UserError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { resolveParamFile } from '../../engine/param-files.ts';
import { defineOp, type Json } from '../../engine/types.ts';
import { readMapFile } from '../../formats/map-file.ts';

export const sourceMap = defineOp({
  name: 'source.map',
  version: 1,
  scope: 'dataset',
  title: 'External 2-D map (EELS, EDX, HAADF …)',
  description:
    'Reads one 2-D map acquired separately from the scan: NumPy .npy, a float (or integer) TIFF image, a CSV grid (one line per row), ' +
    "a dataset of an HDF5 / EMD file (h5Path, or the file's only 2-D dataset) or a HyperSpy .hspy signal. Its pixel size comes from " +
    "pixelSizeNm, else from the file (HyperSpy axes, EMD dim vectors). Output `map` [rows, cols] on the map's own grid; map.register puts it on the scan grid.",
  inputs: {},
  params: {
    file: {
      type: 'string',
      file: true,
      description: 'the map file (relative paths: working directory, then beside the dataset)',
    },
    format: {
      type: 'enum',
      values: ['auto', 'npy', 'tiff', 'csv', 'hdf5', 'hspy'],
      default: 'auto',
      description: 'file format; auto = from the magic bytes, then the extension',
    },
    h5Path: {
      type: 'string',
      optional: true,
      description:
        'dataset path inside an HDF5 / EMD / hspy file (default: the HyperSpy signal, else the only 2-D dataset)',
    },
    pixelSizeNm: {
      type: 'number[]',
      length: [1, 2],
      optional: true,
      unit: 'nm',
      description: 'pixel size of the map, [size] or [y, x] (default: from the file)',
    },
    label: { type: 'string', optional: true, description: 'what the map shows, e.g. "Zr (EELS)"' },
    unit: { type: 'string', default: '', description: 'unit of the map values, e.g. "at.%"' },
  },
  outputs: (p) => ({
    fields: {
      map: {
        dims: ['rows', 'cols'],
        unit: p.unit,
        description: 'the map on its own grid, float32; NaN = no data',
      },
    },
  }),
  check(p, { node }) {
    if (p.pixelSizeNm && !p.pixelSizeNm.every((v) => v > 0 && Number.isFinite(v)))
      throw new ParamError(node, 'pixelSizeNm', `expected positive sizes in nm, got [${p.pixelSizeNm}]`);
  },
  async run({ node, params: p, dataset }) {
    const file = resolveParamFile(node, 'file', p.file, dataset?.path ?? null);
    let m: Awaited<ReturnType<typeof readMapFile>>;
    try {
      m = await readMapFile(file, { format: p.format, h5Path: p.h5Path ?? undefined });
    } catch (e) {
      if (e instanceof FileFormatError) throw new ParamError(node, 'file', e.message);
      if (e instanceof UserError) throw new ParamError(node, 'file', `${file}: ${e.message}`);
      throw e;
    }
    const given = p.pixelSizeNm
      ? ([p.pixelSizeNm[0], p.pixelSizeNm[p.pixelSizeNm.length - 1]] as [number, number])
      : null;
    const pixel = given ?? m.pixelSizeNm;
    const meta: Record<string, Json> = {
      file: p.file,
      path: file,
      format: m.format,
      shape: [m.ny, m.nx],
      pixelSizeNm: pixel,
      pixelSizeFrom: given
        ? 'param pixelSizeNm'
        : pixel
          ? 'the file'
          : 'unknown (map.register then needs its scale or estimates it)',
      label: p.label ?? m.meta.title ?? m.meta.quantity ?? p.file,
      units: { map: p.unit },
      fileMeta: m.meta,
    };
    return { fields: { map: f32([m.ny, m.nx], m.data) }, meta };
  },
});
