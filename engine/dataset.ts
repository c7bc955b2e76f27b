/**
 * The dataset behind a graph: where it is (graph-relative path or --data), how to open it, and its
 * content hash. Hashing a 791 MB file costs about a second, so the hash is remembered in the cache
 * by (path, size, mtime, inode) and recomputed only when the file changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileHasher, hex64 } from './hash.ts';
import type { CacheStore } from '../cache/store.ts';
import type { GraphDoc } from './graph.ts';

/** Where the dataset is and how to open it (the reader's options, formats/open.ts `OpenOptions`). */
export interface DatasetSpec {
  path: string;
  options: Record<string, unknown>;
}

/** The dataset a run uses: --data wins over the graph's `dataset.path` (resolved next to the graph). */
export function datasetSpec(doc: GraphDoc, graphFile: string | null, dataFlag?: string): DatasetSpec | null {
  const { path: p, ...rest } = doc.dataset ?? ({} as { path?: string });
  const options = { ...(rest as Record<string, unknown>) } as {
    scan?: unknown;
    kind?: string;
    profiles?: boolean;
  };
  if (Array.isArray(options.scan)) {
    const [ny, nx] = options.scan as number[];
    options.scan = { ny, nx };
  }
  if (options.kind === 'profiles') options.profiles = true;
  if (dataFlag) return { path: path.resolve(dataFlag), options };
  if (!p) return null;
  const base = graphFile ? path.dirname(path.resolve(graphFile)) : process.cwd();
  return { path: path.resolve(base, p), options };
}

/** Content hash of a file, memoised by identity in the cache's `files` table. */
export function datasetHash(file: string, store: CacheStore | null): string {
  const st = fs.statSync(file);
  const id = path.resolve(file);
  const memo = store?.files.get(id);
  if (memo && memo.size === st.size && memo.mtimeMs === st.mtimeMs && memo.ino === st.ino) return memo.hash;
  const h = fileHasher();
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    let pos = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  const hash = hex64(h.digest());
  store?.files.putSync(id, { hash, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
  return hash;
}
