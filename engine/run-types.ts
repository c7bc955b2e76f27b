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
  /** Wall-clock seconds (a frame or reduce node: its share of the frame pass's wall time). */
  seconds: number;
  /** Frame and reduce nodes: seconds inside the op summed over chunks and workers (CPU). */
  cpuSeconds?: number;
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
  dataset: {
    path: string;
    format: string;
    scan: [number, number];
    frameShape: number[];
    dtype: string;
    meta: Record<string, Json>;
  } | null;
  engineVersion: string;
  overrides: string[];
  workers: number;
  chunkSize: number;
  seconds: number;
  nodes: Record<string, ManifestNode>;
  outputs: WrittenOutput[];
  /** How each map was drawn (the graph's `display` settings resolved), per figure file and panel. */
  figures?: FigureDisplay[];
  /** When the figures and report.html were last drawn, and from which graph's display settings. */
  rendered?: { time: string; by: 'run' | 'report'; graphFile: string | null };
}

/** The display settings one map panel was drawn with. */
export interface FigureDisplay {
  /** Figure file in the run directory (NAME.png, report.maps.png). */
  file: string;
  node: string;
  field: string;
  /** Component (0-based) of a [ny, nx, k] output; absent for a map. */
  panel?: number;
  colormap: string;
  limits: [number, number];
  /** "display.limits" or "percentiles 1–99", plus ", symmetric about 0". */
  limitsFrom: string;
  symmetric: boolean;
  label?: string;
  /** The settings as the graph gave them ({} = all automatic). */
  display: { [key: string]: Json };
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
