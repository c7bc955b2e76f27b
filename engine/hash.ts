/**
 * Hashing: xxhash64 (xxhash-wasm) over canonical, type-tagged preimages.
 *
 * Why type tags and canonical order: `{"a":1}` and `{"a":"1"}` must not collide, object key order
 * must not matter, and floats must hash by their IEEE bits, not by how JSON.stringify prints them.
 * Hashes are 16 hex digits.
 */
import xxhash from 'xxhash-wasm';
import { asBytes } from './ndarray.ts';
import type { TypedArray } from './types.ts';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Hasher | null = null;

/** Must be awaited once per thread before any hashing. */
export async function initHash(): Promise<void> {
  hasher ??= await xxhash();
}

function h(): Hasher {
  if (!hasher) throw new Error('initHash() was not awaited');
  return hasher;
}

export function hex64(x: bigint): string {
  return x.toString(16).padStart(16, '0');
}

export function hashBytes(bytes: Uint8Array): string {
  return hex64(h().h64Raw(bytes));
}

export function hashTyped(a: TypedArray): string {
  return hashBytes(asBytes(a));
}

const enc = new TextEncoder();

/**
 * Builder of a type-tagged preimage, written into one growing buffer (keys are hashed per chunk
 * and node: thousands per plan, so no allocation per part). Tags are ASCII, lengths and floats
 * little-endian.
 */
class Preimage {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private size = 0;

  private reserve(n: number) {
    if (this.size + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.size + n));
    next.set(this.buf.subarray(0, this.size));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  tag(t: string) {
    this.reserve(t.length);
    for (let i = 0; i < t.length; i++) this.buf[this.size++] = t.charCodeAt(i);
  }
  bytes(b: Uint8Array) {
    this.reserve(b.length);
    this.buf.set(b, this.size);
    this.size += b.length;
  }
  u32(n: number) {
    this.reserve(4);
    this.view.setUint32(this.size, n, true);
    this.size += 4;
  }
  f64(x: number) {
    this.reserve(8);
    this.view.setFloat64(this.size, x, true);
    this.size += 8;
  }
  str(s: string) {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; the length goes in front once it is known
    this.reserve(4 + 3 * s.length);
    const at = this.size;
    const { written } = enc.encodeInto(s, this.buf.subarray(at + 4));
    this.view.setUint32(at, written, true);
    this.size = at + 4 + written;
  }
  value(v: unknown): void {
    if (v === null || v === undefined) {
      this.tag('n');
      return;
    }
    if (typeof v === 'boolean') {
      this.tag(v ? 'T' : 'F');
      return;
    }
    if (typeof v === 'number') {
      this.tag('f');
      // -0 and 0 are the same param value.
      this.f64(v === 0 ? 0 : v);
      return;
    }
    if (typeof v === 'bigint') {
      this.tag('b');
      this.str(v.toString());
      return;
    }
    if (typeof v === 'string') {
      this.tag('s');
      this.str(v);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      this.tag(`a:${(v as object).constructor.name}`);
      const b = new Uint8Array(
        (v as TypedArray).buffer,
        (v as TypedArray).byteOffset,
        (v as TypedArray).byteLength,
      );
      this.u32(b.length);
      this.bytes(b);
      return;
    }
    if (Array.isArray(v)) {
      this.tag('l');
      this.u32(v.length);
      for (const x of v) this.value(x);
      return;
    }
    if (typeof v === 'object') {
      const keys = Object.keys(v as object)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort();
      this.tag('d');
      this.u32(keys.length);
      for (const k of keys) {
        this.str(k);
        this.value((v as Record<string, unknown>)[k]);
      }
      return;
    }
    throw new Error(`cannot hash a ${typeof v}`);
  }
  digest(): string {
    return hashBytes(this.buf.subarray(0, this.size));
  }
}

/** Hash of any JSON-like value (plus typed arrays), canonical and type-tagged. */
export function hashValue(v: unknown): string {
  const p = new Preimage();
  p.value(v);
  return p.digest();
}

/** The Merkle root of ordered child hashes (a node's dataset-level hash from its chunk hashes). */
export function merkleRoot(hashes: readonly string[]): string {
  if (hashes.length === 0) return hashValue(['merkle', []]);
  let level = hashes.slice();
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? hashValue(['m', level[i], level[i + 1]]) : level[i]);
    }
    level = next;
  }
  return hashValue(['merkle-root', hashes.length, level[0]]);
}

/** Streaming hash of a large file (the dataset content hash). */
export function fileHasher() {
  return h().create64();
}
