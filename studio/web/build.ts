/**
 * Bundles the studio page (studio/web/src → studio/web/dist) with esbuild: one app.js, one
 * app.css and index.html, no CDN, so the page works offline. Runs on `npm install` (prepare)
 * and before the tests; `--watch` rebuilds on change while developing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const STUDIO_DIST = path.join(here, 'dist');

function options(minify: boolean): esbuild.BuildOptions {
  return {
    entryPoints: { app: path.join(here, 'src', 'main.tsx') },
    outdir: STUDIO_DIST,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    sourcemap: 'linked',
    minify,
    logLevel: 'warning',
    legalComments: 'none',
  };
}

/** Builds the bundle; returns the dist directory. */
export async function buildStudioWeb(opts: { minify?: boolean } = {}): Promise<string> {
  fs.mkdirSync(STUDIO_DIST, { recursive: true });
  await esbuild.build(options(opts.minify ?? true));
  fs.copyFileSync(path.join(here, 'index.html'), path.join(STUDIO_DIST, 'index.html'));
  return STUDIO_DIST;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--watch')) {
    const ctx = await esbuild.context(options(false));
    fs.copyFileSync(path.join(here, 'index.html'), path.join(STUDIO_DIST, 'index.html'));
    await ctx.watch();
    console.log(`watching studio/web/src → ${path.relative(process.cwd(), STUDIO_DIST)}`);
  } else {
    await buildStudioWeb();
  }
}
