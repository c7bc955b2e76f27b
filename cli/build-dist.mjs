#!/usr/bin/env node
/**
 * Compile the TypeScript sources into dist/ (one .js per .ts, same tree; plus the CLI's main process
 * bundled into one file, cli/build-bundle.mjs) so that the CLI starts without the tsx loader: `snem --help` in a fraction of the time. Run by `npm install`
 * (the `prepare` script) and `npm run build`; cli/snem.js uses dist/ only while it is fresh (see
 * dist-fresh.mjs) and falls back to tsx otherwise, so a stale dist/ can never run old code.
 *
 * What changes in the compiled code, and why:
 * - relative imports `./x.ts` become `./x.js` (the compiled twin);
 * - `import.meta.url` means the *source* file's URL, so data beside the sources (graphs/, .wasm
 *   kernels, JSON tables, package.json, bench/) is found where it is — except in
 *   `new URL('./x.ts' | './x.js', import.meta.url)`, which names code to load (worker entries,
 *   wiring and store modules) and points at the compiled twin;
 * - worker entries (`worker-entry.js`) load their worker directly, without registering tsx;
 * - plain-JavaScript modules (`.mjs`) are copied.
 * Op code hashes are taken over the sources either way (engine/code-hash.ts sourceFileOf), so
 * a run from dist/ and one through tsx make the same cache keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildBundle } from './build-bundle.mjs';
import { DIST, ROOT, SOURCE_DIRS, sourceFiles, writeStamp } from './dist-fresh.mjs';

const CODE_URL = /new URL\(\s*(['"])(\.{1,2}\/[^'"\n]+?)\.(?:ts|js)\1\s*,\s*import\.meta\.url\s*\)/g;
const PLACEHOLDER = '__snemDistUrl__';

/** Compiled text with imports and import.meta.url adjusted (see the header). */
function adjust(code, outFile) {
  const source = path
    .join(ROOT, path.relative(DIST, outFile))
    .replace(
      /\.js$/,
      fs.existsSync(path.join(ROOT, path.relative(DIST, outFile)).replace(/\.js$/, '.ts')) ? '.ts' : '.js',
    );
  let text = code.replace(CODE_URL, (_m, q, rel) => `new URL(${q}${rel}.js${q}, ${PLACEHOLDER})`);
  if (text.includes('import.meta.url')) {
    const rel = path.relative(path.dirname(outFile), source).split(path.sep).join('/');
    text = text.replaceAll('import.meta.url', '__snemSourceUrl');
    text = `const __snemSourceUrl = new URL(${JSON.stringify(rel)}, import.meta.url).href;\n${text}`;
  }
  return text.replaceAll(PLACEHOLDER, 'import.meta.url');
}

/** Every relative import stays a separate module, renamed to its compiled twin. */
const keepModules = {
  name: 'keep-modules',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return null;
      if (!args.path.startsWith('.')) return { path: args.path, external: true };
      return { path: args.path.replace(/\.ts$/, '.js'), external: true };
    });
  },
};

const WORKER_ENTRY = `// Compiled worker entry (cli/build-dist.mjs): the worker's code is compiled too, no TypeScript loader.
await import('./worker.js');
`;

export async function buildDist() {
  const t0 = performance.now();
  const files = sourceFiles();
  const entries = files
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('worker-entry.js'))
    .map((f) => path.join(ROOT, f));
  const tmp = `${DIST}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: entries,
    outdir: tmp,
    outbase: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'error',
    plugins: [keepModules],
  });
  for (const out of result.outputFiles) {
    const final = path.join(DIST, path.relative(tmp, out.path));
    fs.mkdirSync(path.dirname(out.path), { recursive: true });
    fs.writeFileSync(out.path, adjust(out.text, final));
  }
  for (const f of files.filter((f) => f.endsWith('worker-entry.js')))
    fs.writeFileSync(path.join(tmp, f), WORKER_ENTRY);
  // plain-JavaScript modules (.mjs) are imported beside their importers: copied as they are
  for (const f of files.filter((f) => f.endsWith('.mjs'))) {
    fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(tmp, f));
  }
  // the CLI's main process as one module (cli/build-bundle.mjs), beside the per-file build
  await buildBundle(tmp);
  // dist/ is replaced whole: a reader never sees half a build
  writeStamp(tmp, files);
  const old = `${DIST}.old-${process.pid}`;
  try {
    if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
    fs.renameSync(tmp, DIST);
  } catch (e) {
    // another build (a parallel `npm install` or test) swapped its dist/ in first: it is as good
    if (!fs.existsSync(DIST)) throw e;
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
  return { files: entries.length, seconds: (performance.now() - t0) / 1000 };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = await buildDist();
  process.stdout.write(
    `snem: compiled ${r.files} modules of ${SOURCE_DIRS.join(', ')} into dist/ in ${r.seconds.toFixed(2)} s\n`,
  );
}
