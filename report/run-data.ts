/** Reading a run directory: its manifest and each written output as float arrays. */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../engine/errors.ts';
import type { Manifest, WrittenOutput } from '../engine/run-types.ts';
import { readNpy } from '../formats/npy.ts';
import { parseScanStep, type ScanStep } from '../viz/map-panel.ts';

export interface LoadedOutput {
  out: WrittenOutput;
  shape: number[];
  /** Values as float64 (any stored dtype converted). */
  data: Float64Array;
  axis: Float64Array | null;
}

export function readManifest(runDir: string): Manifest {
  const file = path.join(runDir, 'manifest.json');
  if (!fs.existsSync(file)) throw new UserError(`${runDir}: not a run directory (no manifest.json; produce one with 'snem run GRAPH.json --out DIR')`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export function loadOutput(runDir: string, out: WrittenOutput): LoadedOutput {
  const a = readNpy(path.join(runDir, out.file));
  const data = Float64Array.from(a.data as ArrayLike<number>);
  let axis: Float64Array | null = null;
  if (out.axisFile && fs.existsSync(path.join(runDir, out.axisFile))) axis = Float64Array.from(readNpy(path.join(runDir, out.axisFile)).data as ArrayLike<number>);
  return { out, shape: a.shape, data, axis };
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

/** One curve (row) of a [ny, nx, n] array at (iy, ix). */
export function curveAt(o: LoadedOutput, iy: number, ix: number): Float64Array {
  const [, nx, n] = o.shape;
  const start = (iy * nx + ix) * n;
  return o.data.subarray(start, start + n);
}
