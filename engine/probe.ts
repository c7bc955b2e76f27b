/**
 * The probe strategy of the scheduler (engine/executor.ts): the passes and nodes of a run in the
 * same order, with cache lookups only. A node is cached when every chunk's key (or its key) hits;
 * a node with an input that is not cached will run whatever its own entries hold (its inputs'
 * values, hence its keys, are not known yet).
 */
import { selectHash, type ChunkPipeline, type Hashes } from './chunk-pipeline.ts';
import type { ResolvedGraph, ResolvedNode } from './graph.ts';
import { merkleRoot } from './hash.ts';
import { nodeKey } from './keys.ts';
import type { ChunkInfo } from './types.ts';

export interface Probed {
  /** Every chunk (frame node) or the node (dataset node) is in the cache. */
  cached: boolean;
  /** Dataset node: its hashes, when cached. */
  hashes?: Hashes;
  /** Frame node: per chunk its hashes when cached, null when it will be computed. */
  chunks?: (Hashes | null)[];
  /** An input that is not cached: this node will run. */
  blockedBy?: string;
  /** Reduce node: its partials, counted over the chunks that give one. */
  partials?: { total: number; cached: number };
}

export class Probe {
  readonly results = new Map<string, Probed>();
  /** Reduce nodes: per chunk the partial's hashes when cached, null when it will be computed (or the chunk gives none). */
  readonly partials = new Map<string, { wanted: boolean[]; chunks: (Hashes | null)[] }>();

  constructor(
    private readonly graph: ResolvedGraph,
    private readonly pipeline: ChunkPipeline,
    private readonly chunks: ChunkInfo[],
    private readonly chunksWanted: (n: ResolvedNode) => boolean[],
  ) {}

  private blockedBy(n: ResolvedNode, ports?: string[]): string | undefined {
    return Object.entries(n.inputs).find(
      ([port, r]) => (!ports || ports.includes(port)) && !this.results.get(r.node)?.cached,
    )?.[1].node;
  }

  private datasetValues(): Record<string, Hashes> {
    const out: Record<string, Hashes> = {};
    for (const [id, p] of this.results) if (p.hashes) out[id] = p.hashes;
    return out;
  }

  async pass(batch: string[]): Promise<void> {
    const datasetValues = this.datasetValues();
    for (const id of batch) {
      const n = this.graph.nodes.get(id)!;
      const reduce = n.op.scope === 'reduce';
      const blockedBy = this.blockedBy(n, reduce ? n.op.reduce!.ports : undefined);
      const wanted = this.chunksWanted(n);
      const hs: (Hashes | null)[] = [];
      for (let i = 0; i < this.chunks.length; i++) {
        if (blockedBy || !wanted[i]) {
          hs.push(null);
          continue;
        }
        const known: Record<string, Hashes> = {};
        let missing = false;
        for (const [fid, p] of this.results) {
          if (!p.chunks) continue;
          if (p.chunks[i]) known[fid] = p.chunks[i]!;
          else if (Object.values(n.inputs).some((r) => r.node === fid)) missing = true;
        }
        const r = missing
          ? null
          : await this.pipeline.probeJob({ chunk: this.chunks[i], nodes: [id], known, datasetValues });
        hs.push(r ? r[id] : null);
      }
      if (reduce) this.partials.set(id, { wanted, chunks: hs });
      else
        this.results.set(id, { cached: hs.every(Boolean), chunks: hs, ...(blockedBy ? { blockedBy } : {}) });
    }
  }

  async dataset(n: ResolvedNode): Promise<void> {
    const blockedBy = this.blockedBy(n);
    const got = this.partials.get(n.id);
    const partials = got
      ? { total: got.wanted.filter(Boolean).length, cached: got.chunks.filter(Boolean).length }
      : undefined;
    if (blockedBy) {
      this.results.set(n.id, { cached: false, blockedBy, ...(partials ? { partials } : {}) });
      return;
    }
    const inputs: Record<string, string> = {};
    for (const [port, ref] of Object.entries(n.inputs)) {
      const up = this.results.get(ref.node)!;
      if (up.hashes) inputs[port] = selectHash(up.hashes, ref);
      else {
        const hs = up.chunks as Hashes[];
        inputs[port] = ref.field
          ? merkleRoot(hs.map((h) => h.fields[ref.field!]))
          : merkleRoot(hs.map((h) => h.hash));
      }
    }
    const key = nodeKey(n.op, n.params, inputs);
    const a = await this.pipeline.env.store.lookup(key);
    this.results.set(n.id, {
      ...(a ? { cached: true, hashes: { hash: a.v, fields: a.f, key } } : { cached: false }),
      ...(partials ? { partials } : {}),
    });
  }
}
