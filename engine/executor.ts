/**
 * Executes a resolved graph: alternates *passes* over the chunks of scan positions (every
 * frame-scope node whose dataset-level inputs are ready, fused per chunk, and the partials of every
 * reduce node whose reduce ports are ready) with dataset-scope nodes and reduce nodes' finish (run in
 * the main thread, reading per-position inputs chunk by chunk; partials merged in chunk order).
 *
 * A pass first probes every chunk with lookups only; chunks that are fully cached never reach a
 * worker, so a fully cached run starts no threads.
 */
import {
  ChunkPipeline,
  selectField,
  selectHash,
  type ChunkJob,
  type ChunkNodeResult,
  type Hashes,
  type PipelineEnv,
} from './chunk-pipeline.ts';
import { RunAborted } from './errors.ts';
import { merkleRoot } from './hash.ts';
import { nodeKey } from './keys.ts';
import { FirstAxisGather } from './ndarray.ts';
import { WorkerPool } from './pool.ts';
import { Probe, type Probed } from './probe.ts';
import type { PipelineSetup } from './pipeline-env.ts';
import type { Progress } from './progress.ts';
import type { ResolvedGraph, ResolvedNode } from './graph.ts';
import type { ChunkInfo, ChunkedInput, DatasetInput, Value } from './types.ts';
import type { NodeStatus } from './run-types.ts';

export interface NodeState {
  id: string;
  key: string;
  hashes: Hashes;
  inputs: Record<string, string>;
  status: NodeStatus;
  /**
   * Wall-clock seconds the node took. A dataset node: its run. A frame node: its share of the
   * frame pass's wall time (pass wall × its op time / the op time of every node in the pass), so
   * the nodes of a pass add up to the pass. A reduce node: its partials' share of their pass plus
   * its finish.
   */
  seconds: number;
  /** Frame and reduce nodes: seconds inside the op summed over chunks (on every worker: CPU time). */
  cpuSeconds?: number;
  /** Frame scope: per-chunk results. */
  chunks?: ChunkNodeResult[];
  computedChunks: number;
  cachedChunks: number;
  /** Reduce scope: the chunks' partials (null: the chunk gives none). */
  partials?: (ChunkNodeResult | null)[];
}

/** What the scheduler does with a pass of fused frame nodes and with a dataset node. */
interface Strategy {
  done(id: string): boolean;
  /** A reduce node's partials are known (computed, cached, or probed). */
  reduced(id: string): boolean;
  pass(batch: string[]): Promise<void>;
  dataset(n: ResolvedNode): Promise<void>;
  /** After a pass; `more`: nodes remain. */
  afterPass?(more: boolean): Promise<void>;
}

/** The connected input ports of a reduce node that feed its partials. */
export function reducePorts(n: ResolvedNode): string[] {
  return n.op.scope === 'reduce' ? n.op.reduce!.ports.filter((p) => p in n.inputs) : [];
}

export function makeChunks(positions: number, chunkSize: number): ChunkInfo[] {
  // a non-positive step would loop forever (callers validate; this is the last line of defence)
  if (!Number.isInteger(chunkSize) || chunkSize < 1)
    throw new Error(`chunk size must be a positive integer, got ${chunkSize}`);
  const out: ChunkInfo[] = [];
  for (let start = 0, index = 0; start < positions; start += chunkSize, index++) {
    out.push({ index, start, count: Math.min(chunkSize, positions - start) });
  }
  return out;
}

export interface ExecuteOptions {
  env: PipelineEnv;
  setup: PipelineSetup;
  workers: number;
  chunkSize: number;
  progress: Progress;
  /** Stop starting chunks and nodes; finished chunks stay cached. */
  signal?: AbortSignal;
  /** Somewhere else to run chunk jobs (cluster/: BullMQ workers); default: worker threads here. */
  runner?: ChunkRunner;
}

/** Runs the chunk jobs of a frame pass elsewhere than this process's worker threads. */
export interface ChunkRunner {
  run(
    job: ChunkJob,
    ctx: { setup: PipelineSetup; graph: ResolvedGraph },
  ): Promise<Record<string, ChunkNodeResult>>;
  /** Extra text for the progress bar (e.g. live workers). */
  status?(): string;
}

export class Executor {
  readonly states = new Map<string, NodeState>();
  /** Reduce nodes: per chunk the partial's result (null: the chunk gives none). */
  readonly partials = new Map<string, (ChunkNodeResult | null)[]>();
  /** A reduce node's partials' share of their frame pass's wall time (seconds). */
  private readonly partialsWall = new Map<string, number>();
  readonly chunks: ChunkInfo[];
  readonly pipeline: ChunkPipeline;
  private pool: WorkerPool | null = null;

  constructor(private readonly o: ExecuteOptions) {
    const { scan } = o.env;
    this.chunks = makeChunks(scan.ny * scan.nx, o.chunkSize);
    this.pipeline = new ChunkPipeline(o.env);
  }

  private get graph() {
    return this.o.env.graph;
  }

  get env(): PipelineEnv {
    return this.o.env;
  }

  private checkAborted() {
    if (this.o.signal?.aborted) throw new RunAborted();
  }

  /** Compute strategy: run what is not cached, store it, and return every node's state. */
  async run(): Promise<Map<string, NodeState>> {
    try {
      await this.schedule({
        done: (id) => this.states.has(id),
        reduced: (id) => this.partials.has(id),
        pass: (batch) => this.framePass(batch),
        dataset: (n) => this.datasetNode(n),
        afterPass: async (more) => {
          this.pipeline.releaseLarge();
          // Chunk workers hold their own heaps and tables (~100 MB each at paper size): let them go
          // while dataset nodes run in this thread (a later pass starts new ones). After a pass of
          // reductions and sources alone they hold little, and starting them again costs more
          // (each loads every op module): they wait for the next pass.
          if (this.pool && more && this.lastPassHeavy) {
            await this.pool.close();
            this.pool = null;
          }
        },
      });
    } finally {
      await this.pool?.close();
      this.pool = null;
    }
    return this.states;
  }

  /** Probe strategy (`snem plan`): the same order of passes and nodes, with cache lookups only. */
  async probe(): Promise<Map<string, Probed>> {
    const probe = new Probe(this.graph, this.pipeline, this.chunks, (n) => this.chunksWanted(n));
    await this.schedule({
      done: (id) => probe.results.has(id),
      reduced: (id) => probe.partials.has(id),
      pass: (batch) => probe.pass(batch),
      dataset: (n) => probe.dataset(n),
    });
    return probe.results;
  }

  /**
   * The one scheduler: alternate a pass over the chunks (every frame node whose inputs are ready,
   * fused per chunk, and the partials of every reduce node whose reduce ports are ready) with the
   * dataset nodes and reduce finishes whose inputs are ready, until every needed node is done.
   */
  private async schedule(s: Strategy) {
    const { graph } = this;
    const pending = graph.order.filter((id) => graph.needed.has(id));
    while (pending.some((id) => !s.done(id))) {
      const batch: string[] = [];
      // an input from this pass's batch is ready only if it is a frame node (a reduce node's value comes after the pass)
      const ready = (r: { node: string }) =>
        s.done(r.node) || (batch.includes(r.node) && graph.nodes.get(r.node)!.op.scope === 'frame');
      for (const id of pending) {
        if (s.done(id)) continue;
        const n = graph.nodes.get(id)!;
        if (n.op.scope === 'frame' && Object.values(n.inputs).every(ready)) batch.push(id);
        if (
          n.op.scope === 'reduce' &&
          !s.reduced(id) &&
          reducePorts(n).length &&
          reducePorts(n).every((p) => ready(n.inputs[p]))
        )
          batch.push(id);
      }
      this.checkAborted();
      if (batch.length) await s.pass(batch);
      await s.afterPass?.(pending.some((id) => !s.done(id)));
      let progressed = batch.length > 0;
      for (const id of pending) {
        if (s.done(id)) continue;
        const n = graph.nodes.get(id)!;
        if (n.op.scope === 'frame' || (n.op.scope === 'reduce' && reducePorts(n).length && !s.reduced(id)))
          continue;
        if (Object.values(n.inputs).every((r) => s.done(r.node))) {
          this.checkAborted();
          await s.dataset(n);
          progressed = true;
        }
      }
      if (!progressed) throw new Error('scheduler made no progress (unsatisfiable dependencies)');
    }
  }

  private datasetHashes(): Record<string, Hashes> {
    const out: Record<string, Hashes> = {};
    for (const [id, s] of this.states) if (!s.chunks) out[id] = s.hashes;
    return out;
  }

  /** Hashes of every finished frame node for chunk i. */
  knownFor(i: number): Record<string, Hashes> {
    const out: Record<string, Hashes> = {};
    for (const [id, s] of this.states) if (s.chunks) out[id] = s.chunks[i];
    return out;
  }

  /** The last pass ran frame ops that build tables or hold results (not only reductions and uncached sources). */
  private lastPassHeavy = true;

  private async framePass(batch: string[]) {
    const { progress } = this.o;
    this.lastPassHeavy = batch.some((id) => {
      const { op } = this.graph.nodes.get(id)!;
      return op.scope === 'frame' && op.cached !== false;
    });
    const datasetValues = this.datasetHashes();
    const results: (Record<string, ChunkNodeResult> | null)[] = new Array(this.chunks.length).fill(null);
    const wants = new Map(batch.map((id) => [id, this.chunksWanted(this.graph.nodes.get(id)!)]));
    const jobs: ChunkJob[] = this.chunks.map((chunk, i) => ({
      chunk,
      nodes: batch.filter((id) => wants.get(id)![i]),
      known: this.knownFor(i),
      datasetValues,
    }));
    // Lookups first: what is fully cached never reaches a worker.
    const misses: number[] = [];
    for (let i = 0; i < jobs.length; i++) {
      results[i] = await this.pipeline.probeJob(jobs[i]);
      if (!results[i]) misses.push(i);
    }
    let passWall = 0;
    if (misses.length) {
      progress.startPass(batch, misses.length, this.chunks.length);
      const t0 = performance.now();
      try {
        await this.computeChunks(misses, jobs, results);
      } finally {
        progress.endPass();
      }
      passWall = (performance.now() - t0) / 1000;
    }
    const wallShare = passWallShares(batch, results, passWall);
    for (const id of batch) {
      const n = this.graph.nodes.get(id)!;
      if (n.op.scope === 'reduce') {
        this.partials.set(
          id,
          results.map((r) => r![id] ?? null),
        );
        this.partialsWall.set(id, wallShare(id));
        continue;
      }
      const chunks = results.map((r) => r![id]);
      const fieldNames = Object.keys(chunks[0].fields);
      const hashes: Hashes = {
        hash: merkleRoot(chunks.map((c) => c.hash)),
        fields: Object.fromEntries(fieldNames.map((f) => [f, merkleRoot(chunks.map((c) => c.fields[f]))])),
      };
      const inputs = this.inputHashes(n);
      const computed = chunks.filter((c) => c.status === 'computed').length;
      const state: NodeState = {
        id,
        key: nodeKey(n.op, n.params, inputs, { chunkKeys: merkleRoot(chunks.map((c) => c.key)) }),
        hashes,
        inputs,
        status: computed > 0 ? 'computed' : this.upstreamComputed(n) ? 'cutoff' : 'cached',
        seconds: wallShare(id),
        cpuSeconds: chunks.reduce((s, c) => s + c.seconds, 0),
        chunks,
        computedChunks: computed,
        cachedChunks: chunks.length - computed,
      };
      hashes.key = state.key;
      this.states.set(id, state);
      progress.node(id, n.op.name, state.status, state.seconds, { computed, total: chunks.length });
    }
  }

  /**
   * Compute the missed chunks, on the worker pool when there is more than one. On an abort or a
   * failure nothing new starts, chunks already in a worker finish (and stay cached), then it throws.
   */
  private async computeChunks(
    misses: number[],
    jobs: ChunkJob[],
    results: (Record<string, ChunkNodeResult> | null)[],
  ) {
    const { progress, signal, runner } = this.o;
    this.checkAborted();
    if (runner) return this.runElsewhere(runner, misses, jobs, results);
    if (!(this.o.workers > 1 && misses.length > 1)) {
      for (const i of misses) {
        this.checkAborted();
        results[i] = await this.pipeline.runJob(jobs[i]);
        progress.tick(i);
      }
      return;
    }
    const pool = (this.pool ??= new WorkerPool(
      this.o.setup,
      Math.min(this.o.workers, misses.length),
      this.o.env.log,
    ));
    const stop = () => pool.dropQueued(new RunAborted());
    signal?.addEventListener('abort', stop, { once: true });
    try {
      const settled = await Promise.allSettled(
        misses.map(async (i) => {
          try {
            results[i] = await pool.run(jobs[i]);
          } catch (e) {
            pool.dropQueued(e as Error);
            throw e;
          }
          progress.tick(i);
        }),
      );
      this.checkAborted();
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }

  /** All missed chunks at once to the runner (its queue paces them); on an abort, waits for none. */
  private async runElsewhere(
    runner: ChunkRunner,
    misses: number[],
    jobs: ChunkJob[],
    results: (Record<string, ChunkNodeResult> | null)[],
  ) {
    const { progress, signal } = this.o;
    progress.status = runner.status ? () => runner.status!() : null;
    const aborted = new Promise<never>((_, reject) =>
      signal?.addEventListener('abort', () => reject(new RunAborted()), { once: true }),
    );
    aborted.catch(() => {});
    try {
      await Promise.race([
        Promise.all(
          misses.map(async (i) => {
            results[i] = await runner.run(jobs[i], { setup: this.o.setup, graph: this.graph });
            progress.tick(i);
          }),
        ),
        aborted,
      ]);
    } finally {
      progress.status = null;
    }
  }

  /** Per chunk: does node n's pass need it (every chunk for a frame node; a reduce node's chunks holding a position it samples). */
  chunksWanted(n: ResolvedNode): boolean[] {
    const positions =
      n.op.scope === 'reduce'
        ? (n.op.reduce!.positions?.(n.params, {
            scan: this.o.env.scan,
            dataset: this.o.env.dataset,
            connected: Object.keys(n.inputs),
          }) ?? 'all')
        : 'all';
    if (positions === 'all') return this.chunks.map(() => true);
    const sorted = [...positions].sort((a, b) => a - b);
    let j = 0;
    return this.chunks.map((c) => {
      while (j < sorted.length && sorted[j] < c.start) j++;
      return j < sorted.length && sorted[j] < c.start + c.count;
    });
  }

  /**
   * A reduce node's partials merged in a fixed order — a balanced binary tree over the chunks in
   * chunk order (a binary counter: at most log₂ n partials held), so any worker count gives the same
   * bits, and a merge that concatenates (sampled patterns) costs n log n, not n², in copying; null
   * if no chunk gave one.
   */
  private async mergedPartial(n: ResolvedNode): Promise<Value | null> {
    const parts = this.partials.get(n.id) ?? [];
    const merge = (a: Value, b: Value) => n.op.merge!(a, b, n.params);
    const stack: { level: number; value: Value }[] = [];
    for (let i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      let item = {
        level: 0,
        value: await this.pipeline.chunkValue(n.id, {
          chunk: this.chunks[i],
          known: this.knownFor(i),
          datasetValues: this.datasetHashes(),
        }),
      };
      while (stack.at(-1)?.level === item.level) {
        const earlier = stack.pop()!;
        item = { level: item.level + 1, value: merge(earlier.value, item.value) };
      }
      stack.push(item);
    }
    let acc = stack.pop()?.value ?? null;
    while (stack.length) acc = merge(stack.pop()!.value, acc!);
    return acc;
  }

  private upstreamComputed(n: ResolvedNode): boolean {
    return Object.values(n.inputs).some((r) => {
      const s = this.states.get(r.node);
      return s && (s.status === 'computed' || s.status === 'cutoff');
    });
  }

  private inputHashes(n: ResolvedNode): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [port, ref] of Object.entries(n.inputs))
      out[port] = selectHash(this.states.get(ref.node)!.hashes, ref);
    return out;
  }

  /** A frame node's per-position input, seen by a dataset op chunk by chunk. */
  chunkedInput(node: string, field: string | undefined): ChunkedInput {
    const chunk = async (i: number): Promise<Value> => {
      const v = await this.pipeline.chunkValue(node, {
        chunk: this.chunks[i],
        known: this.knownFor(i),
        datasetValues: this.datasetHashes(),
      });
      return field ? selectField(v, { node, field }) : v;
    };
    return {
      scope: 'frame',
      chunks: this.chunks,
      chunk,
      first: () => chunk(0),
      gather: async (f: string) => {
        // One chunk held at a time: each is copied into the result and dropped.
        const out = new FirstAxisGather(this.positions);
        for (let i = 0; i < this.chunks.length; i++) {
          const a = (await chunk(i)).fields[f];
          if (!a) throw new Error(`node '${node}' has no field '${f}'`);
          out.add(a, this.chunks[i].count);
        }
        return out.result();
      },
    };
  }

  private get positions(): number {
    return this.o.env.scan.ny * this.o.env.scan.nx;
  }

  private async datasetNode(n: ResolvedNode) {
    const { env, progress } = this.o;
    const inputs = this.inputHashes(n);
    const key = nodeKey(n.op, n.params, inputs);
    const hit = await env.store.lookup(key);
    let status: NodeStatus;
    let seconds = 0;
    let hashes: Hashes;
    if (hit) {
      hashes = { hash: hit.v, fields: hit.f, key };
      status = this.upstreamComputed(n) ? 'cutoff' : 'cached';
    } else {
      const waited = !(await env.store.tryLease(key)) && (await this.pipeline.waitFor(key));
      // Holding the lease now, or the result is there: another process (a second coordinator) may
      // have stored it between the lookup above and taking the lease; then it is not computed again.
      const got = await env.store.lookup(key);
      if (got) {
        if (!waited) await env.store.releaseLease(key);
        hashes = { hash: got.v, fields: got.f, key };
        status = 'cached';
      } else {
        try {
          const ctxInputs: Record<string, DatasetInput> = {};
          for (const [port, ref] of Object.entries(n.inputs)) {
            const up = this.graph.nodes.get(ref.node)!;
            ctxInputs[port] =
              up.op.scope === 'frame'
                ? this.chunkedInput(ref.node, ref.field)
                : {
                    scope: 'dataset',
                    value: selectField(
                      await this.pipeline.datasetValue(ref.node, this.states.get(ref.node)!.hashes),
                      ref,
                    ),
                  };
          }
          progress.nodeStart(n.id, n.op.name);
          const ctx = {
            node: n.id,
            params: n.params,
            scan: env.scan,
            dataset: env.dataset,
            log: env.log,
            inputs: ctxInputs,
            workers: this.o.workers,
          };
          const partial = n.op.scope === 'reduce' ? await this.mergedPartial(n) : null;
          const r = await this.pipeline.invokeOp(n, () =>
            n.op.scope === 'reduce' ? n.op.finish!({ ...ctx, partial }) : n.op.run!(ctx),
          );
          seconds = r.seconds;
          hashes = await this.pipeline.storeResult(n, key, r.value, seconds, 'dataset');
          status = 'computed';
        } finally {
          await env.store.releaseLease(key);
        }
      }
    }
    if (status !== 'computed') this.pipeline.releaseLarge();
    const partials = this.partials.get(n.id);
    // a reduce node: its finish plus its partials' share of the frame pass (wall), and their CPU
    const cpuSeconds = partials ? seconds + partials.reduce((t, p) => t + (p?.seconds ?? 0), 0) : undefined;
    if (partials) seconds += this.partialsWall.get(n.id) ?? 0;
    this.states.set(n.id, {
      id: n.id,
      key,
      hashes,
      inputs,
      status,
      seconds,
      ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
      computedChunks: status === 'computed' ? 1 : 0,
      cachedChunks: status === 'computed' ? 0 : 1,
      ...(partials ? { partials } : {}),
    });
    // a reduce node reports its partials as its chunks
    const withPartials = partials?.filter((p) => p !== null) ?? [];
    progress.node(
      n.id,
      n.op.name,
      status,
      seconds,
      withPartials.length
        ? { computed: withPartials.filter((p) => p.status === 'computed').length, total: withPartials.length }
        : undefined,
    );
  }

  /** The whole value of a node: dataset nodes as stored, frame nodes with every field concatenated over chunks. */
  async nodeValue(id: string): Promise<Value> {
    const s = this.states.get(id);
    if (!s) throw new Error(`node '${id}' has not run`);
    if (!s.chunks) return this.pipeline.datasetValue(id, s.hashes);
    const input = this.chunkedInput(id, undefined);
    const first = await input.first();
    const parts: Record<string, FirstAxisGather> = {};
    for (let i = 0; i < this.chunks.length; i++) {
      const v = i === 0 ? first : await input.chunk(i);
      for (const [f, a] of Object.entries(v.fields))
        (parts[f] ??= new FirstAxisGather(this.positions)).add(a, this.chunks[i].count);
    }
    const fields = Object.fromEntries(Object.entries(parts).map(([f, p]) => [f, p.result()]));
    return { fields, axes: first.axes, meta: first.meta };
  }
}

/**
 * Each node's share of a frame pass's wall time: the pass's wall seconds split in proportion to the
 * seconds each node's op spent on the chunks (summed over workers), so the shares add up to the pass.
 */
function passWallShares(
  batch: string[],
  results: (Record<string, ChunkNodeResult> | null)[],
  passWall: number,
): (id: string) => number {
  const cpu = new Map(batch.map((id) => [id, results.reduce((t, r) => t + (r?.[id]?.seconds ?? 0), 0)]));
  const total = [...cpu.values()].reduce((a, b) => a + b, 0);
  return (id) => (total > 0 ? (passWall * cpu.get(id)!) / total : 0);
}
