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

/** Streaming builder of a type-tagged preimage. */
class Preimage {
  private parts: Uint8Array[] = [];
  private size = 0;
  private scratch = new DataView(new ArrayBuffer(8));

  tag(t: string) {
    this.bytes(enc.encode(t));
  }
  bytes(b: Uint8Array) {
    this.parts.push(b);
    this.size += b.length;
  }
  u32(n: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    this.bytes(b);
  }
  f64(x: number) {
    this.scratch.setFloat64(0, x, true);
    this.bytes(new Uint8Array(this.scratch.buffer.slice(0)));
  }
  str(s: string) {
    const b = enc.encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  value(v: unknown): void {
    if (v === null || v === undefined) return this.tag('n');
    if (typeof v === 'boolean') return this.tag(v ? 'T' : 'F');
    if (typeof v === 'number') {
      this.tag('f');
      // -0 and 0 are the same param value.
      return this.f64(v === 0 ? 0 : v);
    }
    if (typeof v === 'bigint') {
      this.tag('b');
      return this.str(v.toString());
    }
    if (typeof v === 'string') {
      this.tag('s');
      return this.str(v);
    }
    if (ArrayBuffer.isView(v)) {
      this.tag(`a:${(v as object).constructor.name}`);
      const b = new Uint8Array((v as TypedArray).buffer, (v as TypedArray).byteOffset, (v as TypedArray).byteLength);
      this.u32(b.length);
      return this.bytes(b);
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
    const all = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      all.set(p, off);
      off += p.length;
    }
    return hashBytes(all);
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
