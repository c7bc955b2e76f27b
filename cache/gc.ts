/**
 * Garbage collection by reachability (as Nix and DVC do): keep the actions and blobs that the
 * kept runs reached (the newest N, and/or runs named explicitly), delete the rest; with a size cap,
 * drop the oldest kept runs until the blobs fit. LMDB files never shrink, so `compact` rewrites
 * the environment by copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CacheStore, RunRecord } from './store.ts';

export interface GcOptions {
  keepLast?: number;
  keepRuns?: string[];
  maxSizeBytes?: number;
}

export interface GcReport {
  keptRuns: string[];
  removedRuns: number;
  removedActions: number;
  removedBlobs: number;
  freedBytes: number;
  blobBytes: number;
}

export function gcCache(store: CacheStore, opts: GcOptions): GcReport {
  const runs = store.listRuns();
  const named = new Set(opts.keepRuns ?? []);
  let kept: RunRecord[] = runs.filter((r, i) => named.has(r.id) || (opts.keepLast !== undefined ? i < opts.keepLast : named.size === 0));
  const sizes = new Map<string, number>();
  for (const { key, value } of store.blobs.getRange()) sizes.set(key, value.length);

  const reach = (rs: RunRecord[]) => {
    const actions = new Set<string>();
    const blobs = new Set<string>();
    for (const r of rs) {
      for (const k of r.actionKeys) {
        actions.add(k);
        const a = store.getAction(k);
        if (a) blobs.add(a.v);
      }
      for (const n of Object.values(r.nodes)) {
        blobs.add(n.valueHash);
        for (const c of n.chunkHashes ?? []) blobs.add(c);
      }
    }
    let bytes = 0;
    for (const b of blobs) bytes += sizes.get(b) ?? 0;
    return { actions, blobs, bytes };
  };

  let r = reach(kept);
  if (opts.maxSizeBytes !== undefined) {
    while (r.bytes > opts.maxSizeBytes && kept.length > 0) {
      kept = kept.slice(0, -1);
      r = reach(kept);
    }
  }
  let removedActions = 0;
  let removedBlobs = 0;
  let freedBytes = 0;
  const keptIds = new Set(kept.map((k) => k.id));
  store.env.transactionSync(() => {
    for (const { key } of store.actions.getRange()) {
      if (!r.actions.has(key)) {
        store.actions.removeSync(key);
        removedActions++;
      }
    }
    for (const [hash, size] of sizes) {
      if (!r.blobs.has(hash)) {
        store.blobs.removeSync(hash);
        removedBlobs++;
        freedBytes += size;
      }
    }
    for (const run of runs) if (!keptIds.has(run.id)) store.runs.removeSync(run.id);
  });
  return { keptRuns: kept.map((k) => k.id), removedRuns: runs.length - kept.length, removedActions, removedBlobs, freedBytes, blobBytes: r.bytes };
}

/** Rewrite the LMDB file without free pages (a compacting copy), then swap it in. */
export async function compactCache(store: CacheStore): Promise<{ before: number; after: number }> {
  const file = path.join(store.dir, 'cache.lmdb');
  const tmp = path.join(store.dir, `cache.lmdb.compact-${process.pid}`);
  const before = fs.statSync(file).size;
  await store.env.backup(tmp, true);
  await store.close();
  fs.renameSync(tmp, file);
  fs.rmSync(`${file}-lock`, { force: true });
  return { before, after: fs.statSync(file).size };
}
