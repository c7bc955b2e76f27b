/**
 * Whether the cluster's Redis would keep the action table across a restart. The action table (which
 * chunks are done), the leases, the queue and, without --store, the blobs live only in Redis: a
 * Redis that writes nothing to disk forgets them all when it restarts, and the next run computes
 * every chunk again; one that only snapshots (`save`) forgets what came after its last snapshot.
 * Only the append-only file keeps every finished chunk. Checked once at start-up by the coordinator
 * and each worker: a warning, or a refusal with --require-persistence.
 */
import type { Redis } from 'ioredis';
import { UserError } from '../engine/errors.ts';

export type Persistence = { appendonly: boolean; save: string } | { unknown: string };

export async function redisPersistence(redis: Redis): Promise<Persistence> {
  try {
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as string[];
    const [, save] = (await redis.config('GET', 'save')) as string[];
    if (appendonly === undefined) return { unknown: 'CONFIG GET appendonly answered nothing' };
    return { appendonly: appendonly === 'yes', save: save ?? '' };
  } catch (e) {
    // Managed Redis services often rename or forbid CONFIG.
    return { unknown: `CONFIG GET refused: ${(e as Error).message}` };
  }
}

/** What a restart of this Redis would lose, or null when it keeps everything (appendonly yes). */
export function persistenceProblem(url: string, p: Persistence, blobsInRedis: boolean): string | null {
  const what = `the action table (which chunks are done)${blobsInRedis ? ', the results themselves (no --store)' : ''} and the queue`;
  const fix = `start Redis with --appendonly yes (or: redis-cli -u ${url} config set appendonly yes)`;
  if ('unknown' in p)
    return `cannot tell whether Redis at ${url} keeps its data across a restart (${p.unknown}); unless it runs with appendonly yes, a restart loses ${what}`;
  if (p.appendonly) return null;
  if (!p.save.trim())
    return `Redis at ${url} keeps nothing on disk (appendonly no, save ""): a restart loses ${what}, and every chunk is computed again; ${fix}`;
  return `Redis at ${url} only writes snapshots (appendonly no, save "${p.save}"): a restart loses what was written since the last one (${what}), and those chunks are computed again; ${fix}`;
}

/** Warn through `warn`, or throw when persistence is required. */
export async function checkPersistence(
  redis: Redis,
  o: { url: string; blobsInRedis: boolean; require?: boolean; warn: (m: string) => void },
): Promise<void> {
  const problem = persistenceProblem(o.url, await redisPersistence(redis), o.blobsInRedis);
  if (!problem) return;
  if (o.require) throw new UserError(`${problem}. Refused (--require-persistence)`);
  o.warn(`warning: ${problem}. (--require-persistence refuses such a Redis)`);
}
