/**
 * The dataset-level results a per-position preview stands on (geometry, static mask, …): computed
 * through the engine's executor and cache like in a run — once; afterwards a lookup — and kept
 * decoded in memory between requests. Only dataset nodes that need no per-position results
 * (other than uncached sources) qualify: an NMF downstream of the whole scan is not a preview's
 * business (run the graph).
 */
import { selectField, type Hashes } from '../../engine/chunk-pipeline.ts';
import { Executor } from '../../engine/executor.ts';
import { Progress } from '../../engine/progress.ts';
import type { InputRef, ResolvedGraph } from '../../engine/graph.ts';
import { resultScope, type Value } from '../../engine/types.ts';
import { executorOptions, subgraph, type EngineContext, type Resolved } from './engine-context.ts';

export interface Prerequisites {
  /** Hashes of the dataset nodes computed. */
  hashes: Map<string, Hashes>;
  /** Dataset nodes a preview cannot use (they need per-position results of the whole scan). */
  unavailable: Set<string>;
}

const MEMO_LIMIT = 32;
const VALUE_LIMIT = 64;

export class PrerequisiteCache {
  private memo = new Map<string, Promise<Prerequisites>>();
  private values = new Map<string, Value>();

  constructor(private readonly ctx: EngineContext) {}

  /** Dataset nodes feeding frame nodes, split into computable prerequisites and the rest. */
  static classify(graph: ResolvedGraph): { prereqs: string[]; unavailable: Set<string> } {
    const prereqs: string[] = [];
    const unavailable = new Set<string>();
    const ok = new Map<string, boolean>();
    // In topological order: a dataset node qualifies if all its inputs are uncached sources or qualifying dataset nodes.
    for (const id of graph.order) {
      const n = graph.nodes.get(id)!;
      if (n.op.scope === 'frame') {
        ok.set(id, n.op.cached === false && Object.keys(n.inputs).length === 0);
        continue;
      }
      ok.set(
        id,
        Object.values(n.inputs).every((r) => ok.get(r.node)),
      );
    }
    const seen = new Set<string>();
    for (const n of graph.nodes.values()) {
      if (n.op.scope !== 'frame') continue;
      for (const r of Object.values(n.inputs)) {
        const up = graph.nodes.get(r.node)!;
        if (resultScope(up.op) !== 'dataset' || seen.has(r.node)) continue;
        seen.add(r.node);
        if (ok.get(r.node)) prereqs.push(r.node);
        else unavailable.add(r.node);
      }
    }
    return { prereqs, unavailable };
  }

  /**
   * The prerequisites of `resolved`'s frame nodes, computed once per content (dataset, ops and
   * params of every node they need): a request arriving while the same computation is in flight
   * waits for it instead of starting a second one.
   */
  get(resolved: Resolved): Promise<Prerequisites> {
    const { graph } = resolved;
    const { prereqs, unavailable } = PrerequisiteCache.classify(graph);
    const sub = subgraph(graph, prereqs, prereqs);
    const sig = JSON.stringify([
      this.ctx.datasetHash,
      [...sub.needed].sort().map((id) => {
        const n = graph.nodes.get(id)!;
        return [id, n.op.name, n.op.version, n.params, n.inputs];
      }),
    ]);
    const hit = this.memo.get(sig);
    if (hit) return hit;
    const pending = this.compute(resolved, sub, unavailable);
    if (this.memo.size >= MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(sig, pending);
    // A failed computation is not remembered: the next request tries again.
    pending.catch(() => this.memo.get(sig) === pending && this.memo.delete(sig));
    return pending;
  }

  private async compute(
    resolved: Resolved,
    sub: ResolvedGraph,
    unavailable: Set<string>,
  ): Promise<Prerequisites> {
    const hashes = new Map<string, Hashes>();
    if (sub.outputs.length) {
      const exec = new Executor(
        executorOptions(this.ctx, resolved, sub, { workers: 1, progress: new Progress(true) }),
      );
      const states = await exec.run();
      for (const id of sub.outputs) hashes.set(id, states.get(id)!.hashes);
    }
    return { hashes, unavailable };
  }

  /** A prerequisite's value (one field if the reference names it), decoded once. */
  value(p: Prerequisites, ref: InputRef): Value {
    const h = p.hashes.get(ref.node);
    if (!h) throw new Error(`dataset node '${ref.node}' is not a preview prerequisite`);
    let v = this.values.get(h.hash);
    if (!v) {
      const got = this.ctx.store.getValue(h.hash);
      if (!got)
        throw new Error(`dataset-level result of node '${ref.node}' (${h.hash}) is missing from the cache`);
      v = got;
      if (this.values.size >= VALUE_LIMIT) this.values.delete(this.values.keys().next().value!);
      this.values.set(h.hash, v);
    }
    return selectField(v, ref);
  }

  /** The identity of a prerequisite input (for memoising op.prepare). */
  static identity(p: Prerequisites, ref: InputRef): string {
    const h = p.hashes.get(ref.node)!;
    return ref.field ? (h.fields[ref.field] ?? h.hash) : h.hash;
  }
}
