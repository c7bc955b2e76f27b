/**
 * Check every blob against its name (the hash of its bytes). A corrupt blob is removed, so the
 * next run that needs it recomputes it; actions whose blob is gone are reported as dangling.
 */
import { valueHashOf } from './codec.ts';
import type { CacheStore } from './store.ts';

export interface VerifyReport {
  blobs: number;
  corrupt: string[];
  danglingActions: number;
}

export function verifyCache(store: CacheStore, opts: { repair?: boolean } = {}): VerifyReport {
  const repair = opts.repair ?? true;
  const corrupt: string[] = [];
  let blobs = 0;
  for (const { key, value } of store.blobs.getRange()) {
    blobs++;
    if (valueHashOf(value) !== key) corrupt.push(key);
  }
  if (repair) for (const h of corrupt) store.removeBlob(h);
  let dangling = 0;
  for (const { value } of store.actions.getRange()) if (!store.hasBlob(value.v)) dangling++;
  return { blobs, corrupt, danglingActions: dangling };
}
