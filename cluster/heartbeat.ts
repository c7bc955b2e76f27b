/**
 * Live workers, for the progress bar: each `snem worker` keeps a key with a short expiry alive
 * (a worker killed with -9 drops out within HEARTBEAT_TTL_MS); the coordinator counts the keys.
 */
import os from 'node:os';
import type { Redis } from 'ioredis';

const PREFIX = 'snem:worker:';
const HEARTBEAT_TTL_MS = 10_000;

export function startHeartbeat(redis: Redis, info: { concurrency: number }): () => Promise<void> {
  const key = `${PREFIX}${os.hostname()}:${process.pid}`;
  const beat = () =>
    redis.set(key, JSON.stringify({ ...info, since: Date.now() }), 'PX', HEARTBEAT_TTL_MS).catch(() => {});
  void beat();
  const t = setInterval(beat, HEARTBEAT_TTL_MS / 3);
  t.unref();
  return async () => {
    clearInterval(t);
    await redis.del(key).catch(() => {});
  };
}

export async function liveWorkers(redis: Redis): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    n += keys.length;
    cursor = next;
  } while (cursor !== '0');
  return n;
}
