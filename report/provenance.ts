/**
 * Provenance of every file the project writes: which run, graph, node, key and inputs produced
 * it. PNGs carry it in iTXt chunks, TIFFs in ImageDescription, HDF5 in attributes; everything in a
 * run directory is also listed in `provenance.json`, and exports elsewhere get `FILE.provenance.json`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Json } from '../engine/types.ts';
import type { Manifest, WrittenOutput } from '../engine/run-types.ts';

export interface FileProvenance {
  file: string;
  /** What the file is: data (npy), axis, figure, plot, report, export. */
  role: string;
  run: string;
  created: string;
  graphName: string | null;
  graphFile: string | null;
  graphHash: string;
  datasetHash: string | null;
  datasetPath: string | null;
  node: string | null;
  field: string | null;
  op: string | null;
  opVersion: number | null;
  key: string | null;
  valueHash: string | null;
  params: Record<string, Json> | null;
  /** Port → upstream node (or node.field) and its value hash. */
  inputs: Record<string, { node: string; valueHash: string }>;
  /** What else went into a figure (positions, colour limits, colormap). */
  figure?: Record<string, Json>;
}

export const SIDECAR = 'provenance.json';

export function runProvenance(m: Manifest, file: string, role: string): FileProvenance {
  const g = m.graph as Record<string, Json> | null;
  return {
    file,
    role,
    run: m.run,
    created: m.created,
    graphName: g && typeof g.name === 'string' ? g.name : null,
    graphFile: m.graphFile,
    graphHash: m.graphHash,
    datasetHash: m.datasetHash,
    datasetPath: m.dataset?.path ?? null,
    node: null,
    field: null,
    op: null,
    opVersion: null,
    key: null,
    valueHash: null,
    params: null,
    inputs: {},
  };
}

export function nodeProvenance(
  m: Manifest,
  node: string,
  field: string | null,
  file: string,
  role: string,
  o?: WrittenOutput,
): FileProvenance {
  const p = runProvenance(m, file, role);
  const n = m.nodes[node];
  p.node = node;
  p.field = field;
  if (n) {
    p.op = n.op;
    p.opVersion = n.opVersion ?? null;
    p.key = o?.key ?? n.key;
    p.valueHash = o?.valueHash ?? n.valueHash;
    p.params = n.params;
    for (const [port, hash] of Object.entries(n.inputs ?? {}))
      p.inputs[port] = { node: n.inputNodes?.[port] ?? '?', valueHash: hash };
  }
  return p;
}

/** The compact text put into PNG chunks: a few plain keys plus the whole record as JSON. */
export function pngTextFor(p: FileProvenance): Record<string, string> {
  const t: Record<string, string> = { Software: 'snem', 'snem:run': p.run };
  if (p.node) t['snem:node'] = p.field ? `${p.node}.${p.field}` : p.node;
  if (p.key) t['snem:key'] = p.key;
  t['snem:provenance'] = JSON.stringify(p);
  return t;
}

export function writeSidecar(runDir: string, entries: FileProvenance[]): void {
  const file = path.join(runDir, SIDECAR);
  const body = { snemProvenance: 1, files: Object.fromEntries(entries.map((e) => [e.file, e])) };
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** Sidecar beside an exported file: `FILE.provenance.json`. */
export function writeFileSidecar(file: string, p: FileProvenance): string {
  const side = `${file}.provenance.json`;
  fs.writeFileSync(side, `${JSON.stringify(p, null, 2)}\n`);
  return side;
}
