/**
 * `snem export`: a node's result (from the run directory, or the cache when the run did not write
 * it) as .npy + axis, 32-bit float TIFF (maps), CSV (maps, curves, components, line cuts) or HDF5.
 * Every file gets its provenance: inside (TIFF description, HDF5 attributes) or as FILE.provenance.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../engine/errors.ts';
import type { Manifest } from '../../engine/run-types.ts';
import { writeNpy } from '../../formats/npy.ts';
import { limitsOf, limitsSource } from '../../viz/display.ts';
import { lineCut, sampleMap } from '../../viz/linecut.ts';
import { outputStyle } from '../figures.ts';
import { nodeProvenance, writeFileSidecar } from '../provenance.ts';
import { readManifest, scanStepOf } from '../run-data.ts';
import { arrayCsv, componentsCsv, curvesCsv, cutCsv, mapCsv, mapsCsv } from './csv.ts';
import { writeHdf5 } from './hdf5.ts';
import { nodeArrays, type FieldArray, type NodeArrays } from './node-data.ts';
import { writeTiff } from './tiff.ts';

import { EXPORT_FORMATS, type ExportFormat } from './formats.ts';

export { EXPORT_FORMATS, type ExportFormat };

export interface ExportOptions {
  node?: string;
  format?: ExportFormat;
  /** A directory (default: the current one), or a file name when one file results. */
  to?: string;
  /** Line cut "y0,x0,y1,x1" (CSV of maps and curves along it). */
  cut?: [number, number, number, number];
  /** Positions for curve CSVs. */
  at?: { iy: number; ix: number }[];
  cacheDir?: string;
}

export interface ExportResult {
  files: string[];
  source: NodeArrays['source'] | 'run directory';
}

const EXT: Record<ExportFormat, string> = { npy: '.npy', tiff: '.tif', csv: '.csv', h5: '.h5' };

export async function exportRun(runDir: string, o: ExportOptions): Promise<ExportResult> {
  const m = readManifest(runDir);
  const format = o.format ?? 'npy';
  if (!EXPORT_FORMATS.includes(format))
    throw new UserError(`--format ${format}: expected one of ${EXPORT_FORMATS.join(', ')}`);
  const to = o.to ?? '.';
  if (format === 'h5') {
    const nodes = o.node ? [o.node] : [...new Set(m.outputs.map((w) => w.node))];
    if (!nodes.length) throw new UserError(`${runDir}: the run wrote no outputs; name one with --node NAME`);
    for (const n of nodes)
      if (!m.nodes[n])
        throw new UserError(`${runDir}: run has no node '${n}' (nodes: ${Object.keys(m.nodes).join(', ')})`);
    const file = isFileTarget(to, '.h5') ? to : path.join(to, `${o.node ?? `run-${m.run}`}.h5`);
    ensureDir(path.dirname(file));
    const sources = await writeHdf5(file, m, nodes, (n) => nodeArrays(runDir, m, n, o));
    return { files: [file], source: sources.includes('cache') ? 'cache' : 'run directory' };
  }
  if (!o.node)
    throw new UserError(
      `name the node to export with --node NAME (nodes: ${Object.keys(m.nodes).join(', ')})`,
    );
  const arrays = await nodeArrays(runDir, m, o.node, o);
  const planned = arrays.fields.map((f) => ({
    f,
    name: `${o.cut ? `${f.base}.cut` : f.base}${EXT[format]}`,
  }));
  const single = planned.length === 1 && isFileTarget(to, EXT[format]);
  const target = (name: string) => (single ? to : path.join(to, name));
  ensureDir(single ? path.dirname(to) : to);
  const files: string[] = [];
  const skipped: string[] = [];
  for (const { f, name } of planned) {
    const file = target(name);
    const prov = nodeProvenance(m, o.node, f.field, path.basename(file), 'export');
    prov.figure = { exportedFrom: arrays.source, format, ...(o.cut ? { cut: o.cut } : {}) };
    if (format === 'npy') {
      writeNpy(file, { dtype: 'float32', shape: f.shape, data: f.data });
      files.push(file, writeFileSidecar(file, prov));
      if (f.axis) {
        const axisFile = file.replace(/\.npy$/, '.axis.npy');
        writeNpy(axisFile, { dtype: 'float32', shape: [f.axis.length], data: f.axis });
        files.push(axisFile);
      }
    } else if (format === 'tiff') {
      if (f.kind !== 'map' && f.kind !== 'maps') {
        skipped.push(
          `${f.base} (${f.kind} ${f.shape.join('×')}: TIFF holds maps only; use --format csv or npy)`,
        );
        continue;
      }
      // ImageJ's display range: the limits the run's figures use (display settings, else percentiles).
      const style = outputStyle(m, { node: o.node, field: f.field, op: m.nodes[o.node]?.op ?? '' });
      const displayRange = limitsOf(f.data, style);
      prov.figure = {
        ...prov.figure,
        displayRange,
        colormap: style.colormap,
        limitsFrom: limitsSource(style),
      };
      writeTiff(file, tiffPages(f), { stepNm: scanStepOf(m), provenance: prov, displayRange });
      files.push(file);
    } else {
      fs.writeFileSync(file, csvOf(f, m, o));
      files.push(file, writeFileSidecar(file, prov));
    }
  }
  if (!files.length)
    throw new UserError(`node '${o.node}': nothing to export as ${format}: ${skipped.join('; ')}`);
  return { files, source: arrays.source };
}

function isFileTarget(to: string, ext: string): boolean {
  return to.toLowerCase().endsWith(ext) || (ext === '.tif' && /\.tiff$/i.test(to));
}

function ensureDir(dir: string) {
  fs.mkdirSync(dir || '.', { recursive: true });
}

/** [ny, nx] → one page; [ny, nx, k] → k pages. */
export function tiffPages(f: FieldArray) {
  const [ny, nx, k = 1] = f.shape;
  if (f.kind === 'map') return [{ width: nx, height: ny, data: f.data }];
  const pages = [];
  for (let j = 0; j < k; j++) {
    const data = new Float32Array(ny * nx);
    for (let p = 0; p < ny * nx; p++) data[p] = f.data[p * k + j];
    pages.push({ width: nx, height: ny, data });
  }
  return pages;
}

function csvOf(f: FieldArray, m: Manifest, o: ExportOptions): string {
  const name = f.unit ? `${f.base} (${f.unit})` : f.base;
  if (o.cut) {
    if (f.kind !== 'map' && f.kind !== 'curves')
      throw new UserError(
        `--cut needs a map or per-position curves; ${f.base} is ${f.kind} ${f.shape.join('×')}`,
      );
    const [ny, nx] = f.shape;
    const [y0, x0, y1, x1] = o.cut;
    if ([y0, y1].some((v) => v < 0 || v >= ny) || [x0, x1].some((v) => v < 0 || v >= nx)) {
      throw new UserError(
        `--cut ${o.cut.join(',')}: positions must lie inside the ${ny}×${nx} scan (y0,x0,y1,x1)`,
      );
    }
    const cut = lineCut([y0, x0], [y1, x1], scanStepOf(m));
    if (f.kind === 'map') return cutCsv(sampleMap(f.data, nx, cut), cut, name);
    return curvesCsv(
      f.data,
      f.shape,
      f.axis ?? null,
      f.axisName ?? 'index',
      Array.from(cut.iy, (iy, i) => ({ iy, ix: cut.ix[i] })),
    );
  }
  switch (f.kind) {
    case 'map':
      return mapCsv(f.data, f.shape[0], f.shape[1], name);
    case 'maps':
      return mapsCsv(f.data, f.shape[0], f.shape[1], f.shape[2], name);
    case 'curves':
      return curvesCsv(f.data, f.shape, f.axis ?? null, f.axisName ?? 'index', o.at);
    default:
      if (f.shape.length === 2 && f.axis?.length === f.shape[1])
        return componentsCsv(f.data, f.shape[0], f.shape[1], f.axis, f.axisName ?? 'index', f.field);
      return arrayCsv(f.data, f.shape, name);
  }
}
