/**
 * The programmatic API the CLI, the studio and the cluster worker share: open a graph once (read,
 * validate, open and hash its dataset, open the cache), then plan it, run it (progress events,
 * cancellation) and read any node's cached result, whole or one chunk.
 */
import type { CacheStore } from '../cache/store.ts';
import type { Hashes } from '../engine/chunk-pipeline.ts';
import { makeChunks, type NodeState } from '../engine/executor.ts';
import { UserError } from '../engine/errors.ts';
import type { GraphDoc, ResolvedGraph } from '../engine/graph.ts';
import { concatFirst } from '../engine/ndarray.ts';
import { probeGraph, type KnownHashes, type Plan } from '../engine/plan.ts';
import { DEFAULT_CHUNK_SIZE, prepare, type Prepared } from '../engine/prepare.ts';
import {
  resultScope,
  type ChunkInfo,
  type DatasetHandle,
  type NDArray,
  type Registry,
  type ScanShape,
  type Value,
} from '../engine/types.ts';
import { runPrepared, type RunOptions, type RunResult } from './run.ts';
import { engineWiring } from './wiring.ts';

export interface OpenGraphOptions {
  /** Dataset file (wins over the graph's `dataset.path`, which is resolved next to the graph file). */
  data?: string;
  /** Cache directory (default $SNEM_CACHE or .snem-cache). */
  cache?: string;
  /** `NODE.PARAM=VALUE` overrides (VALUE in JSON). */
  sets?: string[];
  /** Positions per chunk (default the graph's `chunkSize`, else 256). */
  chunkSize?: number;
}

export type GraphRunOptions = Pick<RunOptions, 'workers' | 'quiet' | 'noReport' | 'onProgress' | 'signal'> & {
  /** Run directory (default runs/NAME-STAMP-HASH). */
  out?: string;
};

export interface SnemGraph {
  /** The validated graph: nodes (op, resolved params, inputs), topological order, outputs. */
  readonly graph: ResolvedGraph;
  /** The op catalogue it was resolved against. */
  readonly registry: Registry;
  /** The open dataset (null for graphs whose source defines the scan, e.g. source.simulated). */
  readonly dataset: DatasetHandle | null;
  /** The cache: action table + content store (cache/store.ts). */
  readonly store: CacheStore;
  readonly scan: ScanShape;
  /** The chunks of scan positions per-position nodes are computed and cached in. */
  readonly chunks: ChunkInfo[];
  /** Per node: cached, or will run and why. Computes nothing. */
  plan(): Promise<Plan>;
  /** Compute what is not cached and write the run directory. */
  run(opts?: GraphRunOptions): Promise<RunResult>;
  /**
   * A node's cached result: the whole value (per-position fields as [ny, nx, ...]) or one chunk's
   * (`chunk`: its index; fields [count, ...]). null when it is not (entirely) in the cache.
   */
  read(node: string, opts?: { chunk?: number }): Promise<Value | null>;
  /** Close the dataset and the cache. */
  close(): Promise<void>;
}

/** Open a graph file or document for planning, running and reading results. */
export async function openGraph(
  docOrFile: string | GraphDoc,
  opts: OpenGraphOptions = {},
): Promise<SnemGraph> {
  const file = typeof docOrFile === 'string' ? docOrFile : undefined;
  const prepOpts = {
    graphFile: file,
    graph: typeof docOrFile === 'string' ? undefined : docOrFile,
    dataPath: opts.data,
    cacheDir: opts.cache,
    sets: opts.sets,
    chunkSize: opts.chunkSize,
  };
  const pre = await prepare(prepOpts, await engineWiring());
  return new OpenedGraph(pre, prepOpts);
}

/** One-shot: open, plan, close. */
export async function plan(docOrFile: string | GraphDoc, opts: OpenGraphOptions = {}): Promise<Plan> {
  const g = await openGraph(docOrFile, opts);
  try {
    return await g.plan();
  } finally {
    await g.close();
  }
}

/** One-shot: open, run, close. */
export async function run(
  docOrFile: string | GraphDoc,
  opts: OpenGraphOptions & GraphRunOptions = {},
): Promise<RunResult> {
  const g = await openGraph(docOrFile, opts);
  try {
    return await g.run(opts);
  } finally {
    await g.close();
  }
}

class OpenedGraph implements SnemGraph {
  readonly chunks: ChunkInfo[];
  /** Hashes of cached results, from the last run or probe (dropped when a run starts). */
  private known: KnownHashes | null = null;
  private closed = false;

  constructor(
    private readonly pre: Prepared,
    private readonly prepOpts: { graphFile?: string; sets?: string[]; chunkSize?: number },
  ) {
    this.chunks = makeChunks(pre.scan.ny * pre.scan.nx, this.chunkSize);
  }

  get graph() {
    return this.pre.graph;
  }
  get registry() {
    return this.pre.wiring.registry;
  }
  get dataset() {
    return this.pre.dataset;
  }
  get store() {
    return this.pre.store;
  }
  get scan() {
    return this.pre.scan;
  }
  private get chunkSize(): number {
    return this.prepOpts.chunkSize ?? this.pre.graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  async plan(): Promise<Plan> {
    const { plan, known } = await probeGraph(this.pre, { chunkSize: this.chunkSize });
    this.known = known;
    return plan;
  }

  async run(opts: GraphRunOptions = {}): Promise<RunResult> {
    this.known = null;
    const { out, ...rest } = opts;
    return runPrepared(
      this.pre,
      { ...this.prepOpts, ...rest, outDir: out },
      { open: true, states: (s) => (this.known = knownOf(s)) },
    );
  }

  async read(node: string, opts: { chunk?: number } = {}): Promise<Value | null> {
    const n = this.graph.nodes.get(node);
    if (!n) throw new UserError(`no node '${node}' (nodes: ${[...this.graph.nodes.keys()].join(', ')})`);
    if (!this.known) await this.plan();
    const known = this.known!;
    const { store } = this.pre;
    if (resultScope(n.op) === 'dataset') {
      if (opts.chunk !== undefined) throw new UserError(`node '${node}' is dataset-level: it has no chunks`);
      const h = known.dataset[node];
      return h ? store.getValue(h.hash) : null;
    }
    const hs = known.frame[node];
    if (!hs) return null;
    if (opts.chunk !== undefined) {
      if (!(opts.chunk >= 0 && opts.chunk < this.chunks.length))
        throw new UserError(`node '${node}': no chunk ${opts.chunk} (chunks 0…${this.chunks.length - 1})`);
      const h = hs[opts.chunk];
      return h ? store.getValue(h.hash) : null;
    }
    const parts: Value[] = [];
    for (const h of hs) {
      const v = h ? store.getValue(h.hash) : null;
      if (!v) return null;
      parts.push(v);
    }
    const { ny, nx } = this.scan;
    const fields: Record<string, NDArray> = {};
    for (const f of Object.keys(parts[0].fields)) {
      const a = concatFirst(parts.map((p) => p.fields[f]));
      fields[f] = a.shape[0] === ny * nx ? { ...a, shape: [ny, nx, ...a.shape.slice(1)] } : a;
    }
    return { fields, axes: parts[0].axes, meta: parts[0].meta };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pre.dataset?.close();
    await this.pre.store.close();
  }
}

function knownOf(states: Map<string, NodeState>): KnownHashes {
  const known: KnownHashes = { dataset: {}, frame: {} };
  for (const [id, s] of states) {
    if (s.chunks)
      known.frame[id] = s.chunks.map((c): Hashes => ({ hash: c.hash, fields: c.fields, key: c.key }));
    else known.dataset[id] = s.hashes;
  }
  return known;
}
