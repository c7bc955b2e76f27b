#!/usr/bin/env node
// Entry shim. `npm install` compiles the TypeScript into dist/ (cli/build-dist.mjs): while that
// build matches the sources, the CLI runs it directly (the main process from one bundled file,
// cli/build-bundle.mjs) and starts in a fraction of the time; after
// an edit (or with SNEM_NO_DIST=1, or TypeScript op plugins in SNEM_OPS, or `snem bench`, whose
// modules are TypeScript) the sources run through tsx's loader, as before. Both make the same keys.
import { existsSync } from 'node:fs';
import { distIsFresh } from './dist-fresh.mjs';

const needsLoader =
  process.env.SNEM_NO_DIST === '1' ||
  /\.ts(,|\s|$)/.test(process.env.SNEM_OPS ?? '') ||
  process.argv[2] === 'bench';
if (!needsLoader && distIsFresh()) {
  // the bundle, or (a dist/ built before there was one) the per-file build
  const bundle = new URL('../dist/bundle/snem.js', import.meta.url);
  await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
