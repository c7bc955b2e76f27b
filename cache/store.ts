/**
 * The LMDB cache, Bazel-style: an action table (key → value hash + metadata) separate from a
 * content store (value hash → bytes). Identical results are stored once; a blob whose bytes no
 * longer hash to its name is treated as missing; a result's blob and action are written in one
 * transaction, so a killed run leaves no half-written result. Errors are never stored.
 *
 * Several processes and worker threads may open the same directory: LMDB serialises writers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { decodeValue, valueHashOf } from './codec.ts';
import { checkLmdbHeader } from './lmdb-header.ts';
import { UserError } from '../engine/errors.ts';
import { formatBytes } from '../engine/format-bytes.ts';
import type { Json, Value } from '../engine/types.ts';

export interface ActionRecord {
  /** Value hash (= blob name). */
  v: string;
  /** Per-field hashes. */
  f: Record<string, string>;
  op: string;
  node: string;
  /** Seconds the computation took. */
  s: number;
  /** Created (ms since epoch). */
  t: number;
  /** Blob size in bytes. */
  n: number;
}

export interface RunRecord {
  id: string;
  time: number;
  graphName: string;
  graphHash: string;
  outDir: string;
  /** Per node: op, params, key (dataset level), input hashes, value hash: what plan compares against. */
  nodes: Record<string, RunNodeRecord>;
  /** Every action key and blob the run reached (GC roots). */
  actionKeys: string[];
}

export interface RunNodeRecord {
  op: string;
  version: number;
  /** The op's code hash (engine/code-hash.ts; absent in runs recorded before it was kept). */
  code?: string;
  scope: 'frame' | 'dataset';
  params: Record<string, Json>;
  key: string;
  inputs: Record<string, string>;
  valueHash: string;
  /** Frame scope: value hash of every chunk, in order (to reassemble the node later). */
  chunkHashes?: string[];
}

export interface Lease {
  pid: number;
  host: string;
  t: number;
}

export const DEFAULT_CACHE_DIR = '.snem-cache';

export function resolveCacheDir(flag?: string): string {
  return path.resolve(flag ?? process.env.SNEM_CACHE ?? DEFAULT_CACHE_DIR);
}

export class CacheStore {
  readonly env: RootDatabase;
  readonly actions: Database<ActionRecord, string>;
  readonly blobs: Database<Buffer, string>;
  readonly runs: Database<RunRecord, string>;
  readonly files: Database<{ hash: string; size: number; mtimeMs: number; ino: number }, string>;
  readonly leases: Database<Lease, string>;
  /** Runs using this cache now (gc waits for them: their fresh results are in no run record yet). */
  readonly live: Database<Lease, string>;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'cache.lmdb');
    // lmdb-js segfaults on a damaged header instead of returning an error: look before opening.
    const damaged = checkLmdbHeader(file);
    if (damaged) {
      throw new UserError(
        `cache ${file}: the LMDB header is damaged (${damaged}); snem does not open it. Move the cache directory aside (or delete it: results are then recomputed) and run again`,
      );
    }
    // noMetaSync: one fsync per commit (the data pages) instead of two. LMDB keeps atomicity and
    // integrity; a system crash may only undo the last commit, which a cache recomputes. Commits are
    // per chunk and node, so the second fsync was a third of a chunk worker's time at paper size.
    this.env = open({
      path: file,
      compression: false,
      maxDbs: 12,
      mapSize: 2 ** 34,
      pageSize: 16384,
      noMetaSync: true,
    });
    this.actions = this.env.openDB<ActionRecord, string>({ name: 'actions', encoding: 'msgpack' });
    this.blobs = this.env.openDB<Buffer, string>({ name: 'blobs', encoding: 'binary' });
    this.runs = this.env.openDB<RunRecord, string>({ name: 'runs', encoding: 'msgpack' });
    this.files = this.env.openDB({ name: 'files', encoding: 'msgpack' });
    this.leases = this.env.openDB<Lease, string>({ name: 'leases', encoding: 'msgpack' });
    this.live = this.env.openDB<Lease, string>({ name: 'live', encoding: 'msgpack' });
  }

  /** Mark a run of this process as using the cache until endRun (before it writes anything). */
  beginRun(): string {
    const key = `${hostName}:${process.pid}:${Date.now()}:${++liveCounter}`;
    this.live.putSync(key, { pid: process.pid, host: hostName, t: Date.now() });
    return key;
  }

  endRun(key: string): void {
    this.live.removeSync(key);
  }

  /** Runs using the cache now; records of processes that died (kill -9) are dropped. */
  liveRuns(): Lease[] {
    const out: Lease[] = [];
    for (const { key, value } of this.live.getRange()) {
      if (processAlive(value)) out.push(value);
      else this.live.removeSync(key);
    }
    return out;
  }

  getAction(key: string): ActionRecord | undefined {
    return this.actions.get(key);
  }

  /**
   * Key-only check. (lmdb's doesExist reads the value, which for a big blob touches every page of
   * it in the memory map: probing a cached paper-size run that way put the whole cache file in RSS.)
   */
  hasBlob(hash: string): boolean {
    for (const k of this.blobs.getKeys({ start: hash, limit: 1 })) return k === hash;
    return false;
  }

  /** The stored bytes for a value hash, or null if missing or corrupt (bytes do not hash to it). */
  getBlobBytes(hash: string): Uint8Array | null {
    const b = this.blobs.getBinary(hash);
    if (!b) return null;
    if (valueHashOf(b) !== hash) return null;
    return b;
  }

  getValue(hash: string): Value | null {
    const b = this.getBlobBytes(hash);
    return b ? decodeValue(b) : null;
  }

  /** A hit: the action exists and its blob is present (contents are checked when read). */
  lookup(key: string): ActionRecord | undefined {
    const a = this.actions.get(key);
    if (a && this.hasBlob(a.v)) return a;
    return undefined;
  }

  /**
   * Blob + action in one transaction, which also drops this process's lease on `key` (the result
   * appears as the lease goes, and the releaseLease after it has nothing left to commit).
   */
  putResult(key: string, bytes: Uint8Array, rec: Omit<ActionRecord, 'n'>): void {
    try {
      this.env.transactionSync(() => {
        const existing = this.hasBlob(rec.v) ? this.blobs.getBinary(rec.v) : undefined;
        if (!existing || existing.length !== bytes.length) this.blobs.putSync(rec.v, bytes as Buffer);
        this.actions.putSync(key, { ...rec, n: bytes.length });
        if (this.leases.get(key)?.pid === process.pid) this.leases.removeSync(key);
      });
    } catch (e) {
      throw noSpaceError(e, this.dir) ?? e;
    }
  }

  removeBlob(hash: string): void {
    this.blobs.removeSync(hash);
  }

  putRun(rec: RunRecord): void {
    try {
      this.runs.putSync(rec.id, rec);
    } catch (e) {
      throw noSpaceError(e, this.dir) ?? e;
    }
  }

  /** Runs, newest first. */
  listRuns(): RunRecord[] {
    const out: RunRecord[] = [];
    for (const { value } of this.runs.getRange()) out.push(value);
    return out.sort((a, b) => b.time - a.time);
  }

  /**
   * Claim the right to compute `key`. Returns true if we hold it; false if another live process
   * does (the caller waits for its result instead of computing the same thing twice).
   */
  tryLease(key: string, staleMs = 10 * 60_000): boolean {
    const me: Lease = { pid: process.pid, host: hostName, t: Date.now() };
    return this.env.transactionSync(() => {
      const cur = this.leases.get(key);
      if (cur && cur.pid !== process.pid && Date.now() - cur.t < staleMs && processAlive(cur)) return false;
      this.leases.putSync(key, me);
      return true;
    });
  }

  releaseLease(key: string): void {
    // A write transaction (an fsync) only when there is a lease of ours to drop.
    if (this.leases.get(key)?.pid !== process.pid) return;
    this.env.transactionSync(() => {
      const cur = this.leases.get(key);
      if (cur && cur.pid === process.pid) this.leases.removeSync(key);
    });
  }

  stats(): { actions: number; blobs: number; runs: number; blobBytes: number; fileBytes: number } {
    let blobBytes = 0;
    let blobs = 0;
    for (const { value } of this.blobs.getRange()) {
      blobBytes += value.length;
      blobs++;
    }
    const file = path.join(this.dir, 'cache.lmdb');
    const fileBytes = fs.existsSync(file) ? fs.statSync(file).size : 0;
    return { actions: this.actions.getCount(), blobs, runs: this.runs.getCount(), blobBytes, fileBytes };
  }

  async close(): Promise<void> {
    await this.env.close();
  }
}

let liveCounter = 0;

/** Free bytes for an unprivileged writer on the filesystem holding `dir` (NaN if unknown). */
export function freeBytes(dir: string): number {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return NaN;
  }
}

/**
 * A failed write to the cache, explained when the disk is full: LMDB reports a full disk as
 * "Input/output error" (after printing mdb_page_spill lines), which named neither the cause nor the
 * place. The UserError says so and names the directory; null for other failures.
 */
export function noSpaceError(e: unknown, dir: string): UserError | null {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const msg = String((e as Error | undefined)?.message ?? e);
  const free = freeBytes(dir);
  const nearlyFull = free < 64 * 2 ** 20;
  const full =
    code === 'ENOSPC' ||
    code === 'EDQUOT' ||
    /no space left|ENOSPC|quota/i.test(msg) ||
    (nearlyFull && /input\/output error|EIO|mdb_/i.test(msg));
  if (!full) return null;
  return new UserError(
    `${dir}: no space left on the device (${Number.isFinite(free) ? `${formatBytes(free)} free` : 'free space unknown'}) while writing to the cache; free some space or point --cache elsewhere, then run again (finished chunks are kept)`,
  );
}

export const hostName = (() => {
  try {
    return fs.readFileSync('/etc/hostname', 'utf8').trim();
  } catch {
    return 'localhost';
  }
})();

export function processAlive(l: { pid: number; host: string }): boolean {
  if (l.host !== hostName) return true;
  try {
    process.kill(l.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
