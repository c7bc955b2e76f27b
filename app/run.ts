/**
 * `snem run`: resolve the graph against its dataset, execute it through the cache, write the run
 * directory (outputs, manifest.json, report) and record the run in the cache for plan, gc and
 * provenance.
 */
import os from 'node:os';
import path from 'node:path';
import { OutputStore } from '../cache/output-store.ts';
import type { RunRecord } from '../cache/store.ts';
import { Executor, type ChunkRunner, type NodeState } from '../engine/executor.ts';
import type { ResultStore } from '../engine/result-store.ts';
import { DEFAULT_CHUNK_SIZE, type Prepared, type PrepareOptions } from '../engine/prepare.ts';
import { setupOf, type PipelineSetup } from '../engine/pipeline-env.ts';
import type { PipelineEnv } from '../engine/chunk-pipeline.ts';
import { Progress, type ProgressEvent } from '../engine/progress.ts';
import type { Manifest, ManifestNode, WrittenOutput } from '../engine/run-types.ts';
import { resultScope, type Json } from '../engine/types.ts';
import { ENGINE_VERSION } from '../engine/version.ts';
import { timing } from '../engine/timing.ts';
import { FigureCache } from '../report/figure-cache.ts';
import { writeManifest } from '../report/run-data.ts';
import { outputStoreId, writeRunOutputs } from './outputs.ts';
import { claimRunDir, diskError, retireManifest } from './run-dir.ts';
import { prepare } from './prepare.ts';

export { DEFAULT_CHUNK_SIZE, prepare, type Prepared };

export interface RunOptions extends PrepareOptions {
  /** Run directory (default runs/NAME-STAMP-HASH). */
  outDir?: string;
  workers?: number;
  quiet?: boolean;
  /** Skip PNGs and report.html (benchmarks, the studio). */
  noReport?: boolean;
  /** Progress per node and per chunk (see engine/progress.ts ProgressEvent). */
  onProgress?: (event: ProgressEvent) => void;
  /** Abort: chunks in flight finish and stay cached; nothing more starts; run rejects with an AbortError. */
  signal?: AbortSignal;
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
  /** How worker threads of this process open the store (see PipelineSetup.store). */
  setupStore?: PipelineSetup['store'];
  close(): Promise<void>;
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
  timing('run: start-up (modules loaded)');
  const pre = await prepare(opts);
  timing('run: prepare (graph, dataset, keys)');
  return runPrepared(pre, opts);
}

/**
 * Run a prepared graph. Closes its dataset and store when done unless `keep.open` (openGraph's
 * run: the graph stays usable); `keep.states` receives every node's hashes.
 */
export async function runPrepared(
  pre: Prepared,
  opts: RunOptions,
  keep: { open?: boolean; states?: (s: Map<string, NodeState>) => void } = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const { graph, store, dataset } = pre;
  const progress = new Progress(!!opts.quiet, undefined, opts.onProgress);
  for (const w of graph.warnings) progress.info(`note: ${w}`);
  const workers = Math.max(1, opts.workers ?? os.availableParallelism());
  const chunkSize = opts.chunkSize ?? graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const env: PipelineEnv = {
    graph,
    store: opts.backend?.store ?? store,
    dataset,
    datasetHash: pre.datasetHash,
    scan: pre.scan,
    log: (m) => progress.info(m),
  };
  const setup = setupOf(pre, opts);
  if (opts.backend?.setupStore) setup.store = opts.backend.setupStore;
  let storeOpen = true;
  const closeStore = async () => {
    if (storeOpen && !keep.open) await store.close();
    storeOpen = false;
  };
  const id = runId(graph.name, pre.graphHash);
  const runDir = path.resolve(opts.outDir ?? path.join('runs', id));
  // registered before anything is written, so `snem cache gc` waits for this run
  const live = store.beginRun();
  let releaseDir: (() => void) | null = null;
  try {
    releaseDir = claimRunDir(runDir, (m) => progress.info(`note: ${m}`));
    const exec = new Executor({
      env,
      setup,
      workers,
      chunkSize,
      progress,
      signal: opts.signal,
      runner: opts.backend?.runner,
    });
    const states = await exec.run();
    keep.states?.(states);
    timing('run: execute');

    retireManifest(runDir, (m) => progress.info(`note: ${m}`));
    // unchanged outputs are links into the store beside the cache: an edit writes what it changed
    const outputs: WrittenOutput[] = await writeRunOutputs(runDir, exec, OutputStore.beside(pre.cacheDir));
    exec.pipeline.releaseLarge();
    timing('run: write outputs');
    const nodes: Record<string, ManifestNode> = {};
    for (const [nid, s] of states) {
      const n = graph.nodes.get(nid)!;
      nodes[nid] = {
        op: n.op.name,
        opVersion: n.op.version,
        scope: resultScope(n.op),
        params: n.params,
        key: s.key,
        valueHash: s.hashes.hash,
        status: s.status,
        seconds: round(s.seconds),
        ...(s.cpuSeconds !== undefined ? { cpuSeconds: round(s.cpuSeconds) } : {}),
        inputs: s.inputs,
        inputNodes: Object.fromEntries(
          Object.entries(n.inputs).map(([p, r]) => [p, r.field ? `${r.node}.${r.field}` : r.node]),
        ),
        ...(s.chunks
          ? { chunks: { total: s.chunks.length, computed: s.computedChunks, cached: s.cachedChunks } }
          : {}),
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
        ? {
            path: dataset.path,
            format: dataset.format,
            scan: [dataset.scan.ny, dataset.scan.nx],
            frameShape: dataset.frameShape,
            dtype: dataset.dtype,
            meta: dataset.meta,
          }
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
            {
              op: n.op.name,
              version: n.op.version,
              ...(n.op.codeHash ? { code: n.op.codeHash } : {}),
              scope: resultScope(n.op),
              params: n.params,
              key: s.key,
              inputs: s.inputs,
              valueHash: s.hashes.hash,
              ...(s.chunks ? { chunkHashes: s.chunks.map((c) => c.hash) } : {}),
            },
          ];
        }),
      ),
      // Uncached sources have no action (their key is their derived hash).
      // A reduce node's partials are kept with it: a second reduce over the same data reuses them.
      actionKeys: [...states.values()].flatMap((s) =>
        s.chunks
          ? s.chunks.filter((c) => c.key !== c.hash).map((c) => c.key)
          : [s.key, ...(s.partials ?? []).flatMap((p) => (p ? [p.key] : []))],
      ),
    };
    store.putRun(record);
    store.endRun(live);
    // The report reads only the run directory. Closing the cache unmaps it: the blob pages read
    // for the outputs (hundreds of MB at paper size) leave the process's resident set.
    await closeStore();
    timing('run: record the run, close the cache');
    manifest.seconds = round((performance.now() - t0) / 1000);
    writeManifest(runDir, manifest);
    if (!opts.noReport) {
      try {
        // loaded here: the drawing libraries stay out of --no-report runs (scripts, the studio)
        const { renderRun } = await import('../report/index.ts');
        const drawn = await renderRun(runDir, manifest, {
          figureCache: FigureCache.beside(pre.cacheDir),
          // the files were just written from these values: their store id names their bytes
          contentId: (o) => `${outputStoreId(o.valueHash, pre.scan)}/${o.field}`,
        });
        timing('run: report (figures, report.html)');
        manifest.figures = drawn.figures;
        manifest.rendered = { time: new Date().toISOString(), by: 'run', graphFile: manifest.graphFile };
      } catch (e) {
        progress.info(`warning: the report could not be rendered: ${(e as Error).message}`);
      }
    }
    manifest.seconds = round((performance.now() - t0) / 1000);
    writeManifest(runDir, manifest);
    timing('run: manifest');
    return { runDir, manifest };
  } catch (e) {
    throw diskError(e, (e as NodeJS.ErrnoException).path ?? runDir) ?? e;
  } finally {
    releaseDir?.();
    if (storeOpen) store.endRun(live);
    if (!keep.open) dataset?.close();
    await closeStore();
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
