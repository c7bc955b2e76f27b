/**
 * Params that name a file (a user mask image, reference curves …) are part of what a node computes:
 * if the file's content changes, the result must too. The path string alone is not enough as a key,
 * so the content hash of every such file is added to the node's params under `<param>#content`
 * before any key is made — in the main thread and, through the pipeline setup, in every worker.
 * Editing the file then recomputes that node and what depends on it; `snem plan` names the param.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CacheStore } from '../cache/store.ts';
import { datasetHash } from './dataset.ts';
import { ParamError } from './errors.ts';
import type { ResolvedGraph } from './graph.ts';
import type { Json } from './types.ts';

/** Where a relative path is looked for: the working directory, then beside the dataset file. */
export function paramFileCandidates(file: string, datasetPath: string | null): string[] {
  if (path.isAbsolute(file)) return [file];
  const tries = [path.resolve(file)];
  if (datasetPath) tries.push(path.resolve(path.dirname(datasetPath), file));
  return tries;
}

/** The file a param names, resolved as every op resolves it; a missing file is the param's error. */
export function resolveParamFile(
  node: string,
  param: string,
  file: string,
  datasetPath: string | null,
): string {
  const tries = paramFileCandidates(file, datasetPath);
  const hit = tries.find((t) => fs.existsSync(t) && fs.statSync(t).isFile());
  if (!hit) throw new ParamError(node, param, `no such file: ${file} (looked in ${tries.join(', ')})`);
  return hit;
}

/** Param name under which a file param's content hash joins the node's params. */
const CONTENT = '#content';

export function contentParam(param: string): string {
  return `${param}${CONTENT}`;
}

/** The file param whose content hash a param name holds, or null for the user's own params. */
export function fileParamOf(name: string): string | null {
  return name.endsWith(CONTENT) ? name.slice(0, -CONTENT.length) : null;
}

export type FileHashes = Record<string, Record<string, string>>;

/** Content hashes of the files named by file params of the nodes the run needs (memoised in the cache). */
export function paramFileHashes(
  graph: ResolvedGraph,
  datasetPath: string | null,
  store: CacheStore | null,
): FileHashes {
  const out: FileHashes = {};
  for (const n of graph.nodes.values()) {
    if (!graph.needed.has(n.id)) continue;
    for (const [name, spec] of Object.entries(n.op.params)) {
      const v = n.params[name];
      if (!spec.file || typeof v !== 'string' || v === '') continue;
      const file = resolveParamFile(n.id, name, v, datasetPath);
      (out[n.id] ??= {})[name] = `xxh64:${datasetHash(file, store)}`;
    }
  }
  return out;
}

/** Put the hashes into the resolved params (before keys are made). */
export function applyFileHashes(graph: ResolvedGraph, hashes: FileHashes): void {
  for (const [node, byParam] of Object.entries(hashes)) {
    const n = graph.nodes.get(node);
    if (!n) continue;
    for (const [name, h] of Object.entries(byParam))
      (n.params as Record<string, Json>)[contentParam(name)] = h;
  }
}
