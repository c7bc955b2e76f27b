/**
 * `snem run`: resolve the graph against its dataset, execute it through the cache, write the run
 * directory (outputs, manifest.json, report) and record the run in the cache for plan, gc and
 * provenance.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CacheStore, resolveCacheDir, type RunRecord } from '../cache/store.ts';
import { loadPluginOps } from '../nodes/registry.ts';
import { renderRun } from '../report/index.ts';
import { writeManifest } from '../report/run-data.ts';
import { datasetHash, datasetSpec, openSpec, type DatasetSpec } from './dataset.ts';
import { withoutDisplay } from './display-check.ts';
import { applyFileHashes, paramFileHashes, type FileHashes } from './param-files.ts';
import { UserError } from './errors.ts';
import { readGraphFile, resolveGraph, type GraphDoc, type ResolvedGraph } from './graph.ts';
import { hashValue, initHash } from './hash.ts';
import { Executor, type ChunkRunner } from './executor.ts';
import type { ResultStore } from './result-store.ts';
import { writeNodeOutputs } from './outputs.ts';
import type { PipelineEnv } from './chunk-pipeline.ts';
import type { PipelineSetup } from './pipeline-env.ts';
import { Progress } from './progress.ts';
import type { Manifest, ManifestNode, WrittenOutput } from './run-types.ts';
import type { DatasetHandle, Json, ScanShape } from './types.ts';
import { ENGINE_VERSION } from './version.ts';

export interface RunOptions {
  graphFile?: string;
  graph?: GraphDoc;
  dataPath?: string;
  outDir?: string;
  cacheDir?: string;
  sets?: string[];
  workers?: number;
  quiet?: boolean;
  chunkSize?: number;
  /** Skip PNGs and report.html (benchmarks). */
  noReport?: boolean;
  /** Run elsewhere than this process (cluster/: a shared store and BullMQ workers). */
  backend?: RunBackend;
}

/**
 * Where results live and who computes chunks, when not this machine's LMDB cache and threads. The
 * run record still goes to the local cache (plan, provenance and gc read it there).
 */
export interface RunBackend {
  store: ResultStore;
  runner: ChunkRunner;
  /** How the worker threads of this process (dataset-level ops, streamed outputs) open the store. */
  setupStore?: PipelineSetup['store'];
  close(): Promise<void>;
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
}

/** Everything before execution: read, open, hash, validate. Shared by run and plan. */
export async function prepare(opts: RunOptions): Promise<Prepared> {
  await initHash();
  await loadPluginOps();
  if (!opts.graph && !opts.graphFile) throw new UserError('no graph given');
  const doc = opts.graph ?? readGraphFile(opts.graphFile!);
  const cacheDir = resolveCacheDir(opts.cacheDir);
  const spec = doc && typeof doc === 'object' && doc.dataset !== undefined || opts.dataPath ? datasetSpec(doc, opts.graphFile ?? null, opts.dataPath) : null;
  const dataset = spec ? await openSpec(spec) : null;
  let store: CacheStore | null = null;
  try {
    const graph = resolveGraph(doc, { file: opts.graphFile ?? null, sets: opts.sets, dataset });
    store = new CacheStore(cacheDir);
    // Hash the file the reader actually reads (a .hdr or .xml names the real data file).
    const dsHash = dataset ? datasetHash(dataset.path, store) : null;
    const fileHashes = paramFileHashes(graph, dataset?.path ?? null, store);
    applyFileHashes(graph, fileHashes);
    const scan = scanOf(graph, dataset);
    // Display settings are presentation: they leave the graph hash (and every node key) unchanged.
    const graphHash = hashValue(withoutDisplay(graph.doc) as unknown as Json);
    return { doc, graph, store, dataset, spec, datasetHash: dsHash, scan, graphHash, cacheDir, fileHashes };
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
  throw new UserError(`${graph.file ?? 'graph'}: no dataset: set "dataset": {"path": …} in the graph, pass --data, or use a source op that defines the scan (e.g. source.simulated)`);
}

function runId(name: string, graphHash: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}-${graphHash.slice(0, 6)}`;
}

export interface RunResult {
  runDir: string;
  manifest: Manifest;
}

export async function runGraph(opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const pre = await prepare(opts);
  const { graph, store, dataset } = pre;
  const progress = new Progress(!!opts.quiet);
  for (const w of graph.warnings) progress.info(`note: ${w}`);
  const workers = Math.max(1, opts.workers ?? os.availableParallelism());
  const chunkSize = opts.chunkSize ?? graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const env: PipelineEnv = { graph, store: opts.backend?.store ?? store, dataset, datasetHash: pre.datasetHash, scan: pre.scan, log: (m) => progress.info(m) };
  const setup: PipelineSetup = {
    cacheDir: pre.cacheDir,
    graphDoc: pre.doc,
    graphFile: opts.graphFile ?? null,
    sets: opts.sets ?? [],
    dataset: pre.spec,
    datasetHash: pre.datasetHash,
    scan: pre.scan,
    fileHashes: pre.fileHashes,
    ...(opts.backend?.setupStore ? { store: opts.backend.setupStore } : {}),
  };
  let storeOpen = true;
  const closeStore = async () => {
    if (storeOpen) await store.close();
    storeOpen = false;
  };
  const id = runId(graph.name, pre.graphHash);
  const runDir = path.resolve(opts.outDir ?? path.join('runs', id));
  try {
    const exec = new Executor({ env, setup, workers, chunkSize, progress, runner: opts.backend?.runner });
    const states = await exec.run();

    fs.mkdirSync(runDir, { recursive: true });
    const outputs: WrittenOutput[] = [];
    for (const node of graph.outputs) {
      const n = graph.nodes.get(node)!;
      const s = states.get(node)!;
      const src = { node, op: n.op.name, scope: n.op.scope, key: s.key, valueHash: s.hashes.hash };
      const streamed = s.chunks ? await exec.streamOutputs(runDir, src) : null;
      outputs.push(...(streamed ?? writeNodeOutputs(runDir, { ...src, value: await exec.nodeValue(node) }, pre.scan)));
    }
    exec.pipeline.releaseLarge();
    const nodes: Record<string, ManifestNode> = {};
    for (const [nid, s] of states) {
      const n = graph.nodes.get(nid)!;
      nodes[nid] = {
        op: n.op.name,
        opVersion: n.op.version,
        scope: n.op.scope,
        params: n.params,
        key: s.key,
        valueHash: s.hashes.hash,
        status: s.status,
        seconds: round(s.seconds),
        inputs: s.inputs,
        inputNodes: Object.fromEntries(Object.entries(n.inputs).map(([p, r]) => [p, r.field ? `${r.node}.${r.field}` : r.node])),
        ...(s.chunks ? { chunks: { total: s.chunks.length, computed: s.computedChunks, cached: s.cachedChunks } } : {}),
        ...(n.overrides.length ? { overrides: n.overrides } : {}),
      };
    }
    const manifest: Manifest = {
      run: id,
      created: new Date().toISOString(),
      graph: graph.doc as unknown as Json,
      graphFile: opts.graphFile ? path.resolve(opts.graphFile) : null,
      graphHash: pre.graphHash,
      datasetHash: pre.datasetHash,
      dataset: dataset
        ? { path: dataset.path, format: dataset.format, scan: [dataset.scan.ny, dataset.scan.nx], frameShape: dataset.frameShape, dtype: dataset.dtype, meta: dataset.meta }
        : null,
      engineVersion: ENGINE_VERSION,
      overrides: opts.sets ?? [],
      workers,
      chunkSize,
      seconds: 0,
      nodes,
      outputs,
    };
    const record: RunRecord = {
      id,
      time: Date.now(),
      graphName: graph.name,
      graphHash: pre.graphHash,
      outDir: runDir,
      nodes: Object.fromEntries(
        [...states].map(([nid, s]) => {
          const n = graph.nodes.get(nid)!;
          return [
            nid,
            { op: n.op.name, version: n.op.version, scope: n.op.scope, params: n.params, key: s.key, inputs: s.inputs, valueHash: s.hashes.hash, ...(s.chunks ? { chunkHashes: s.chunks.map((c) => c.hash) } : {}) },
          ];
        }),
      ),
      // Uncached sources have no action (their key is their derived hash).
      actionKeys: [...states.values()].flatMap((s) => (s.chunks ? s.chunks.filter((c) => c.key !== c.hash).map((c) => c.key) : [s.key])),
    };
    store.putRun(record);
    // The report reads only the run directory. Closing the cache unmaps it: the blob pages read
    // for the outputs (hundreds of MB at paper size) leave the process's resident set.
    await closeStore();
    manifest.seconds = round((performance.now() - t0) / 1000);
    writeManifest(runDir, manifest);
    if (!opts.noReport) {
      try {
        const drawn = await renderRun(runDir, manifest);
        manifest.figures = drawn.figures;
        manifest.rendered = { time: new Date().toISOString(), by: 'run', graphFile: manifest.graphFile };
      } catch (e) {
        progress.info(`warning: the report could not be rendered: ${(e as Error).message}`);
      }
    }
    manifest.seconds = round((performance.now() - t0) / 1000);
    writeManifest(runDir, manifest);
    return { runDir, manifest };
  } finally {
    dataset?.close();
    await closeStore();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
