/**
 * Garbage collection by reachability (as Nix and DVC do): keep the actions and blobs that the
 * kept runs reached (the newest N, and/or runs named explicitly), delete the rest; with a size cap,
 * drop the oldest kept runs until the blobs fit. LMDB files never shrink, so `compact` rewrites
 * the environment by copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../engine/errors.ts';
import {
  hostName,
  noSpaceError,
  processAlive,
  type CacheStore,
  type Lease,
  type RunRecord,
} from './store.ts';

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

/** gc found a run using the cache (its results are in no run record yet): wait and try again. */
export class LiveRunsError extends Error {
  constructor(readonly runs: Lease[]) {
    super(
      `${runs.length} run${runs.length === 1 ? '' : 's'} using this cache (pid ${runs.map((r) => r.pid).join(', ')})`,
    );
  }
}

/**
 * Remove what the kept runs do not reach. Throws LiveRunsError instead when a run is using the
 * cache — checked again inside the deleting transaction, so a run that starts meanwhile either
 * registers first (gc backs off) or writes after gc has finished.
 */
export function gcCache(store: CacheStore, opts: GcOptions): GcReport {
  const live = store.liveRuns();
  if (live.length) throw new LiveRunsError(live);
  const runs = store.listRuns();
  const named = new Set(opts.keepRuns ?? []);
  let kept: RunRecord[] = runs.filter(
    (r, i) => named.has(r.id) || (opts.keepLast !== undefined ? i < opts.keepLast : named.size === 0),
  );
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
    const started = store.liveRuns();
    if (started.length) throw new LiveRunsError(started);
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
  return {
    keptRuns: kept.map((k) => k.id),
    removedRuns: runs.length - kept.length,
    removedActions,
    removedBlobs,
    freedBytes,
    blobBytes: r.bytes,
  };
}

/** gcCache once no run is using the cache (polled), for at most `waitSeconds`; then a UserError. */
export async function gcWhenIdle(
  store: CacheStore,
  opts: GcOptions,
  waitSeconds: number,
  say: (m: string) => void,
): Promise<GcReport> {
  const until = Date.now() + waitSeconds * 1000;
  let told = false;
  for (;;) {
    try {
      return gcCache(store, opts);
    } catch (e) {
      if (!(e instanceof LiveRunsError)) throw e;
      if (Date.now() >= until) {
        throw new UserError(
          `cache ${store.dir}: ${e.message} after waiting ${waitSeconds} s; gc removes only what finished runs no longer reach, so it waits for them (--wait SECONDS)`,
        );
      }
      if (!told) say(`gc: waiting for ${e.message} to finish`);
      told = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Leftovers of compactions that died (a full disk, a kill): `cache.lmdb.compact-<pid>` of dead pids. */
export function removeCompactDebris(dir: string): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = /^cache\.lmdb\.compact-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === process.pid || processAlive({ pid: Number(m[1]), host: hostName })) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Rewrite the LMDB file without free pages (a compacting copy), then swap it in. The copy is removed
 * if anything fails (a full disk left it behind before), and not swapped in if a run started using
 * the cache meanwhile (it would keep writing into the replaced file).
 */
export async function compactCache(
  store: CacheStore,
): Promise<{ before: number; after: number; skipped?: string }> {
  const file = path.join(store.dir, 'cache.lmdb');
  const tmp = path.join(store.dir, `cache.lmdb.compact-${process.pid}`);
  removeCompactDebris(store.dir);
  const before = fs.statSync(file).size;
  try {
    await store.env.backup(tmp, true);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw noSpaceError(e, store.dir) ?? e;
  }
  if (store.liveRuns().length) {
    fs.rmSync(tmp, { force: true });
    await store.close();
    return { before, after: before, skipped: 'compaction skipped: a run started using the cache' };
  }
  await store.close();
  fs.renameSync(tmp, file);
  fs.rmSync(`${file}-lock`, { force: true });
  return { before, after: fs.statSync(file).size };
}
