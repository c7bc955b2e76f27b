/**
 * Any node's result of a finished run, straight from the cache (whether or not the run wrote it
 * into its directory): per-position fields are concatenated over chunks and reshaped to [ny, nx, ...].
 */
import fs from 'node:fs';
import path from 'node:path';
import { CacheStore, resolveCacheDir } from '../cache/store.ts';
import { UserError } from './errors.ts';
import { initHash } from './hash.ts';
import { concatFirst } from './ndarray.ts';
import type { Manifest } from './run-types.ts';
import type { NDArray, Value } from './types.ts';

export async function loadNodeValue(
  runDir: string,
  node: string,
  opts: { cacheDir?: string } = {},
): Promise<Value> {
  await initHash();
  const mf = path.join(runDir, 'manifest.json');
  if (!fs.existsSync(mf)) throw new UserError(`${runDir}: not a run directory (no manifest.json)`);
  const manifest = JSON.parse(fs.readFileSync(mf, 'utf8')) as Manifest;
  if (!manifest.nodes[node])
    throw new UserError(
      `${runDir}: run has no node '${node}' (nodes: ${Object.keys(manifest.nodes).join(', ')})`,
    );
  const store = new CacheStore(resolveCacheDir(opts.cacheDir));
  try {
    const rec = store.runs.get(manifest.run)?.nodes[node];
    const missing = () =>
      new UserError(
        `node '${node}' of run ${manifest.run} is no longer in the cache ${store.dir} (garbage-collected?); re-run the graph to recompute it`,
      );
    if (!rec) throw missing();
    if (!rec.chunkHashes) {
      const v = store.getValue(rec.valueHash);
      if (!v) throw missing();
      return v;
    }
    const parts: Value[] = [];
    for (const h of rec.chunkHashes) {
      const v = store.getValue(h);
      if (!v) throw missing();
      parts.push(v);
    }
    const [ny, nx] = manifest.dataset?.scan ?? [
      1,
      parts.reduce((s, p) => s + (Object.values(p.fields)[0]?.shape[0] ?? 0), 0),
    ];
    const fields: Record<string, NDArray> = {};
    for (const f of Object.keys(parts[0].fields)) {
      const a = concatFirst(parts.map((p) => p.fields[f]));
      fields[f] = a.shape[0] === ny * nx ? { ...a, shape: [ny, nx, ...a.shape.slice(1)] } : a;
    }
    return { fields, axes: parts[0].axes, meta: parts[0].meta };
  } finally {
    await store.close();
  }
}
