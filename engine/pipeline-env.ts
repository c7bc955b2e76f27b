/**
 * What a thread needs to run chunk jobs, built from a serialisable description: the main thread
 * and every worker make their own store, dataset handle and resolved graph from the same setup
 * (the wiring by the module URL it names: engine/wiring.ts).
 */
import { CacheStore } from '../cache/store.ts';
import type { DatasetSpec } from './dataset.ts';
import { resolveGraph, type GraphDoc } from './graph.ts';
import { applyFileHashes, type FileHashes } from './param-files.ts';
import { initHash } from './hash.ts';
import type { PipelineEnv } from './chunk-pipeline.ts';
import type { Prepared } from './prepare.ts';
import type { ResultStore } from './result-store.ts';
import type { Json, ScanShape } from './types.ts';
import { loadWiring } from './wiring.ts';

export interface PipelineSetup {
  cacheDir: string;
  graphDoc: GraphDoc;
  graphFile: string | null;
  sets: string[];
  dataset: DatasetSpec | null;
  datasetHash: string | null;
  scan: ScanShape;
  /** Content hashes of param files, hashed once in the main thread (engine/param-files.ts). */
  fileHashes: FileHashes;
  /** URL of the wiring module (ops, dataset readers) the worker loads. */
  wiringModule: string;
  /**
   * A store other than the LMDB cache at cacheDir: a module exporting `openStore(spec)` (the cluster's
   * shared store), loaded by URL so that the engine does not depend on it.
   */
  store?: { module: string; spec: Json };
}

async function openResultStore(setup: PipelineSetup): Promise<ResultStore> {
  if (!setup.store) return new CacheStore(setup.cacheDir);
  const mod = (await import(setup.store.module)) as { openStore(spec: Json): Promise<ResultStore> };
  return mod.openStore(setup.store.spec);
}

export function setupOf(pre: Prepared, opts: { graphFile?: string; sets?: string[] }): PipelineSetup {
  return {
    cacheDir: pre.cacheDir,
    graphDoc: pre.doc,
    graphFile: opts.graphFile ?? null,
    sets: opts.sets ?? [],
    dataset: pre.spec,
    datasetHash: pre.datasetHash,
    scan: pre.scan,
    fileHashes: pre.fileHashes,
    wiringModule: pre.wiring.module,
  };
}

export async function buildEnv(setup: PipelineSetup, log: (m: string) => void): Promise<PipelineEnv> {
  await initHash();
  const wiring = await loadWiring(setup.wiringModule);
  const dataset = setup.dataset ? await wiring.openDataset(setup.dataset) : null;
  const graph = resolveGraph(setup.graphDoc, {
    file: setup.graphFile,
    sets: setup.sets,
    dataset,
    registry: wiring.registry,
    nodeChecks: wiring.nodeChecks,
  });
  applyFileHashes(graph, setup.fileHashes);
  return {
    graph,
    store: await openResultStore(setup),
    dataset,
    datasetHash: setup.datasetHash,
    scan: setup.scan,
    log,
  };
}
