/**
 * What a studio run after an edit has to compute: the nodes whose resolved definition changed since
 * the last finished run (op, version, params with defaults and the content hashes of the files they
 * name, inputs) and everything downstream of them. Their cached ancestors are read, not recomputed,
 * and every other node keeps the last run's result — so a one-param edit of a per-position node
 * (fit window, pdf rpoly, mask alpha, …) computes that node and its dependants only.
 * Cheap ops run in this thread (worker threads take a second or more to start: each loads every op
 * module); anything heavier goes to the worker pool, both cores.
 */
import type { ResolvedGraph, ResolvedNode } from '../../engine/graph.ts';

/** Per-position ops cheap enough that running them in this thread over the whole scan beats starting workers. */
const IN_THREAD_OPS = new Set(['qoi.expr', 'qoi.peak', 'qoi.integral']);

export interface RunScope {
  /** Nodes to compute (in graph order); every other node's result is the last run's. */
  nodes: string[];
  /** True when every node to compute is cheap or dataset-level: run in this thread. */
  inThread: boolean;
}

function definition(n: ResolvedNode): string {
  return JSON.stringify([n.op.name, n.op.version, n.op.codeHash ?? null, n.params, n.inputs]);
}

/** The scope of a run of `next` after a finished run of `prev` (same session, same dataset). */
export function runScope(prev: ResolvedGraph, next: ResolvedGraph): RunScope {
  const changed = new Set<string>();
  for (const id of next.order) {
    const n = next.nodes.get(id)!;
    const p = prev.nodes.get(id);
    if (!p || definition(p) !== definition(n) || Object.values(n.inputs).some((r) => changed.has(r.node)))
      changed.add(id);
  }
  const nodes = next.order.filter((id) => changed.has(id));
  const inThread = nodes.every((id) => {
    const op = next.nodes.get(id)!.op;
    return op.scope === 'dataset' || IN_THREAD_OPS.has(op.name);
  });
  return { nodes, inThread };
}
