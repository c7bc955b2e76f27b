/**
 * The CLI's main process bundled (dist/bundle/snem.js and the chunks it imports lazily), so that a
 * command loads a few modules of ours instead of ~200: `snem nodes` / `validate` / `plan` start
 * faster. Built with the per-file dist/ (cli/build-dist.mjs) and used only while that is fresh.
 *
 * Packages stay external (imported from node_modules as usual). What a command imports lazily (the
 * run's writers, the report, the cluster's Redis client) goes into chunks of its own, loaded with
 * their packages only when imported. Worker threads still run the per-file dist/: code the engine
 * hands to a worker by URL keeps pointing at its compiled twin. `import.meta.url` keeps meaning
 * the source file's URL in each bundled module, as in dist/:
 * - `new URL('./x.ts' | './x.js', import.meta.url)` names code to load: its per-file dist twin;
 * - every other `import.meta.url` is the module's source file (data beside the sources, and the
 *   sources that code hashes are taken over).
 * An op records its source file from its definition's stack frame (engine/code-hash.ts
 * callerFile). In the bundle that frame names a chunk, so the build records where each module's
 * code starts in each chunk (snem.sources.json) and the bundled callerFile translates the frame
 * back to the source module (a source map would too, but Node's mapping of every stack frame
 * cost more start-up time than the bundle saves).
 */
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT } from './dist-fresh.mjs';

export const BUNDLE_DIR = 'bundle';
export const BUNDLE_FILE = 'snem.js';
const SOURCES_FILE = 'snem.sources.json';

/** `new URL('./x.ts' | './x.js', import.meta.url)` (group 2: the path without extension), or a bare import.meta.url. */
const META_URL =
  /new URL\(\s*(['"])(\.{1,2}\/[^'"\n]+?)\.(?:ts|js)\1\s*,\s*import\.meta\.url\s*\)|import\.meta\.url/g;
/** Where the bundle ends up (it is built in a temp copy of dist/ and moved whole: relative URLs hold). */
const BUNDLE_HOME = path.join(ROOT, 'dist', BUNDLE_DIR);
const fromBundle = (file) => path.relative(BUNDLE_HOME, file).split(path.sep).join('/');

/** A source module with its import.meta.url uses pointed where the header says. */
function rewrite(text, source) {
  return text.replace(META_URL, (_m, _q, code) => {
    if (code === undefined) return `new URL(${JSON.stringify(fromBundle(source))}, import.meta.url).href`;
    const twin = path.join(
      ROOT,
      'dist',
      `${path.relative(ROOT, path.resolve(path.dirname(source), code))}.js`,
    );
    return `new URL(${JSON.stringify(fromBundle(twin))}, import.meta.url)`;
  });
}

/** The one line of engine/code-hash.ts callerFile that takes the caller's stack frame. */
const CALLER_FRAME = 'const frame = stack[depth];';

/**
 * Defined at the top of every chunk (once per process): a stack frame `…/dist/bundle/CHUNK.js:L:C`
 * as the frame of the source module whose code is at line L of CHUNK (file URL of the source).
 */
const FRAME_TRANSLATOR = `import { readFileSync as __snemReadFile } from 'node:fs';
globalThis.__snemBundleFrame ??= (() => {
  let table;
  const dir = new URL('.', import.meta.url);
  return (frame) => {
    const m = frame && /(file:\\/\\/\\/?[^():]*\\/dist\\/${BUNDLE_DIR}\\/([^/():]+\\.js)):(\\d+):(\\d+)/.exec(frame);
    if (!m) return frame;
    table ??= JSON.parse(__snemReadFile(new URL('${SOURCES_FILE}', dir), 'utf8'));
    const starts = table[m[2]] ?? [];
    const line = Number(m[3]);
    let found = null;
    for (const [first, source] of starts) if (first <= line) found = source; else break;
    return found ? frame.replace(m[1], new URL('../../' + found, dir).href) : frame;
  };
})();
`;

/** Where each module's code starts in a chunk: esbuild marks it with a `// path/to/module.ts` line. */
function moduleStarts(text, known) {
  const starts = [];
  text.split('\n').forEach((line, i) => {
    const m = /^\/\/ (\S+\.(?:ts|js|mjs))$/.exec(line);
    if (m && known.has(m[1])) starts.push([i + 1, m[1]]);
  });
  return starts;
}

/** Bundle cli/main.ts into `outDir/bundle/` (snem.js, its chunks and their line → source table). */
export async function buildBundle(outDir) {
  const bundled = new Set();
  let patched = 0;
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, 'cli/main.ts')],
    absWorkingDir: ROOT,
    outdir: path.join(outDir, BUNDLE_DIR),
    entryNames: BUNDLE_FILE.replace(/\.js$/, ''),
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'error',
    legalComments: 'none',
    banner: { js: FRAME_TRANSLATOR },
    plugins: [
      {
        name: 'source-urls',
        setup(build) {
          build.onLoad({ filter: /\.(ts|js|mjs)$/ }, (args) => {
            if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return null;
            const rel = path.relative(ROOT, args.path).split(path.sep).join('/');
            bundled.add(rel);
            let text = rewrite(fs.readFileSync(args.path, 'utf8'), args.path);
            if (rel === 'engine/code-hash.ts') {
              patched = text.split(CALLER_FRAME).length - 1;
              text = text.replace(CALLER_FRAME, 'const frame = globalThis.__snemBundleFrame(stack[depth]);');
            }
            return { contents: text, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
          });
        },
      },
    ],
  });
  // without the translation every op would be keyed by the chunk it landed in: refuse to build
  if (patched !== 1)
    throw new Error(
      `cli/build-bundle.mjs: expected one '${CALLER_FRAME}' in engine/code-hash.ts callerFile, found ${patched}; update the bundle's frame translation`,
    );
  const table = {};
  for (const out of result.outputFiles) {
    fs.mkdirSync(path.dirname(out.path), { recursive: true });
    fs.writeFileSync(out.path, out.text);
    table[path.basename(out.path)] = moduleStarts(out.text, bundled);
  }
  fs.writeFileSync(path.join(outDir, BUNDLE_DIR, SOURCES_FILE), JSON.stringify(table));
  return { modules: bundled.size, files: result.outputFiles.length };
}
