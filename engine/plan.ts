/**
 * `snem plan`: what a run would do, without computing anything: the scheduler's probe strategy
 * (engine/probe.ts) walks the graph as a run would, with cache lookups only; a node is *cached*
 * when every chunk's key hits, otherwise it *will run*, and the reason is found by comparing it
 * with the newest recorded run that had the same node: which params differ, which input changed,
 * a new op version or new op code.
 */
import type { Hashes } from './chunk-pipeline.ts';
import { Executor } from './executor.ts';
import { fileParamOf } from './param-files.ts';
import { setupOf } from './pipeline-env.ts';
import { Progress } from './progress.ts';
import { DEFAULT_CHUNK_SIZE, type Prepared } from './prepare.ts';
import type { Json, OpDef } from './types.ts';
import type { RunRecord } from '../cache/store.ts';

export interface PlanEntry {
  node: string;
  op: string;
  status: 'cached' | 'will run';
  why: string;
  chunks?: { total: number; cached: number };
  /** Reduce node: its per-chunk partials (chunks that give one), computed during a frame pass. */
  partials?: { total: number; cached: number };
}

export interface Plan {
  graph: string;
  entries: PlanEntry[];
  warnings: string[];
}

/** What a probe found in the cache: hashes per dataset node, per chunk per frame node (null: not cached). */
export interface KnownHashes {
  dataset: Record<string, Hashes>;
  frame: Record<string, (Hashes | null)[]>;
}

/** Plan a prepared graph (engine/prepare.ts); leaves its store and dataset open. */
export async function planPrepared(pre: Prepared, opts: { chunkSize?: number } = {}): Promise<Plan> {
  return (await probeGraph(pre, opts)).plan;
}

/** The plan, and the hashes of every cached result it found on the way (lookups only). */
export async function probeGraph(
  pre: Prepared,
  opts: { chunkSize?: number } = {},
): Promise<{ plan: Plan; known: KnownHashes }> {
  const { graph, store } = pre;
  const exec = new Executor({
    env: { graph, store, dataset: pre.dataset, datasetHash: pre.datasetHash, scan: pre.scan, log: () => {} },
    setup: setupOf(pre, {}),
    workers: 1,
    chunkSize: opts.chunkSize ?? graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE,
    progress: new Progress(true),
  });
  const probed = await exec.probe();
  const runs = store.listRuns();
  const known: KnownHashes = { dataset: {}, frame: {} };
  const entries: PlanEntry[] = [];
  for (const id of graph.order) {
    const p = probed.get(id);
    if (!p) continue;
    const n = graph.nodes.get(id)!;
    const blocked = p.blockedBy
      ? `input '${p.blockedBy}' will be recomputed (it may still reproduce its value: early cutoff)`
      : '';
    if (p.chunks) {
      known.frame[id] = p.chunks;
      const cached = p.chunks.filter(Boolean).length;
      const total = p.chunks.length;
      const why = p.cached
        ? 'every chunk is in the cache'
        : blocked || explain(id, n.op, n.params, runs, cached, total);
      entries.push({
        node: id,
        op: n.op.name,
        status: p.cached ? 'cached' : 'will run',
        why,
        chunks: { total, cached },
      });
    } else {
      if (p.hashes) known.dataset[id] = p.hashes;
      let why = p.cached ? 'in the cache' : blocked || explain(id, n.op, n.params, runs, 0, 1);
      const pt = p.partials;
      if (pt && !p.cached)
        why +=
          pt.cached === pt.total
            ? `; its ${pt.total} chunk partials are cached (only the merge and finish run)`
            : `; ${pt.total - pt.cached} of ${pt.total} chunk partials to compute in the frame pass`;
      entries.push({
        node: id,
        op: n.op.name,
        status: p.cached ? 'cached' : 'will run',
        why,
        ...(pt ? { partials: pt } : {}),
      });
    }
  }
  return { plan: { graph: graph.name, entries, warnings: graph.warnings }, known };
}

/** Why a node with no cached result will run: compare with the newest run that had it. */
function explain(
  id: string,
  opDef: OpDef,
  params: Record<string, Json>,
  runs: RunRecord[],
  cached: number,
  total: number,
): string {
  const { name: op, version } = opDef;
  const partial =
    cached > 0
      ? `${total - cached} of ${total} chunks not in the cache (an interrupted run resumes here)`
      : '';
  const prev = runs.find((r) => r.nodes[id]?.op === op);
  if (!prev) return partial || 'never computed with this cache';
  const old = prev.nodes[id];
  const reasons: string[] = [];
  if (old.version !== version) reasons.push(`op version ${old.version} → ${version}`);
  else if (old.code && opDef.codeHash && !opDef.pinned && old.code !== opDef.codeHash)
    reasons.push(`the code of op ${op} (or of a module it imports) changed`);
  const keys = new Set([...Object.keys(old.params), ...Object.keys(params)]);
  for (const k of [...keys].sort()) {
    const a = JSON.stringify(old.params[k]);
    const b = JSON.stringify(params[k]);
    if (a === b) continue;
    const file = a !== undefined && b !== undefined ? fileParamOf(k) : null;
    reasons.push(
      file ? `the file named by param ${file} changed (content ${a} → ${b})` : `param ${k}: ${a} → ${b}`,
    );
  }
  if (!reasons.length)
    reasons.push(
      partial ||
        `inputs differ from run ${prev.id} (dataset or an upstream value changed), or its results were garbage-collected`,
    );
  return `${reasons.join('; ')} (compared with run ${prev.id})`;
}
