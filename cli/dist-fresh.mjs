/**
 * Is dist/ (the compiled sources, cli/build-dist.mjs) a build of the sources as they are now?
 * The build records the size and mtime of every source file in dist/stamp.json; the CLI compares
 * them at start-up (a few hundred stat calls, milliseconds) and runs the sources through tsx
 * unless every file matches, so an edited checkout never runs stale compiled code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(ROOT, 'dist');
/** The run-time code: everything the CLI, its workers and the studio server load. */
export const SOURCE_DIRS = [
  'app',
  'cache',
  'cli',
  'cluster',
  'engine',
  'formats',
  'nodes',
  'report',
  'sim',
  'studio/server',
  'viz',
];
const STAMP = 'stamp.json';
/** The shims that choose between dist/ and tsx, and the build itself, are not compiled. */
const NOT_COMPILED = new Set([
  'cli/snem.js',
  'cli/build-dist.mjs',
  'cli/build-bundle.mjs',
  'cli/dist-fresh.mjs',
]);

/** Source files (relative to the package root, sorted) that the build compiles or copies. */
export function sourceFiles() {
  const out = [];
  for (const dir of SOURCE_DIRS) {
    const abs = path.join(ROOT, dir);
    if (!fs.existsSync(abs)) continue;
    for (const f of fs.readdirSync(abs, { recursive: true })) {
      const rel = path.join(dir, f).split(path.sep).join('/');
      if (/\.(ts|js|mjs)$/.test(rel) && !rel.includes('node_modules/') && !NOT_COMPILED.has(rel))
        out.push(rel);
    }
  }
  return out.sort();
}

function signature(rel) {
  const st = fs.statSync(path.join(ROOT, rel), { throwIfNoEntry: false });
  return st ? `${st.size}:${Math.floor(st.mtimeMs)}` : 'missing';
}

export function writeStamp(dir, files) {
  fs.writeFileSync(
    path.join(dir, STAMP),
    JSON.stringify({ files: Object.fromEntries(files.map((f) => [f, signature(f)])) }),
  );
}

/** True when dist/ exists and was built from exactly the current source files. */
export function distIsFresh() {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(path.join(DIST, STAMP), 'utf8'));
  } catch {
    return false;
  }
  const files = sourceFiles();
  if (files.length !== Object.keys(stamp.files).length) return false;
  return files.every((f) => stamp.files[f] === signature(f));
}
