/** The shapes of a run: manifest (CONTRACT.md), written outputs, and what the report is given. */
import type { Json } from './types.ts';

export type NodeStatus = 'computed' | 'cached' | 'cutoff';

export interface ManifestNode {
  op: string;
  opVersion: number;
  scope: 'frame' | 'dataset';
  params: Record<string, Json>;
  /** Dataset-level key (frame scope: hash of the chunk keys). */
  key: string;
  valueHash: string;
  status: NodeStatus;
  seconds: number;
  inputs: Record<string, string>;
  /** Upstream node (or node.field) per port. */
  inputNodes: Record<string, string>;
  chunks?: { total: number; computed: number; cached: number };
  /** Params changed by --set. */
  overrides?: string[];
}

export interface Manifest {
  run: string;
  created: string;
  graph: Json;
  graphFile: string | null;
  graphHash: string;
  datasetHash: string | null;
  dataset: { path: string; format: string; scan: [number, number]; frameShape: number[]; dtype: string; meta: Record<string, Json> } | null;
  engineVersion: string;
  overrides: string[];
  workers: number;
  chunkSize: number;
  seconds: number;
  nodes: Record<string, ManifestNode>;
  outputs: WrittenOutput[];
}

/** One file a run wrote for an output node. */
export interface WrittenOutput {
  node: string;
  op: string;
  field: string;
  /** File name relative to the run directory. */
  file: string;
  /** map: [ny, nx]; maps: [ny, nx, k]; curves: [ny, nx, n]; array: anything else. */
  kind: 'map' | 'maps' | 'curves' | 'array';
  shape: number[];
  unit?: string;
  /** Axis file (relative) and axis name (q, r) for curves / components. */
  axisFile?: string;
  axisName?: string;
  key: string;
  valueHash: string;
}
