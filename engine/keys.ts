/**
 * Cache keys. A key is the hash of everything that determines a result: the cache schema, op name,
 * version and code hash (its source and the local modules and .wasm it loads, unless the op is
 * pinned), params with defaults filled in, and the *value* hashes of the inputs (not their keys —
 * that is what gives early cutoff: an upstream that re-ran but reproduced its value leaves keys
 * unchanged, and so does a refactored op whose outputs did not change, for everything below it).
 */
import { CACHE_SCHEMA } from './code-hash.ts';
import { hashValue } from './hash.ts';
import type { ChunkInfo, Json, OpDef, ScanShape } from './types.ts';

/** What identifies an op's code in a key. */
function opIdentity(op: OpDef): Json {
  return [CACHE_SCHEMA, op.name, op.version, op.pinned ? 'pinned' : (op.codeHash ?? null)];
}

/** Key of one chunk of a frame-scope node. The chunk range is part of it: ops may index by position. */
export function chunkKey(
  op: OpDef,
  params: Record<string, Json>,
  inputs: Record<string, string>,
  chunk: ChunkInfo,
): string {
  return hashValue(['chunk', opIdentity(op), params, inputs, chunk.start, chunk.count]);
}

/**
 * Key of one chunk's partial of a reduce node: only the params the partials depend on and the
 * reduce ports' chunk hashes, so a second reduce node over the same data (or one whose other params
 * changed) finds them. The scan shape joins it: which positions a partial samples may depend on it.
 */
export function partialKey(
  op: OpDef,
  params: Record<string, Json>,
  inputs: Record<string, string>,
  chunk: ChunkInfo,
  scan: ScanShape,
): string {
  const own = Object.fromEntries((op.reduce?.params ?? []).map((p) => [p, params[p] ?? null]));
  return hashValue(['partial', opIdentity(op), own, inputs, chunk.start, chunk.count, scan.ny, scan.nx]);
}

/** Value hash of an uncached source chunk: what it reads, not the bytes (re-reading is cheap; hashing 791 MB per run is not). */
export function sourceChunkHash(
  op: OpDef,
  params: Record<string, Json>,
  datasetHash: string | null,
  chunk: ChunkInfo,
): string {
  return hashValue(['source', opIdentity(op), params, datasetHash, chunk.start, chunk.count]);
}

/** Key of a dataset-scope node, or the dataset-level summary key of a frame node. */
export function nodeKey(
  op: OpDef,
  params: Record<string, Json>,
  inputs: Record<string, string>,
  extra: Json = null,
): string {
  return hashValue(['node', opIdentity(op), params, inputs, extra]);
}
