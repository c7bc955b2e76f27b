/**
 * The --cluster URL: parsed strictly, then checked by one short-lived connection before anything
 * else starts, so that a wrong host fails in seconds with a message naming it (BullMQ's own
 * connections retry forever, by design, once a cluster is up).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from '../engine/errors.ts';

/** The oldest Redis BullMQ accepts (bullmq RedisConnection.minimumVersion). */
export const MIN_REDIS_VERSION = '5.0.0';

export interface RedisTarget {
  url: string;
  options: RedisOptions;
}

export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UserError(
      `--cluster '${url}': not a URL; expected redis://HOST:PORT (e.g. redis://10.0.0.5:6379)`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new UserError(`--cluster '${url}': expected a redis:// or rediss:// URL, got ${u.protocol}//`);
  if (!u.hostname) throw new UserError(`--cluster '${url}': no host; expected redis://HOST:PORT`);
  const port = u.port ? Number(u.port) : 6379;
  const dbPath = u.pathname.replace(/^\//, '');
  if (dbPath && !/^\d+$/.test(dbPath))
    throw new UserError(
      `--cluster '${url}': the path must be a database number (redis://HOST:PORT/0), got '/${dbPath}'`,
    );
  const options: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: dbPath ? Number(dbPath) : 0,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return { url: `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`, options };
}

/** A connection for long-lived use (BullMQ requires maxRetriesPerRequest: null for workers). */
export function connect(t: RedisTarget, extra: RedisOptions = {}): Redis {
  return new Redis({ ...t.options, maxRetriesPerRequest: null, ...extra });
}

/** Connect once with a deadline; check the server's version. Throws a UserError naming the URL. */
export async function checkRedis(t: RedisTarget, timeoutMs = 4000): Promise<string> {
  const r = new Redis({
    ...t.options,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  r.on('error', () => {});
  try {
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs).unref(),
    );
    await Promise.race([r.connect(), deadline]);
    const info = await Promise.race([r.info('server'), deadline]);
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? '0';
    if (versionBelow(version, MIN_REDIS_VERSION)) {
      throw new UserError(
        `Redis at ${t.url} is version ${version}; BullMQ needs ${MIN_REDIS_VERSION} or newer`,
      );
    }
    return version;
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`cannot reach Redis at ${t.url}: ${(e as Error).message}`);
  } finally {
    r.disconnect();
  }
}

export function versionBelow(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x !== y) return x < y;
  }
  return false;
}
