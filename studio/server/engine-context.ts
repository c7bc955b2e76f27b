/**
 * What the studio keeps open for its whole life: the cache (the same LMDB store the CLI uses), the
 * dataset handle and its content hash. Opening and hashing once is what makes a preview request
 * cost milliseconds instead of the CLI's start-up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CacheStore, resolveCacheDir } from '../../cache/store.ts';
import { engineWiring } from '../../app/wiring.ts';
import { datasetHash, datasetSpec, type DatasetSpec } from '../../engine/dataset.ts';
import type { ExecuteOptions } from '../../engine/executor.ts';
import { resolveGraph, type GraphDoc, type ResolvedGraph } from '../../engine/graph.ts';
import { initHash } from '../../engine/hash.ts';
import { DEFAULT_CHUNK_SIZE } from '../../engine/prepare.ts';
import type { Progress } from '../../engine/progress.ts';
import {
  applyFileHashes,
  paramFileHashes,
  resolveParamFile,
  type FileHashes,
} from '../../engine/param-files.ts';
import type { DatasetHandle, ScanShape } from '../../engine/types.ts';
import type { EngineWiring } from '../../engine/wiring.ts';

export interface Resolved {
  graph: ResolvedGraph;
  fileHashes: FileHashes;
  scan: ScanShape;
  /** The files named by file params, with the size / mtime / inode their content hash was taken at. */
  files: ParamFile[];
}

export interface ParamFile {
  node: string;
  param: string;
  file: string;
  stamp: string;
}

/** What tells a rewritten file from the one hashed: size, modification time, inode (a rename over it). */
function fileStamp(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return 'missing';
  }
}

/** The param files of `r` that changed on disk since `r` was resolved (their hashes are stale). */
export function changedParamFiles(r: Resolved): ParamFile[] {
  return r.files.filter((f) => fileStamp(f.file) !== f.stamp);
}

export class EngineContext {
  private constructor(
    readonly cacheDir: string,
    readonly store: CacheStore,
    readonly spec: DatasetSpec | null,
    readonly dataset: DatasetHandle | null,
    readonly datasetHash: string | null,
    /** The graph file the session was opened on (relative paths in the graph are resolved from it). */
    readonly graphFile: string | null,
    /** Ops, dataset readers and graph checks (app/wiring.ts). */
    readonly wiring: EngineWiring,
  ) {}

  static async open(
    doc: GraphDoc,
    graphFile: string | null,
    opts: { cacheDir?: string; dataPath?: string },
  ): Promise<EngineContext> {
    await initHash();
    const wiring = await engineWiring();
    const cacheDir = resolveCacheDir(opts.cacheDir);
    const spec =
      doc.dataset !== undefined || opts.dataPath ? datasetSpec(doc, graphFile, opts.dataPath) : null;
    const dataset = spec ? await wiring.openDataset(spec) : null;
    const store = new CacheStore(cacheDir);
    try {
      const dsHash = dataset ? datasetHash(dataset.path, store) : null;
      return new EngineContext(
        cacheDir,
        store,
        spec,
        dataset,
        dsHash,
        graphFile ? path.resolve(graphFile) : null,
        wiring,
      );
    } catch (e) {
      dataset?.close();
      await store.close();
      throw e;
    }
  }

  /** Validate a graph document as `snem run` would (throws the validator's UserError). */
  resolve(doc: GraphDoc): Resolved {
    const graph = resolveGraph(doc, { ...this.wiring, file: this.graphFile, dataset: this.dataset });
    const dsPath = this.dataset?.path ?? null;
    const fileHashes = paramFileHashes(graph, dsPath, this.store);
    applyFileHashes(graph, fileHashes);
    const files = Object.entries(fileHashes).flatMap(([node, byParam]) =>
      Object.keys(byParam).map((param) => {
        const file = resolveParamFile(node, param, String(graph.nodes.get(node)!.params[param]), dsPath);
        return { node, param, file, stamp: fileStamp(file) };
      }),
    );
    return { graph, fileHashes, scan: this.scanOf(graph), files };
  }

  scanOf(graph: ResolvedGraph): ScanShape {
    for (const n of graph.nodes.values())
      if (n.op.scanShape) return n.op.scanShape(n.params as never, this.dataset);
    return this.dataset?.scan ?? { ny: 1, nx: 1 };
  }

  async close(): Promise<void> {
    this.dataset?.close();
    await this.store.close();
  }
}

/** `graph` narrowed to computing `nodes` and their ancestors (all of them are outputs of the sub-graph). */
export function subgraph(graph: ResolvedGraph, nodes: Iterable<string>, outputs?: string[]): ResolvedGraph {
  const needed = new Set<string>();
  const stack = [...nodes];
  while (stack.length) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    graph.dag.forEachInNeighbor(id, (up) => stack.push(up));
  }
  return { ...graph, needed, outputs: outputs ?? [...needed] };
}

/**
 * The executor's options for computing `graph` (the resolved graph, or a sub-graph of it with its
 * own `needed` / `outputs`) with what the studio keeps open: the same store, dataset, file hashes
 * and worker set-up as `snem run`, so the keys and cached chunks are the CLI's.
 */
export function executorOptions(
  ctx: EngineContext,
  resolved: Resolved,
  graph: ResolvedGraph,
  run: { workers: number; progress: Progress; signal?: AbortSignal },
): ExecuteOptions {
  return {
    env: {
      graph,
      store: ctx.store,
      dataset: ctx.dataset,
      datasetHash: ctx.datasetHash,
      scan: resolved.scan,
      log: () => {},
    },
    setup: {
      cacheDir: ctx.cacheDir,
      graphDoc: resolved.graph.doc,
      graphFile: ctx.graphFile,
      sets: [],
      dataset: ctx.spec,
      datasetHash: ctx.datasetHash,
      scan: resolved.scan,
      fileHashes: resolved.fileHashes,
      wiringModule: ctx.wiring.module,
    },
    chunkSize: resolved.graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE,
    ...run,
  };
}
