import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleWat, ROOT, watFiles } from '../../engine/wasm-build.ts';

describe('WASM kernels', () => {
  it('every committed .wasm is exactly what its .wat assembles to (run `npm run build:wasm`)', async () => {
    const files = watFiles();
    for (const wat of files) {
      const rel = path.relative(ROOT, wat);
      const wasm = wat.replace(/\.wat$/, '.wasm');
      expect(fs.existsSync(wasm), `${rel} has no .wasm beside it`).toBe(true);
      const built = await assembleWat(wat, fs.readFileSync(wat, 'utf8'));
      expect(Buffer.compare(Buffer.from(built), fs.readFileSync(wasm)), `${rel} differs from its .wasm`).toBe(
        0,
      );
    }
  });
});
