/**
 * The code behind an op, as a hash: its source module, every local module it imports at run time
 * (transitively: engine helpers such as engine/curves.ts included) and every asset it loads by URL
 * (`new URL('./kernel.wasm', import.meta.url)`). Part of every cache key (engine/keys.ts), so
 * changing a helper an op uses can never serve a result the old code computed; ops.lock.json
 * records it per op (app/ops-lock.ts) so a change without a version bump is noticed in review.
 *
 * Hashed from the source text when a key first needs it (never at start-up: `snem --help` reads
 * nothing). Paths are taken relative to the package root, so the hash is the same in every checkout.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bump when the layout of keys or stored values changes: every key changes with it. */
export const CACHE_SCHEMA = 2;

const IMPORT =
  /(?:^|[\n;])\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"\n]+)['"]|\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;
const ASSET = /new\s+URL\(\s*['"]([^'"\n]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/**
 * Relative specifiers a source text imports (comments ignored); `runtimeOnly` leaves out
 * `import type` / `export type`, which are erased before the code runs.
 */
export function importSpecifiers(text: string, runtimeOnly = false): string[] {
  return [...stripComments(text).matchAll(IMPORT)]
    .filter((m) => !(runtimeOnly && m[1]))
    .map((m) => m[2] ?? m[3])
    .filter((s) => s.startsWith('.'));
}

/** Relative files a module loads by URL (WASM kernels, tables). */
export function assetSpecifiers(text: string): string[] {
  return [...stripComments(text).matchAll(ASSET)].map((m) => m[1]).filter((s) => s.startsWith('.'));
}

interface FileInfo {
  size: number;
  mtimeMs: number;
  hash: string;
  /** Absolute paths of the local modules (run-time imports) and assets it loads. */
  modules: string[];
  assets: string[];
}
const files = new Map<string, FileInfo>();

function sha(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

/** One file read once: its content hash and what it loads (memoised by size and mtime). */
function fileInfo(file: string): FileInfo {
  const st = fs.statSync(file);
  const memo = files.get(file);
  if (memo && memo.size === st.size && memo.mtimeMs === st.mtimeMs) return memo;
  const bytes = fs.readFileSync(file);
  const info: FileInfo = { size: st.size, mtimeMs: st.mtimeMs, hash: sha(bytes), modules: [], assets: [] };
  if (/\.(ts|js|mjs)$/.test(file)) {
    const text = bytes.toString('utf8');
    const local = (s: string) => path.resolve(path.dirname(file), s);
    info.modules = importSpecifiers(text, true)
      .map(local)
      .filter((f) => fs.existsSync(f));
    info.assets = assetSpecifiers(text)
      .map(local)
      .filter((f) => fs.existsSync(f));
  }
  files.set(file, info);
  return info;
}

/** Content hash of one file. */
export function fileHash(file: string): string {
  return fileInfo(file).hash;
}

/** The directory of the nearest package.json above a file (its paths are hashed relative to it). */
export function packageRoot(file: string): string {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(file);
  }
}

/** A module and everything local it loads at run time, as absolute paths, sorted. */
export function moduleClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const info = fileInfo(file);
    for (const a of info.assets) seen.add(a);
    info.modules.forEach(visit);
  };
  visit(entry);
  return [...seen].sort();
}

/** Per file of a module's closure: package-relative path → content hash. */
export function closureFiles(entry: string): Record<string, string> {
  const root = packageRoot(entry);
  return Object.fromEntries(
    moduleClosure(entry).map((f) => [path.relative(root, f).split(path.sep).join('/'), fileHash(f)]),
  );
}

/** The code hash of a module: its closure's relative paths and contents. */
export function moduleCodeHash(entry: string): string {
  return sha(JSON.stringify(Object.entries(closureFiles(entry))));
}

/**
 * The source a compiled module was built from: PACKAGE/dist/a/b.js → PACKAGE/a/b.ts (`npm install`
 * compiles the sources into dist/, see cli/build-dist.mjs). Hashes are always taken over the
 * sources, so a run from dist/ and one through tsx make the same keys. Other files map to themselves.
 */
export function sourceFileOf(file: string): string {
  const root = packageRoot(file);
  const rel = path.relative(root, file).split(path.sep);
  if (rel[0] !== 'dist' || rel.length < 2) return file;
  const src = path.join(root, ...rel.slice(1));
  const ts = src.replace(/\.js$/, '.ts');
  return ts !== src && fs.existsSync(ts) ? ts : src;
}

/** The source file of the caller of the function that calls this (from the stack; null if unknown). */
export function callerFile(depth = 2): string | null {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  const frame = stack[depth];
  const m = frame && /((?:file:\/\/)?\/[^():]+\.(?:ts|js|mjs)):\d+:\d+\)?\s*$/.exec(frame);
  if (!m) return null;
  return sourceFileOf(m[1].startsWith('file://') ? fileURLToPath(m[1]) : m[1]);
}
