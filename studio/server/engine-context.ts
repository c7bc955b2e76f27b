/**
 * What the studio keeps open for its whole life: the cache (the same LMDB store the CLI uses), the
 * dataset handle and its content hash. Opening and hashing once is what makes a preview request
 * cost milliseconds instead of the CLI's start-up.
 */
import path from 'node:path';
import { CacheStore, resolveCacheDir } from '../../cache/store.ts';
import { engineWiring } from '../../app/wiring.ts';
import { datasetHash, datasetSpec, type DatasetSpec } from '../../engine/dataset.ts';
import { resolveGraph, type GraphDoc, type ResolvedGraph } from '../../engine/graph.ts';
import { initHash } from '../../engine/hash.ts';
import { applyFileHashes, paramFileHashes, type FileHashes } from '../../engine/param-files.ts';
import type { DatasetHandle, ScanShape } from '../../engine/types.ts';
import type { EngineWiring } from '../../engine/wiring.ts';

export interface Resolved {
  graph: ResolvedGraph;
  fileHashes: FileHashes;
  scan: ScanShape;
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
    const fileHashes = paramFileHashes(graph, this.dataset?.path ?? null, this.store);
    applyFileHashes(graph, fileHashes);
    return { graph, fileHashes, scan: this.scanOf(graph) };
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
