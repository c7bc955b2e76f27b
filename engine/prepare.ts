/**
 * Everything before execution, shared by run and plan: read the graph, open and hash the dataset,
 * resolve and validate the graph against the wiring's op catalogue, hash the files params name.
 */
import { CacheStore, resolveCacheDir } from '../cache/store.ts';
import { datasetHash, datasetSpec, type DatasetSpec } from './dataset.ts';
import { withoutDisplay } from './display-check.ts';
import { UserError } from './errors.ts';
import { readGraphFile, resolveGraph, type GraphDoc, type ResolvedGraph } from './graph.ts';
import { hashValue, initHash } from './hash.ts';
import { applyFileHashes, paramFileHashes, type FileHashes } from './param-files.ts';
import type { DatasetHandle, Json, ScanShape } from './types.ts';
import type { EngineWiring } from './wiring.ts';

export interface PrepareOptions {
  graphFile?: string;
  graph?: GraphDoc;
  /** Dataset file (wins over the graph's `dataset.path`). */
  dataPath?: string;
  cacheDir?: string;
  /** `NODE.PARAM=VALUE` overrides. */
  sets?: string[];
  chunkSize?: number;
}

export const DEFAULT_CHUNK_SIZE = 256;

export interface Prepared {
  doc: GraphDoc;
  graph: ResolvedGraph;
  store: CacheStore;
  dataset: DatasetHandle | null;
  spec: DatasetSpec | null;
  datasetHash: string | null;
  scan: ScanShape;
  graphHash: string;
  cacheDir: string;
  /** Content hashes of files named by params, already in graph's params (workers apply them too). */
  fileHashes: FileHashes;
  wiring: EngineWiring;
}

export async function prepare(opts: PrepareOptions, wiring: EngineWiring): Promise<Prepared> {
  await initHash();
  if (!opts.graph && !opts.graphFile) throw new UserError('no graph given');
  const doc = opts.graph ?? readGraphFile(opts.graphFile!);
  const cacheDir = resolveCacheDir(opts.cacheDir);
  const spec =
    (doc && typeof doc === 'object' && doc.dataset !== undefined) || opts.dataPath
      ? datasetSpec(doc, opts.graphFile ?? null, opts.dataPath)
      : null;
  const dataset = spec ? await wiring.openDataset(spec) : null;
  let store: CacheStore | null = null;
  try {
    const graph = resolveGraph(doc, {
      file: opts.graphFile ?? null,
      sets: opts.sets,
      dataset,
      registry: wiring.registry,
      nodeChecks: wiring.nodeChecks,
    });
    store = new CacheStore(cacheDir);
    // Hash the file the reader actually reads (a .hdr or .xml names the real data file).
    const dsHash = dataset ? datasetHash(dataset.path, store) : null;
    const fileHashes = paramFileHashes(graph, dataset?.path ?? null, store);
    applyFileHashes(graph, fileHashes);
    const scan = scanOf(graph, dataset);
    // Display settings are presentation: they leave the graph hash (and every node key) unchanged.
    const graphHash = hashValue(withoutDisplay(graph.doc) as unknown as Json);
    return {
      doc,
      graph,
      store,
      dataset,
      spec,
      datasetHash: dsHash,
      scan,
      graphHash,
      cacheDir,
      fileHashes,
      wiring,
    };
  } catch (e) {
    dataset?.close();
    await store?.close();
    throw e;
  }
}

function scanOf(graph: ResolvedGraph, dataset: DatasetHandle | null): ScanShape {
  for (const n of graph.nodes.values()) {
    if (n.op.scanShape && graph.needed.has(n.id)) return n.op.scanShape(n.params as never, dataset);
  }
  if (dataset) return dataset.scan;
  throw new UserError(
    `${graph.file ?? 'graph'}: no dataset: set "dataset": {"path": …} in the graph, pass --data, or use a source op that defines the scan (e.g. source.simulated)`,
  );
}
