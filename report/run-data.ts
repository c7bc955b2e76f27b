/** Reading a run directory: its manifest and each written output as float arrays. */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../engine/errors.ts';
import type { Manifest, WrittenOutput } from '../engine/run-types.ts';
import { NpyReader, readNpy, readNpyHeader } from '../formats/npy.ts';
import { parseScanStep, type ScanStep } from '../viz/map-panel.ts';

export interface LoadedOutput {
  out: WrittenOutput;
  shape: number[];
  /**
   * Values as float64 (any stored dtype converted), read from disk on first use; empty for
   * per-position curves (see curveAt).
   */
  readonly data: Float64Array;
  axis: Float64Array | null;
  /** Absolute path of the .npy file. */
  path: string;
  /**
   * What fixes the file's bytes without reading them (a `snem run` knows: the output store's id of
   * the node's value, and the field), so figures can be looked up in the figure cache unread.
   */
  contentId?: string;
}

export function readManifest(runDir: string): Manifest {
  const file = path.join(runDir, 'manifest.json');
  if (!fs.existsSync(file))
    throw new UserError(
      `${runDir}: not a run directory (no manifest.json; produce one with 'snem run GRAPH.json --out DIR')`,
    );
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Write manifest.json atomically (a reader never sees half a file). */
export function writeManifest(runDir: string, m: Manifest): void {
  const tmp = path.join(runDir, `.manifest.json.${process.pid}`);
  try {
    fs.writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`);
    fs.renameSync(tmp, path.join(runDir, 'manifest.json'));
  } catch (e) {
    fs.rmSync(tmp, { force: true }); // a full disk left it behind
    throw e;
  }
}

/**
 * Maps and small arrays are read whole, when a figure first asks for their values (the header is
 * read now, so a truncated file is reported here); per-position curves ([ny, nx, n], hundreds of
 * MB for a paper-size scan) are left on disk and read one position at a time by `curveAt`.
 */
export function loadOutput(runDir: string, out: WrittenOutput): LoadedOutput {
  const file = path.join(runDir, out.file);
  let axis: Float64Array | null = null;
  if (out.axisFile && fs.existsSync(path.join(runDir, out.axisFile)))
    axis = Float64Array.from(readNpy(path.join(runDir, out.axisFile)).data as ArrayLike<number>);
  const h = readNpyHeader(file);
  if (out.kind === 'curves') {
    if (h.shape.length !== 3)
      throw new UserError(
        `${file}: expected per-position curves [ny, nx, n], found shape (${h.shape.join(', ')})`,
      );
    return { out, shape: h.shape, data: new Float64Array(0), axis, path: file };
  }
  let data: Float64Array | null = null;
  return {
    out,
    shape: h.shape,
    get data() {
      return (data ??= Float64Array.from(readNpy(file).data as ArrayLike<number>));
    },
    axis,
    path: file,
  };
}

export function scanStepOf(m: Manifest): ScanStep | null {
  return parseScanStep(m.dataset?.meta?.scanStepNm);
}

export function scanShapeOf(m: Manifest): [number, number] | null {
  if (m.dataset?.scan) return m.dataset.scan;
  const map = m.outputs.find((o) => o.kind === 'map' || o.kind === 'maps' || o.kind === 'curves');
  return map ? [map.shape[0], map.shape[1]] : null;
}

/** "node" or "node.field" as written in file names, and a readable title. */
export function outputBase(o: WrittenOutput): string {
  return o.file.replace(/\.npy$/, '');
}

export function outputTitle(o: WrittenOutput): string {
  return o.file === `${o.node}.npy` ? o.node : `${o.node} · ${o.field}`;
}

/** The node id a graph input reference ("node" or "node.field") names. */
export function refNode(ref: string, m: Manifest): { node: string; field?: string } {
  if (m.nodes[ref]) return { node: ref };
  const dot = ref.indexOf('.');
  if (dot > 0 && m.nodes[ref.slice(0, dot)]) return { node: ref.slice(0, dot), field: ref.slice(dot + 1) };
  return { node: ref };
}

/** One curve (row) of a [ny, nx, n] output at (iy, ix), read from disk. */
export function curveAt(o: LoadedOutput, iy: number, ix: number): Float64Array {
  const nx = o.shape[1];
  if (o.data.length) {
    const n = o.shape[2];
    return o.data.subarray((iy * nx + ix) * n, (iy * nx + ix + 1) * n);
  }
  const r = new NpyReader(o.path, 2);
  try {
    return Float64Array.from(r.readRows(iy * nx + ix, 1).data as ArrayLike<number>);
  } finally {
    r.close();
  }
}
