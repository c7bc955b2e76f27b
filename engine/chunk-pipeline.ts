/**
 * One chunk of scan positions through a run of consecutive frame-scope nodes, in one thread,
 * without a cache round trip between them: each node's key is computed from its inputs' value
 * hashes; a hit is taken from the action table without loading the value; a miss loads (or
 * computes) exactly the inputs it needs, runs the op, and stores blob + action in one transaction.
 *
 * The same class serves worker threads (one chunk job after another) and the main thread (dataset
 * ops reading per-position inputs, small runs).
 */
import { decodeValue, encodeValue, fieldHashesOf, valueHashOf } from '../cache/codec.ts';
import type { ResultStore } from './result-store.ts';
import { UserError } from './errors.ts';
import { failedInNode } from './node-failure.ts';
import { declaredOutputs } from './declared-outputs.ts';
import { checkDeclaredOutputs } from './output-check.ts';
import { hashValue } from './hash.ts';
import { dtypeOf } from './ndarray.ts';
import { chunkKey, partialKey, sourceChunkHash } from './keys.ts';
import type { InputRef, ResolvedGraph, ResolvedNode } from './graph.ts';
import {
  resultScope,
  type ChunkInfo,
  type DatasetHandle,
  type NDArray,
  type ScanShape,
  type Value,
} from './types.ts';

export interface Hashes {
  hash: string;
  fields: Record<string, string>;
  key?: string;
}

export interface ChunkJob {
  chunk: ChunkInfo;
  /** Frame nodes to produce (and reduce nodes whose partial to produce), in topological order. */
  nodes: string[];
  /** Frame nodes finished in earlier passes: their hashes for this chunk. */
  known: Record<string, Hashes>;
  /** Finished dataset-scope nodes. */
  datasetValues: Record<string, Hashes>;
}

export type ChunkStatus = 'computed' | 'cached' | 'waited';

export interface ChunkNodeResult extends Hashes {
  key: string;
  status: ChunkStatus;
  seconds: number;
}

export interface PipelineEnv {
  graph: ResolvedGraph;
  store: ResultStore;
  dataset: DatasetHandle | null;
  datasetHash: string | null;
  scan: ScanShape;
  log: (msg: string) => void;
  /** Called each time an op actually runs (tests count invocations). */
  onCompute?: (node: string, chunk: ChunkInfo) => void;
}

/** Select one field of a value, keeping the producer's axes and meta. */
export function selectField(v: Value, ref: InputRef): Value {
  if (!ref.field) return v;
  const f = v.fields[ref.field];
  if (!f)
    throw new UserError(
      `input '${ref.node}.${ref.field}': node '${ref.node}' has no field '${ref.field}' (fields: ${Object.keys(v.fields).join(', ')})`,
    );
  return { fields: { [ref.field]: f }, axes: v.axes, meta: v.meta };
}

export function selectHash(h: Hashes, ref: InputRef): string {
  if (!ref.field) return h.hash;
  const fh = h.fields[ref.field];
  if (!fh)
    throw new UserError(
      `input '${ref.node}.${ref.field}': node '${ref.node}' has no field '${ref.field}' (fields: ${Object.keys(h.fields).join(', ')})`,
    );
  return fh;
}

/** Encoded size above which a dataset node's value is not kept for the whole run. */
const LARGE_DATASET_VALUE = 16 << 20;

export class ChunkPipeline {
  /** prepare() results per node and dataset-input identity. */
  private prepared = new Map<string, unknown>();
  /** Decoded dataset-node values by value hash. */
  private datasetCache = new Map<string, Value>();
  private large: { hash: string; value: Value } | null = null;
  private leaseWaitMs = 200;

  constructor(readonly env: PipelineEnv) {}

  async runJob(job: ChunkJob): Promise<Record<string, ChunkNodeResult>> {
    const run = new ChunkRun(this, job);
    const out: Record<string, ChunkNodeResult> = {};
    for (const id of job.nodes) {
      const h = await run.hashOf(id);
      out[id] = run.result(id, h);
    }
    return out;
  }

  /**
   * Lookups only: the job's results if every node of it is already cached for this chunk, else
   * null (nothing is computed). Lets a fully cached pass finish without starting workers.
   */
  async probeJob(job: ChunkJob): Promise<Record<string, ChunkNodeResult> | null> {
    const run = new ChunkRun(this, job, true);
    const out: Record<string, ChunkNodeResult> = {};
    try {
      for (const id of job.nodes) out[id] = run.result(id, await run.hashOf(id));
    } catch (e) {
      if (e === MISS) return null;
      throw e;
    }
    return out;
  }

  /** The value of a frame node (or a reduce node's partial) for one chunk (from the cache, recomputed if missing or corrupt). */
  async chunkValue(node: string, job: Omit<ChunkJob, 'nodes'>): Promise<Value> {
    return new ChunkRun(this, { ...job, nodes: [] }).valueOf(node);
  }

  /**
   * A dataset node's decoded value. Small ones (geometry, masks, maps) stay cached for the run; a
   * large one (a smoothed curve stack: 150 MB at paper size) only until releaseLarge(), so that
   * per-chunk reads within a pass decode it once but the run does not keep every big result.
   */
  async datasetValue(id: string, h: Hashes): Promise<Value> {
    const v = this.datasetCache.get(h.hash) ?? (this.large?.hash === h.hash ? this.large.value : undefined);
    if (v) return v;
    const bytes = await this.env.store.getBlobBytes(h.hash);
    if (!bytes) throw new Error(`dataset-level result of node '${id}' (${h.hash}) is missing from the cache`);
    const got = decodeValue(bytes);
    if (bytes.length > LARGE_DATASET_VALUE) this.large = { hash: h.hash, value: got };
    else this.datasetCache.set(h.hash, got);
    return got;
  }

  /**
   * Keep a large dataset value just computed (encoded as `bytes`) for the next reader, as a read of
   * its bytes would give it: keys in stored order, meta through the codec, the same arrays (no copy).
   */
  private keepLarge(hash: string, value: Value, bytes: Uint8Array): void {
    if (bytes.length <= LARGE_DATASET_VALUE) return;
    const plain = (rec: Record<string, NDArray>) =>
      Object.values(rec).every((a) => dtypeOf(a.data) === a.dtype);
    if (!plain(value.fields) || !plain(value.axes ?? {})) {
      this.large = { hash, value: decodeValue(bytes) };
      return;
    }
    const sorted = (rec: Record<string, NDArray>) =>
      Object.fromEntries(
        Object.keys(rec)
          .sort()
          .map((k) => [k, { dtype: rec[k].dtype, shape: rec[k].shape, data: rec[k].data }]),
      );
    const kept: Value = { fields: sorted(value.fields) };
    if (value.axes && Object.keys(value.axes).length) kept.axes = sorted(value.axes);
    if (value.meta && Object.keys(value.meta).length)
      kept.meta = decodeValue(encodeValue({ fields: {}, meta: value.meta })).meta;
    this.large = { hash, value: kept };
  }

  releaseLarge(): void {
    this.large = null;
  }

  /** The one place an op is invoked (`process` for a chunk, `run` for the dataset): timed, counted. */
  async invokeOp(
    n: ResolvedNode,
    call: () => Value | Promise<Value>,
    chunk?: ChunkInfo,
  ): Promise<{ value: Value; seconds: number }> {
    const t0 = performance.now();
    if (chunk) this.env.onCompute?.(n.id, chunk);
    const value = await call();
    const seconds = (performance.now() - t0) / 1000;
    // a reduce op's chunk call returns a partial, checked only as the finished value
    if (!(chunk && n.op.scope === 'reduce')) checkDeclaredOutputs(n, value, this.env.scan, chunk);
    return { value, seconds };
  }

  /**
   * The one place a result is stored: encoded, hashed per value and per field, blob and action in
   * one transaction. A dataset-level result is also handed to the next reader from memory when it
   * is large (a smoothed curve stack is usually read by the very next node); what was held goes.
   */
  async storeResult(
    n: ResolvedNode,
    key: string,
    value: Value,
    seconds: number,
    scope: 'chunk' | 'dataset',
  ): Promise<Hashes> {
    const bytes = encodeValue(value);
    const hash = valueHashOf(bytes);
    const fields = fieldHashesOf(value);
    await this.env.store.putResult(key, bytes, {
      v: hash,
      f: fields,
      op: n.op.name,
      node: n.id,
      s: seconds,
      t: Date.now(),
    });
    if (scope === 'dataset') {
      this.releaseLarge();
      this.keepLarge(hash, value, bytes);
    }
    return { hash, fields, key };
  }

  async preparedState(
    node: ResolvedNode,
    dsInputs: Record<string, Value>,
    identity: string,
  ): Promise<unknown> {
    if (!node.op.prepare) return undefined;
    const k = `${node.id}:${identity}`;
    if (!this.prepared.has(k)) {
      const { env } = this;
      const state = await node.op.prepare({
        node: node.id,
        params: node.params,
        scan: env.scan,
        dataset: env.dataset,
        log: env.log,
        inputs: dsInputs,
      });
      this.prepared.set(k, state);
    }
    return this.prepared.get(k);
  }

  /** Wait for another process holding the lease on `key` to store its result. */
  async waitFor(key: string): Promise<boolean> {
    const { store } = this.env;
    for (;;) {
      await new Promise((r) => setTimeout(r, this.leaseWaitMs));
      if (await store.lookup(key)) return true;
      if (await store.tryLease(key)) return false;
    }
  }
}

const MISS = Symbol('cache miss');

class ChunkRun {
  private hashes = new Map<string, Hashes>();
  private values = new Map<string, Value>();
  private statuses = new Map<string, { status: ChunkStatus; seconds: number }>();

  constructor(
    private readonly p: ChunkPipeline,
    private readonly job: ChunkJob,
    private readonly lookupOnly = false,
  ) {}

  private node(id: string): ResolvedNode {
    const n = this.p.env.graph.nodes.get(id);
    if (!n) throw new Error(`unknown node ${id}`);
    return n;
  }

  result(id: string, h: Hashes): ChunkNodeResult {
    const s = this.statuses.get(id) ?? { status: 'cached' as const, seconds: 0 };
    return { ...h, key: h.key ?? '', ...s };
  }

  private async inputHash(ref: InputRef): Promise<string> {
    const up = this.node(ref.node);
    if (resultScope(up.op) === 'dataset') {
      const h = this.job.datasetValues[ref.node];
      if (!h) throw new Error(`dataset node '${ref.node}' has not run yet`);
      return selectHash(h, ref);
    }
    return selectHash(await this.hashOf(ref.node), ref);
  }

  private async inputValue(ref: InputRef): Promise<Value> {
    const up = this.node(ref.node);
    const v =
      resultScope(up.op) === 'dataset'
        ? await this.p.datasetValue(ref.node, this.job.datasetValues[ref.node])
        : await this.valueOf(ref.node);
    return selectField(v, ref);
  }

  async hashOf(id: string): Promise<Hashes> {
    const memo = this.hashes.get(id) ?? this.job.known[id];
    if (memo) return memo;
    const n = this.node(id);
    const { env } = this.p;
    if (n.op.cached === false) {
      const hash = sourceChunkHash(n.op, n.params, env.datasetHash, this.job.chunk);
      const h = {
        hash,
        fields: Object.fromEntries(
          Object.keys(declaredOutputs(n.op, n.params).fields).map((f) => [f, hashValue([hash, f])]),
        ),
        key: hash,
      };
      this.hashes.set(id, h);
      return h;
    }
    const key = await this.keyOf(n);
    const hit = await env.store.lookup(key);
    if (hit) {
      const h = { hash: hit.v, fields: hit.f, key };
      this.hashes.set(id, h);
      return h;
    }
    if (this.lookupOnly) throw MISS;
    await this.compute(n, key);
    return this.hashes.get(id)!;
  }

  /** The ports a chunk of node n reads: all of them, or a reduce node's reduce ports. */
  private chunkPorts(n: ResolvedNode): [string, InputRef][] {
    const all = Object.entries(n.inputs);
    return n.op.scope === 'reduce' ? all.filter(([port]) => n.op.reduce!.ports.includes(port)) : all;
  }

  /** This chunk's key of a frame node, or of a reduce node's partial. */
  private async keyOf(n: ResolvedNode): Promise<string> {
    const inputs: Record<string, string> = {};
    for (const [port, ref] of this.chunkPorts(n)) inputs[port] = await this.inputHash(ref);
    return n.op.scope === 'reduce'
      ? partialKey(n.op, n.params, inputs, this.job.chunk, this.p.env.scan)
      : chunkKey(n.op, n.params, inputs, this.job.chunk);
  }

  async valueOf(id: string): Promise<Value> {
    const memo = this.values.get(id);
    if (memo) return memo;
    const n = this.node(id);
    if (n.op.cached === false) {
      const h = await this.hashOf(id);
      return this.compute(n, h.key ?? h.hash);
    }
    const h = await this.hashOf(id);
    const have = this.values.get(id);
    if (have) return have;
    const v = await this.p.env.store.getValue(h.hash);
    if (v) {
      this.values.set(id, v);
      return v;
    }
    // Missing or corrupt blob: recompute (its key is known, or recomputed from inputs).
    return this.compute(n, h.key || (await this.keyOf(n)));
  }

  /** The result another run stored under `key`, recorded as 'waited'; null if there is none (or it is corrupt). */
  private async storedBy(n: ResolvedNode, key: string): Promise<Value | null> {
    const { store } = this.p.env;
    const hit = await store.lookup(key);
    const v = hit ? await store.getValue(hit.v) : null;
    if (!hit || !v) return null;
    this.hashes.set(n.id, { hash: hit.v, fields: hit.f, key });
    this.values.set(n.id, v);
    this.statuses.set(n.id, { status: 'waited', seconds: 0 });
    return v;
  }

  private async compute(n: ResolvedNode, key: string): Promise<Value> {
    const { env } = this.p;
    const cached = n.op.cached !== false;
    if (cached && !(await env.store.tryLease(key))) {
      // Another run is computing this very chunk: wait for its result rather than duplicate it.
      if (await this.p.waitFor(key)) {
        const v = await this.storedBy(n, key);
        if (v) return v;
      }
    }
    // Holding the lease now. Another run may have stored this chunk after this run's probe found it
    // missing (and released its lease since): take that result instead of computing it again.
    if (cached) {
      const v = await this.storedBy(n, key);
      if (v) {
        await env.store.releaseLease(key);
        return v;
      }
    }
    try {
      const inputs: Record<string, Value> = {};
      const dsInputs: Record<string, Value> = {};
      const identity: string[] = [];
      for (const [port, ref] of this.chunkPorts(n)) {
        inputs[port] = await this.inputValue(ref);
        if (resultScope(this.node(ref.node).op) === 'dataset') {
          dsInputs[port] = inputs[port];
          identity.push(`${port}=${selectHash(this.job.datasetValues[ref.node], ref)}`);
        }
      }
      const state =
        n.op.scope === 'reduce' ? undefined : await this.p.preparedState(n, dsInputs, identity.join(','));
      const { value, seconds } = await this.p
        .invokeOp(
          n,
          () =>
            n.op.process!({
              node: n.id,
              params: n.params,
              scan: env.scan,
              dataset: env.dataset,
              log: env.log,
              chunk: this.job.chunk,
              inputs,
              state,
            }),
          this.job.chunk,
        )
        .catch((e: unknown) => {
          throw failedInNode(n.id, n.op.name, e);
        });
      this.values.set(n.id, value);
      if (!cached) {
        this.statuses.set(n.id, { status: 'computed', seconds });
        return value;
      }
      this.hashes.set(n.id, await this.p.storeResult(n, key, value, seconds, 'chunk'));
      this.statuses.set(n.id, { status: 'computed', seconds });
      return value;
    } finally {
      if (cached) await env.store.releaseLease(key);
    }
  }
}
