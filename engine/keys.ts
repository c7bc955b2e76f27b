/**
 * Cache keys. A key is the hash of everything that determines a result: op name and version,
 * params with defaults filled in, and the *value* hashes of the inputs (not their keys — that is
 * what gives early cutoff: an upstream that re-ran but reproduced its value leaves keys unchanged).
 */
import { hashValue } from './hash.ts';
import type { ChunkInfo, Json, OpDef } from './types.ts';

/** Key of one chunk of a frame-scope node. The chunk range is part of it: ops may index by position. */
export function chunkKey(op: OpDef, params: Record<string, Json>, inputs: Record<string, string>, chunk: ChunkInfo): string {
  return hashValue(['chunk', op.name, op.version, params, inputs, chunk.start, chunk.count]);
}

/** Value hash of an uncached source chunk: what it reads, not the bytes (re-reading is cheap; hashing 791 MB per run is not). */
export function sourceChunkHash(op: OpDef, params: Record<string, Json>, datasetHash: string | null, chunk: ChunkInfo): string {
  return hashValue(['source', op.name, op.version, params, datasetHash, chunk.start, chunk.count]);
}

/** Key of a dataset-scope node, or the dataset-level summary key of a frame node. */
export function nodeKey(op: OpDef, params: Record<string, Json>, inputs: Record<string, string>, extra: Json = null): string {
  return hashValue(['node', op.name, op.version, params, inputs, extra]);
}
