/**
 * What a thread needs to run chunk jobs, built from a serialisable description: the main thread
 * and every worker make their own store, dataset handle and resolved graph from the same setup.
 */
import { CacheStore } from '../cache/store.ts';
import { loadPluginOps } from '../nodes/registry.ts';
import { openSpec, type DatasetSpec } from './dataset.ts';
import { resolveGraph, type GraphDoc } from './graph.ts';
import { applyFileHashes, type FileHashes } from './param-files.ts';
import { initHash } from './hash.ts';
import type { PipelineEnv } from './chunk-pipeline.ts';
import type { ResultStore } from './result-store.ts';
import type { Json, ScanShape } from './types.ts';

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

export async function buildEnv(setup: PipelineSetup, log: (m: string) => void): Promise<PipelineEnv> {
  await initHash();
  await loadPluginOps();
  const dataset = setup.dataset ? await openSpec(setup.dataset) : null;
  const graph = resolveGraph(setup.graphDoc, { file: setup.graphFile, sets: setup.sets, dataset });
  applyFileHashes(graph, setup.fileHashes);
  return { graph, store: await openResultStore(setup), dataset, datasetHash: setup.datasetHash, scan: setup.scan, log };
}
