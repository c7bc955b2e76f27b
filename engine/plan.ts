/**
 * `snem plan`: what a run would do, without computing anything. Walks the graph in order using
 * only cache lookups; a node is *cached* when every chunk's key hits, otherwise it *will run*,
 * and the reason is found by comparing it with the newest recorded run that had the same node:
 * which params differ, which input changed, or a new op version.
 */
import { ChunkPipeline, selectHash, type Hashes } from './chunk-pipeline.ts';
import { makeChunks } from './executor.ts';
import { merkleRoot } from './hash.ts';
import { nodeKey } from './keys.ts';
import { fileParamOf } from './param-files.ts';
import { DEFAULT_CHUNK_SIZE, type Prepared } from './prepare.ts';
import type { Json, OpDef } from './types.ts';
import type { RunRecord } from '../cache/store.ts';

export interface PlanEntry {
  node: string;
  op: string;
  status: 'cached' | 'will run';
  why: string;
  chunks?: { total: number; cached: number };
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
export async function probeGraph(pre: Prepared, opts: { chunkSize?: number } = {}): Promise<{ plan: Plan; known: KnownHashes }> {
  const { graph, store } = pre;
  const chunks = makeChunks(pre.scan.ny * pre.scan.nx, opts.chunkSize ?? graph.doc.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const pipeline = new ChunkPipeline({ graph, store, dataset: pre.dataset, datasetHash: pre.datasetHash, scan: pre.scan, log: () => {} });
  const runs = store.listRuns();
  /** Known hashes: dataset nodes, and per chunk for frame nodes (null = will be recomputed). */
  const dsKnown: Record<string, Hashes> = {};
  const frameKnown: Record<string, (Hashes | null)[]> = {};
  const entries: PlanEntry[] = [];
  const willRun = new Set<string>();
  for (const id of graph.order) {
    if (!graph.needed.has(id)) continue;
    const n = graph.nodes.get(id)!;
    const blockedBy = Object.values(n.inputs).find((r) => willRun.has(r.node));
    if (n.op.scope === 'frame') {
      const hs: (Hashes | null)[] = [];
      let cached = 0;
      for (let i = 0; i < chunks.length; i++) {
        const known: Record<string, Hashes> = {};
        let blocked = false;
        for (const [fid, arr] of Object.entries(frameKnown)) {
          if (arr[i]) known[fid] = arr[i]!;
          else if (Object.values(n.inputs).some((r) => r.node === fid)) blocked = true;
        }
        if (blocked || blockedBy) {
          hs.push(null);
          continue;
        }
        const r = await pipeline.probeJob({ chunk: chunks[i], nodes: [id], known, datasetValues: dsKnown });
        hs.push(r ? r[id] : null);
        if (r) cached++;
      }
      frameKnown[id] = hs;
      if (cached === chunks.length) {
        entries.push({ node: id, op: n.op.name, status: 'cached', why: 'every chunk is in the cache', chunks: { total: chunks.length, cached } });
      } else {
        willRun.add(id);
        const why = blockedBy ? `input '${blockedBy.node}' will be recomputed (it may still reproduce its value: early cutoff)` : explain(id, n.op, n.params, runs, cached, chunks.length);
        entries.push({ node: id, op: n.op.name, status: 'will run', why, chunks: { total: chunks.length, cached } });
      }
    } else {
      let hit: Hashes | null = null;
      if (!blockedBy) {
        const inputs: Record<string, string> = {};
        let ok = true;
        for (const [port, ref] of Object.entries(n.inputs)) {
          const up = graph.nodes.get(ref.node)!;
          if (up.op.scope === 'dataset') inputs[port] = selectHash(dsKnown[ref.node], ref);
          else {
            const arr = frameKnown[ref.node];
            if (!arr || arr.some((h) => !h)) ok = false;
            else {
              const hs = arr as Hashes[];
              inputs[port] = ref.field ? merkleRoot(hs.map((h) => h.fields[ref.field!])) : merkleRoot(hs.map((h) => h.hash));
            }
          }
        }
        if (ok) {
          const key = nodeKey(n.op, n.params, inputs);
          const a = store.lookup(key);
          if (a) hit = { hash: a.v, fields: a.f, key };
        }
      }
      if (hit) {
        dsKnown[id] = hit;
        entries.push({ node: id, op: n.op.name, status: 'cached', why: 'in the cache' });
      } else {
        willRun.add(id);
        const why = blockedBy ? `input '${blockedBy.node}' will be recomputed (it may still reproduce its value: early cutoff)` : explain(id, n.op, n.params, runs, 0, 1);
        entries.push({ node: id, op: n.op.name, status: 'will run', why });
      }
    }
  }
  return { plan: { graph: graph.name, entries, warnings: graph.warnings }, known: { dataset: dsKnown, frame: frameKnown } };
}

/** Why a node with no cached result will run: compare with the newest run that had it. */
function explain(id: string, opDef: OpDef, params: Record<string, Json>, runs: RunRecord[], cached: number, total: number): string {
  const { name: op, version } = opDef;
  const partial = cached > 0 ? `${total - cached} of ${total} chunks not in the cache (an interrupted run resumes here)` : '';
  const prev = runs.find((r) => r.nodes[id]?.op === op);
  if (!prev) return partial || 'never computed with this cache';
  const old = prev.nodes[id];
  const reasons: string[] = [];
  if (old.version !== version) reasons.push(`op version ${old.version} → ${version}`);
  else if (old.code && opDef.codeHash && !opDef.pinned && old.code !== opDef.codeHash) reasons.push(`the code of op ${op} (or of a module it imports) changed`);
  const keys = new Set([...Object.keys(old.params), ...Object.keys(params)]);
  for (const k of [...keys].sort()) {
    const a = JSON.stringify(old.params[k]);
    const b = JSON.stringify(params[k]);
    if (a === b) continue;
    const file = a !== undefined && b !== undefined ? fileParamOf(k) : null;
    reasons.push(file ? `the file named by param ${file} changed (content ${a} → ${b})` : `param ${k}: ${a} → ${b}`);
  }
  if (!reasons.length) reasons.push(partial || `inputs differ from run ${prev.id} (dataset or an upstream value changed), or its results were garbage-collected`);
  return `${reasons.join('; ')} (compared with run ${prev.id})`;
}
