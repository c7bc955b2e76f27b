/**
 * What travels through the queue: one frame pass over one chunk (the fused per-position nodes ×
 * chunk the local executor gives a worker thread), with everything a worker on another machine
 * needs to rebuild the graph, and the op versions it must have.
 */
import os from 'node:os';
import type { ChunkJob } from '../engine/chunk-pipeline.ts';
import { hashValue } from '../engine/hash.ts';
import type { PipelineSetup } from '../engine/pipeline-env.ts';
import type { ResolvedGraph } from '../engine/graph.ts';
import type { Registry } from '../engine/types.ts';
import { ENGINE_VERSION } from '../engine/version.ts';

export const QUEUE = 'snem-chunks';

export interface ChunkJobData {
  /** snem version of the coordinator. */
  engine: string;
  /** Op name and version of every node the job computes. */
  ops: Record<string, { op: string; version: number }>;
  setup: PipelineSetup;
  job: ChunkJob;
  from: string;
}

export function jobData(graph: ResolvedGraph, setup: PipelineSetup, job: ChunkJob): ChunkJobData {
  const ops: ChunkJobData['ops'] = {};
  for (const id of job.nodes) {
    const n = graph.nodes.get(id)!;
    ops[id] = { op: n.op.name, version: n.op.version };
  }
  // The worker opens its own store; the coordinator's cache directory means nothing there.
  // Nor its wiring module's URL (where snem is installed there): the worker uses its own.
  const { store: _store, cacheDir: _dir, ...rest } = setup;
  return {
    engine: ENGINE_VERSION,
    ops,
    setup: { ...rest, cacheDir: '' },
    job,
    from: `${os.hostname()}:${process.pid}`,
  };
}

/**
 * The job id: the action key of the fused chunk, i.e. the hash of everything its results depend on
 * (graph, overrides, dataset and param-file content, the chunk, the known upstream hashes). Two
 * coordinators of the same graph name the same job, so BullMQ queues it once.
 */
export function jobId(d: ChunkJobData): string {
  const { graphDoc, sets, datasetHash, fileHashes, scan } = d.setup;
  return `chunk-${hashValue([graphDoc, sets, datasetHash, fileHashes, [scan.ny, scan.nx], d.ops, d.job] as never)}`;
}

/** Identity of the setup: jobs of one graph share a worker-thread pool. */
export function setupId(s: PipelineSetup): string {
  return hashValue([
    s.graphDoc,
    s.graphFile,
    s.sets,
    s.dataset,
    s.datasetHash,
    s.fileHashes,
    s.wiringModule,
  ] as never);
}

/** Why this worker must refuse the job (another snem version without the same op versions), or null. */
export function versionProblem(d: ChunkJobData, registry: Registry): string | null {
  for (const [node, { op, version }] of Object.entries(d.ops)) {
    const mine = registry.get(op)?.version;
    if (mine === undefined) {
      return `worker ${os.hostname()} (snem ${ENGINE_VERSION}) has no op '${op}' (node '${node}'), sent by snem ${d.engine}; run workers of the same snem version as the coordinator`;
    }
    if (mine !== version) {
      return `worker ${os.hostname()} (snem ${ENGINE_VERSION}) has op '${op}' version ${mine}, the job (node '${node}', from snem ${d.engine}) needs version ${version}; run workers of the same snem version as the coordinator`;
    }
  }
  return null;
}
