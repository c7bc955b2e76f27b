/**
 * The compiled CLI (dist/, built by `npm install`) and the sources through tsx are the same
 * program: a run from one makes the keys the other finds in the cache, chunk workers included;
 * and a dist/ that no longer matches the sources is not used. The main process runs the bundle
 * (cli/build-bundle.mjs), its workers the per-file build.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist } from '../../cli/build-dist.mjs';
import { distIsFresh, DIST } from '../../cli/dist-fresh.mjs';
import { sourceFileOf } from '../../engine/code-hash.ts';

const root = path.resolve(import.meta.dirname, '../..');
const snem = path.join(root, 'cli/snem.js');
let work: string;

/** The CLI with a clean environment: no op plugins (they would select tsx), dist or tsx as asked. */
function cli(args: string[], mode: 'dist' | 'tsx'): string {
  const env: NodeJS.ProcessEnv = { ...process.env, SNEM_NO_DIST: mode === 'tsx' ? '1' : '0' };
  delete env.SNEM_OPS;
  return execFileSync(process.execPath, [snem, ...args], { env, encoding: 'utf8', cwd: work });
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-dist-'));
  if (!distIsFresh()) await buildDist();
  cli(['simulate', '--preset', 'demo', '--scan', '4x6', '--out', 'data', '--quiet'], 'dist');
}, 180_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('dist/ and tsx', () => {
  it('make the same keys: a run through tsx finds every result a run from dist/ computed', () => {
    expect(distIsFresh()).toBe(true);
    const first = JSON.parse(
      cli(
        ['run', 'data/graph.json', '--cache', 'c', '--out', 'r1', '--no-report', '--json', '--workers', '2'],
        'dist',
      ),
    );
    expect(first.computed).toBeGreaterThan(10);
    const second = JSON.parse(
      cli(
        ['run', 'data/graph.json', '--cache', 'c', '--out', 'r2', '--no-report', '--json', '--workers', '2'],
        'tsx',
      ),
    );
    expect(second.computed).toBe(0);
    const keys = (dir: string) =>
      Object.fromEntries(
        Object.entries(
          JSON.parse(fs.readFileSync(path.join(work, dir, 'manifest.json'), 'utf8')).nodes as Record<
            string,
            { key: string }
          >,
        ).map(([n, v]) => [n, v.key]),
      );
    expect(keys('r2')).toEqual(keys('r1'));
  }, 300_000);

  it("bundles the CLI's main process, each op still hashed over its own source module", () => {
    expect(fs.existsSync(path.join(DIST, 'bundle/snem.js'))).toBe(true);
    // ops.lock.json was made from the sources: an op keyed by the chunk it was bundled into fails this
    expect(cli(['ops', 'check'], 'dist')).toMatch(/current \(\d+ ops\)/);
    const table = JSON.parse(fs.readFileSync(path.join(DIST, 'bundle/snem.sources.json'), 'utf8'));
    const sources = Object.values(table as Record<string, [number, string][]>).flatMap((r) =>
      r.map((e) => e[1]),
    );
    expect(sources).toContain('nodes/fit/gaussians.ts');
  }, 60_000);

  it('maps compiled modules back to their sources for code hashes', () => {
    expect(sourceFileOf(path.join(root, 'dist/nodes/fit/gaussians.js'))).toBe(
      path.join(root, 'nodes/fit/gaussians.ts'),
    );
    expect(sourceFileOf(path.join(root, 'dist/engine/worker-entry.js'))).toBe(
      path.join(root, 'engine/worker-entry.js'),
    );
    expect(sourceFileOf(path.join(root, 'nodes/fit/gaussians.ts'))).toBe(
      path.join(root, 'nodes/fit/gaussians.ts'),
    );
  });

  it('is not used once a source file changes', async () => {
    if (!distIsFresh()) await buildDist();
    expect(distIsFresh()).toBe(true);
    const file = path.join(root, 'engine/version.ts');
    const st = fs.statSync(file);
    try {
      fs.utimesSync(file, st.atime, new Date(st.mtimeMs + 5000));
      expect(distIsFresh()).toBe(false);
    } finally {
      fs.utimesSync(file, st.atime, st.mtime);
      // restoring an mtime through seconds may not give back the same sub-millisecond: rebuild if so
      if (!distIsFresh()) await buildDist();
    }
    expect(fs.existsSync(path.join(DIST, 'cli/main.js'))).toBe(true);
  }, 120_000);
});
