/**
 * The chain view's engine: every per-position node of the current graph for ONE scan position,
 * through the ops' own prepare/process (the code the engine runs, on a one-position chunk), so the
 * values equal what a run stores for that position. Nothing is written to the cache: the preview
 * is a function of the (possibly unsaved) graph. What an op builds in `prepare` (pixel → Q-bin
 * tables, form factors, transforms) is kept per node, params and dataset-level inputs, so a
 * param edit downstream costs only the per-position work.
 */
import { selectField } from '../../engine/chunk-pipeline.ts';
import { DEFAULT_CHUNK_SIZE } from '../../engine/prepare.ts';
import type { ResolvedGraph, ResolvedNode } from '../../engine/graph.ts';
import { resultScope, type ChunkInfo, type Json, type Value } from '../../engine/types.ts';
import type { EngineContext, Resolved } from './engine-context.ts';
import { PrerequisiteCache, type Prerequisites } from './prerequisites.ts';

export interface PositionValues {
  /** Frame node → its one-position value (leading dimension 1). */
  values: Map<string, Value>;
  /** Node → why it has no value for this position. */
  errors: Map<string, string>;
}

const PREPARED_LIMIT = 96;

export class PreviewEngine {
  readonly prereqs: PrerequisiteCache;
  private prepared = new Map<string, unknown>();

  constructor(private readonly ctx: EngineContext) {
    this.prereqs = new PrerequisiteCache(ctx);
  }

  /**
   * Run every frame node for position `index` (iy·nx + ix); with `frames`, the graph's frame source
   * gives that pattern instead of the position's (an ROI's mean pattern through the chain).
   */
  async run(resolved: Resolved, index: number, frames?: Value): Promise<PositionValues> {
    const { graph } = resolved;
    const pre = await this.prereqs.get(resolved);
    const chunkSize = graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const chunk: ChunkInfo = { index: Math.floor(index / chunkSize), start: index, count: 1 };
    const values = new Map<string, Value>();
    const errors = new Map<string, string>();
    for (const id of graph.order) {
      const n = graph.nodes.get(id)!;
      if (n.op.scope !== 'frame') continue;
      const blocked = this.blockedBy(n, graph, pre, values, errors);
      if (blocked) {
        errors.set(id, blocked);
        continue;
      }
      if (frames && n.op.name === 'source.frames') {
        values.set(id, frames);
        continue;
      }
      try {
        values.set(id, await this.process(n, pre, values, chunk, resolved));
      } catch (e) {
        errors.set(id, (e as Error).message);
      }
    }
    return { values, errors };
  }

  private blockedBy(
    n: ResolvedNode,
    graph: ResolvedGraph,
    pre: Prerequisites,
    values: Map<string, Value>,
    errors: Map<string, string>,
  ): string | null {
    for (const [port, r] of Object.entries(n.inputs)) {
      const up = graph.nodes.get(r.node)!;
      if (resultScope(up.op) === 'dataset' && pre.unavailable.has(r.node))
        return `input '${port}' comes from '${r.node}' (${up.op.name}), a dataset-level result of the whole scan: run the graph to see it`;
      if (up.op.scope === 'frame' && !values.has(r.node))
        return `input '${port}': node '${r.node}' has no value for this position${errors.has(r.node) ? ` (${errors.get(r.node)})` : ''}`;
    }
    return null;
  }

  /**
   * One node on the one-position chunk; `override` replaces params or drops input ports (the
   * unmasked I(Q), the F(Q) before its polynomial correction).
   */
  async process(
    n: ResolvedNode,
    pre: Prerequisites,
    values: Map<string, Value>,
    chunk: ChunkInfo,
    resolved: Resolved,
    override: { params?: Record<string, Json>; dropPorts?: string[] } = {},
  ): Promise<Value> {
    const params = override.params ? { ...n.params, ...override.params } : n.params;
    const inputs: Record<string, Value> = {};
    const dsInputs: Record<string, Value> = {};
    const identity: string[] = [];
    for (const [port, r] of Object.entries(n.inputs)) {
      if (override.dropPorts?.includes(port)) continue;
      const up = resolved.graph.nodes.get(r.node)!;
      if (resultScope(up.op) === 'dataset') {
        inputs[port] = dsInputs[port] = this.prereqs.value(pre, r);
        identity.push(`${port}=${PrerequisiteCache.identity(pre, r)}`);
      } else inputs[port] = selectField(values.get(r.node)!, r);
    }
    const { ctx } = this;
    const base = { node: n.id, params, scan: resolved.scan, dataset: ctx.dataset, log: () => {} };
    let state: unknown;
    if (n.op.prepare) {
      const key = JSON.stringify([n.id, n.op.name, n.op.version, params, identity]);
      if (!this.prepared.has(key)) {
        if (this.prepared.size >= PREPARED_LIMIT) this.prepared.delete(this.prepared.keys().next().value!);
        this.prepared.set(key, await n.op.prepare({ ...base, inputs: dsInputs }));
      }
      state = this.prepared.get(key);
    }
    return n.op.process!({ ...base, chunk, inputs, state });
  }
}
