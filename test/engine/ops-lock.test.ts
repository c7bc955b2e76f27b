/**
 * Code-keyed cache: an op's code hash covers its source, the local modules it imports and the
 * .wasm it loads; keys change with it; ops.lock.json must match the code, and its check names the
 * op, the changed file and what to do.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentLock, lockedOps, lockProblems, readLock } from '../../app/ops-lock.ts';
import { moduleCodeHash } from '../../engine/code-hash.ts';
import { initHash } from '../../engine/hash.ts';
import { chunkKey, nodeKey } from '../../engine/keys.ts';
import type { OpDef } from '../../engine/types.ts';
import { registry } from '../../nodes/registry.ts';

describe('ops.lock.json', () => {
  it('matches the code of every built-in op', () => {
    const ops = lockedOps(registry());
    expect(ops.length).toBeGreaterThan(20);
    const problems = lockProblems(readLock(), ops);
    if (problems.length) throw new Error(`ops.lock.json is out of date:\n  - ${problems.join('\n  - ')}`);
  });
});

/** A throwaway package: op.ts importing helper.ts (and a type-only module) and loading kernel.wasm. */
function toyPackage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-code-hash-'));
  const w = (f: string, text: string | Uint8Array) => fs.writeFileSync(path.join(dir, f), text);
  w('package.json', '{"name": "toy"}\n');
  w(
    'op.ts',
    "import { scale } from './helper.ts';\nimport type { T } from './types-only.ts';\nconst KERNEL = new URL('./kernel.wasm', import.meta.url);\nexport const x = scale;\n",
  );
  w('helper.ts', 'export const scale = 2;\n');
  w('types-only.ts', 'export type T = number;\n');
  w('kernel.wasm', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  const op = {
    name: 'toy.op',
    version: 1,
    scope: 'frame',
    title: '',
    description: '',
    inputs: {},
    params: {},
    outputs: {},
  } as unknown as OpDef;
  Object.defineProperty(op, 'sourceFile', { value: path.join(dir, 'op.ts') });
  Object.defineProperty(op, 'codeHash', { get: () => moduleCodeHash(path.join(dir, 'op.ts')) });
  // A new mtime for each edit, so a memoised file hash is never reused.
  let t = Date.now() / 1000;
  const edit = (f: string, text: string | Uint8Array) => {
    w(f, text);
    t += 10;
    fs.utimesSync(path.join(dir, f), t, t);
  };
  return { op, edit };
}

describe('code hash', () => {
  it('changes with the op, an imported module or a loaded .wasm; not with a type-only import', () => {
    const { op, edit } = toyPackage();
    const h0 = op.codeHash;
    edit('types-only.ts', 'export type T = string;\n');
    expect(op.codeHash).toBe(h0);
    edit('helper.ts', 'export const scale = 3;\n');
    const h1 = op.codeHash;
    expect(h1).not.toBe(h0);
    edit('kernel.wasm', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 1]));
    expect(op.codeHash).not.toBe(h1);
  });

  it('is part of every key unless the op is pinned', async () => {
    await initHash();
    const { op, edit } = toyPackage();
    const chunk = { index: 0, start: 0, count: 4 };
    const before = [nodeKey(op, {}, {}), chunkKey(op, {}, {}, chunk)];
    edit('helper.ts', 'export const scale = 5;\n');
    const after = [nodeKey(op, {}, {}), chunkKey(op, {}, {}, chunk)];
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).not.toBe(before[1]);
    op.pinned = true;
    const pinned = nodeKey(op, {}, {});
    edit('helper.ts', 'export const scale = 6;\n');
    expect(nodeKey(op, {}, {})).toBe(pinned);
  });

  it('the lock check names the op, the changed file and what to do', () => {
    const { op, edit } = toyPackage();
    const lock = currentLock([op]);
    expect(lockProblems(lock, [op])).toEqual([]);
    edit('helper.ts', 'export const scale = 4;\n');
    const [p] = lockProblems(lock, [op]);
    expect(p).toMatch(
      /op 'toy.op' v1 \(.*op.ts\): its code changed without a version bump \(changed: helper.ts\)/,
    );
    expect(p).toMatch(/bump `version` in .*op.ts \(v1 → v2\), then run `npx snem ops relock`/);
    expect(p).toMatch(/run `npx snem ops relock` only/);
    op.version = 2;
    expect(lockProblems(lock, [op])).toEqual([
      expect.stringMatching(/version bumped 1 → 2; run `npx snem ops relock`/),
    ]);
    expect(lockProblems(currentLock([op]), [op])).toEqual([]);
    expect(lockProblems(lock, [])).toEqual([
      expect.stringMatching(/'toy.op' is in ops.lock.json but no longer exists/),
    ]);
    expect(lockProblems(null, [op])).toEqual([expect.stringMatching(/ops.lock.json is missing/)]);
  });
});
