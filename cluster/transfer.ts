/**
 * `snem cache push|pull --cluster`: copy results between this machine's LMDB cache and the
 * cluster's shared store. Blob before action on both sides (a reader never sees an action without
 * its blob); entries the other side already has are skipped; a blob that fails its hash is not
 * copied (it counts as missing).
 */
import type { ActionRecord, CacheStore } from '../cache/store.ts';
import { actionKey, type SharedStore } from './shared-store.ts';

export interface TransferReport {
  actions: number;
  copied: number;
  present: number;
  missing: number;
  bytes: number;
  /** Wall time of the copy (process start-up and connection excluded). */
  seconds: number;
}

/** Local → shared. */
export async function pushCache(
  local: CacheStore,
  shared: SharedStore,
  onStep?: (done: number) => void,
): Promise<TransferReport> {
  const t0 = performance.now();
  const r: TransferReport = { actions: 0, copied: 0, present: 0, missing: 0, bytes: 0, seconds: 0 };
  for (const { key, value } of local.actions.getRange()) {
    r.actions++;
    onStep?.(r.actions);
    if (await shared.lookup(key)) {
      r.present++;
      continue;
    }
    if (!(await shared.hasBlob(value.v))) {
      const bytes = local.getBlobBytes(value.v);
      if (!bytes) {
        r.missing++;
        continue;
      }
      await shared.putBlob(value.v, bytes);
      r.bytes += bytes.length;
    }
    await shared.putAction(key, value);
    r.copied++;
  }
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}

/** Shared → local. */
export async function pullCache(
  shared: SharedStore,
  local: CacheStore,
  onStep?: (done: number) => void,
): Promise<TransferReport> {
  const t0 = performance.now();
  const r: TransferReport = { actions: 0, copied: 0, present: 0, missing: 0, bytes: 0, seconds: 0 };
  const prefix = actionKey('');
  let cursor = '0';
  do {
    const [next, keys] = await shared.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    for (const k of keys) {
      const key = k.slice(prefix.length);
      r.actions++;
      onStep?.(r.actions);
      if (local.lookup(key)) {
        r.present++;
        continue;
      }
      const rec = (await shared.getAction(key)) as ActionRecord | undefined;
      const bytes = rec ? await shared.getBlobBytes(rec.v) : null;
      if (!rec || !bytes) {
        r.missing++;
        continue;
      }
      const { n: _n, ...meta } = rec;
      local.putResult(key, bytes, meta);
      r.copied++;
      r.bytes += bytes.length;
    }
  } while (cursor !== '0');
  r.seconds = (performance.now() - t0) / 1000;
  return r;
}
