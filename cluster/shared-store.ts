/**
 * The cluster's content store, shared by every coordinator and worker: the action table and the
 * leases in Redis, the blobs either in a directory on shared storage (--store DIR) or, for small
 * jobs, in Redis itself. Same contract as the local LMDB cache (engine/result-store.ts): a blob is
 * complete before its action is written, and a blob that does not hash to its name is missing.
 */
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { ActionRecord } from '../cache/store.ts';
import { decodeValue, valueHashOf } from '../cache/codec.ts';
import { UserError } from '../engine/errors.ts';
import { initHash } from '../engine/hash.ts';
import type { ResultStore } from '../engine/result-store.ts';
import type { Json, Value } from '../engine/types.ts';
import { BlobDir } from './blob-dir.ts';
import { checkRedis, connect, parseRedisUrl } from './redis-url.ts';

export interface SharedStoreSpec {
  url: string;
  /** Blob directory on shared storage; absent: blobs in Redis. */
  storeDir?: string | null;
}

const P = 'snem:';
export const actionKey = (k: string) => `${P}a:${k}`;
const leaseKey = (k: string) => `${P}l:${k}`;
const blobKey = (h: string) => `${P}b:${h}`;
/** Where this Redis's blobs live ("redis" or "dir:PATH"): every process must agree. */
const BLOBS_WHERE = `${P}blobs`;

/** A lease expires unless refreshed: a worker that died on another machine frees its chunks. */
const LEASE_TTL_MS = 120_000;
const LEASE_REFRESH_MS = 30_000;

const RELEASE_LUA =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export class SharedStore implements ResultStore {
  private readonly me = `${os.hostname()}|${process.pid}`;
  private readonly held = new Set<string>();
  private refresher: NodeJS.Timeout | null = null;

  private constructor(
    readonly redis: Redis,
    readonly url: string,
    readonly blobDir: BlobDir | null,
  ) {}

  static async open(spec: SharedStoreSpec, opts: { check?: boolean } = {}): Promise<SharedStore> {
    await initHash();
    const target = parseRedisUrl(spec.url);
    if (opts.check !== false) await checkRedis(target);
    const blobDir = spec.storeDir ? new BlobDir(spec.storeDir) : null;
    const redis = connect(target);
    redis.on('error', () => {}); // reconnects on its own; callers see failures through their commands
    const store = new SharedStore(redis, target.url, blobDir);
    await store.agreeOnBlobs();
    return store;
  }

  /** The first process to use this Redis decides where blobs go; a later one that differs is refused. */
  private async agreeOnBlobs(): Promise<void> {
    const mine = this.blobDir ? `dir:${this.blobDir.dir}` : 'redis';
    await this.redis.set(BLOBS_WHERE, mine, 'NX');
    const theirs = await this.redis.get(BLOBS_WHERE);
    if (theirs !== mine) {
      const where = (w: string | null) =>
        w?.startsWith('dir:')
          ? `in the directory ${w.slice(4)} (--store ${w.slice(4)})`
          : 'in Redis (no --store)';
      await this.redis.quit().catch(() => {});
      throw new UserError(
        `the cluster at ${this.url} keeps its blobs ${where(theirs)}, but this process was started with them ${where(mine)}; use the same --store everywhere`,
      );
    }
  }

  async lookup(key: string): Promise<ActionRecord | undefined> {
    const raw = await this.redis.get(actionKey(key));
    if (!raw) return undefined;
    const a = JSON.parse(raw) as ActionRecord;
    return (await this.hasBlob(a.v)) ? a : undefined;
  }

  async getAction(key: string): Promise<ActionRecord | undefined> {
    const raw = await this.redis.get(actionKey(key));
    return raw ? (JSON.parse(raw) as ActionRecord) : undefined;
  }

  async hasBlob(hash: string): Promise<boolean> {
    return this.blobDir ? this.blobDir.has(hash) : (await this.redis.exists(blobKey(hash))) === 1;
  }

  async getBlobBytes(hash: string): Promise<Uint8Array | null> {
    if (this.blobDir) return this.blobDir.read(hash);
    const b = await this.redis.getBuffer(blobKey(hash));
    return b && valueHashOf(b) === hash ? b : null;
  }

  async getValue(hash: string): Promise<Value | null> {
    const b = await this.getBlobBytes(hash);
    return b ? decodeValue(b) : null;
  }

  async putBlob(hash: string, bytes: Uint8Array): Promise<void> {
    if (this.blobDir) this.blobDir.write(hash, bytes);
    else await this.redis.set(blobKey(hash), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  async putAction(key: string, rec: ActionRecord): Promise<void> {
    await this.redis.set(actionKey(key), JSON.stringify(rec));
  }

  async putResult(key: string, bytes: Uint8Array, rec: Omit<ActionRecord, 'n'>): Promise<void> {
    await this.putBlob(rec.v, bytes);
    await this.putAction(key, { ...rec, n: bytes.length });
  }

  async tryLease(key: string): Promise<boolean> {
    const k = leaseKey(key);
    let ok = (await this.redis.set(k, this.me, 'PX', LEASE_TTL_MS, 'NX')) === 'OK';
    if (!ok) {
      const cur = await this.redis.get(k);
      if (cur === this.me) ok = true;
      else if (cur && deadOnThisHost(cur))
        ok = (await this.redis.set(k, this.me, 'PX', LEASE_TTL_MS)) === 'OK';
      else if (cur === null) ok = (await this.redis.set(k, this.me, 'PX', LEASE_TTL_MS, 'NX')) === 'OK';
    }
    if (ok) this.hold(key);
    return ok;
  }

  async releaseLease(key: string): Promise<void> {
    this.held.delete(key);
    await this.redis.eval(RELEASE_LUA, 1, leaseKey(key), this.me);
  }

  private hold(key: string) {
    this.held.add(key);
    this.refresher ??= setInterval(() => {
      for (const k of this.held) void this.redis.pexpire(leaseKey(k), LEASE_TTL_MS).catch(() => {});
    }, LEASE_REFRESH_MS).unref();
  }

  async close(): Promise<void> {
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** A lease held by a process of this host that no longer exists (killed with -9). */
function deadOnThisHost(holder: string): boolean {
  const [host, pid] = holder.split('|');
  if (host !== os.hostname()) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** For engine/pipeline-env.ts: worker threads open the shared store from a serialisable spec. */
export async function openStore(spec: Json): Promise<ResultStore> {
  return SharedStore.open(spec as unknown as SharedStoreSpec, { check: false });
}
