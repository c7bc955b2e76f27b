/**
 * What the chunk pipeline and the executor need from a cache: look up an action, read a verified
 * blob, store a result, and hold a lease while computing. The local LMDB CacheStore answers
 * synchronously; a shared store (cluster/shared-store.ts: Redis + shared directory) answers over
 * the network, so every call is awaited.
 */
import type { ActionRecord } from '../cache/store.ts';
import type { Value } from './types.ts';

type MaybePromise<T> = T | Promise<T>;

export interface ResultStore {
  /** A hit: the action exists and its blob is present. */
  lookup(key: string): MaybePromise<ActionRecord | undefined>;
  /** The stored bytes for a value hash, or null if missing or corrupt. */
  getBlobBytes(hash: string): MaybePromise<Uint8Array | null>;
  getValue(hash: string): MaybePromise<Value | null>;
  /** Blob, then action: a reader never sees an action whose blob is not complete. */
  putResult(key: string, bytes: Uint8Array, rec: Omit<ActionRecord, 'n'>): MaybePromise<void>;
  /** Claim the right to compute `key`; false while another live process holds it. */
  tryLease(key: string): MaybePromise<boolean>;
  releaseLease(key: string): MaybePromise<void>;
  close(): Promise<void>;
}
