/**
 * A damaged LMDB header (issue #17): lmdb-js segfaulted `snem cache verify` and `snem run` (exit
 * 139, no message). Now the meta pages are checked before the file is opened: one message naming
 * the file, exit 1, and the file left exactly as it was.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lmdbHeaderProblem } from '../../cache/lmdb-header.ts';

const root = path.resolve(import.meta.dirname, '../..');
const snem = path.join(root, 'cli/snem.js');
const toyOps = path.join(root, 'test/fixtures/toy-ops.ts');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-header-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, SNEM_OPS: toyOps, CI: 'true' };
const cli = (args: string[]) =>
  spawnSync(process.execPath, [snem, ...args], { encoding: 'utf8', env, timeout: 60_000 });

let graphFile: string;
let healthy: Buffer;

beforeAll(() => {
  graphFile = path.join(work, 'toy.json');
  fs.writeFileSync(
    graphFile,
    JSON.stringify({
      snem: 1,
      name: 'toy',
      chunkSize: 16,
      nodes: {
        src: { op: 'toy.source', params: { ny: 8, nx: 8 } },
        scale: { op: 'toy.scale', in: { in: 'src' } },
        sum: { op: 'toy.sum', in: { in: 'scale' } },
      },
      outputs: ['sum'],
    }),
  );
  const r = cli([
    'run',
    graphFile,
    '--cache',
    path.join(work, 'healthy'),
    '--out',
    path.join(work, 'run-0'),
    '--no-report',
    '--quiet',
    '--workers',
    '1',
  ]);
  if (r.status !== 0) throw new Error(r.stderr);
  healthy = fs.readFileSync(path.join(work, 'healthy', 'cache.lmdb'));
});

/** A copy of the healthy cache with bytes [at, at + bytes.length) of its data file replaced. */
function damaged(name: string, at: number, bytes: Buffer): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const b = Buffer.from(healthy);
  bytes.copy(b, at);
  fs.writeFileSync(path.join(dir, 'cache.lmdb'), b);
  return dir;
}

const pageSize = () => healthy.readUInt32LE(24 + 24);

describe('a damaged LMDB header', () => {
  it('a healthy cache passes the check, and the check reads the layout it claims to (magic, version, page size)', () => {
    expect(lmdbHeaderProblem(path.join(work, 'healthy', 'cache.lmdb'))).toBeNull();
    expect(healthy.readUInt32LE(24)).toBe(0xbeefc0de);
    expect(healthy.readUInt32LE(28)).toBe(2);
    expect(healthy.readUInt32LE(pageSize() + 24)).toBe(0xbeefc0de);
    expect(lmdbHeaderProblem(path.join(work, 'no-such', 'cache.lmdb'))).toBeNull();
  });

  const cases: { name: string; at: () => number; bytes: Buffer; says: RegExp; cli: ('verify' | 'run')[] }[] =
    [
      {
        name: 'zeroed first page',
        at: () => 0,
        bytes: Buffer.alloc(4096),
        says: /meta page 0: magic 0x00000000, expected 0xbeefc0de/,
        cli: ['verify', 'run'],
      },
      {
        name: 'version overwritten',
        at: () => 28,
        bytes: Buffer.from([7, 0, 0, 0]),
        says: /meta page 0: data version 7, expected 2/,
        cli: [],
      },
      {
        name: 'garbage after the magic',
        at: () => 32,
        bytes: Buffer.alloc(136, 0xa7),
        says: /meta page 0: page size 2812782503, expected a power of two/,
        cli: [],
      },
      {
        name: 'main root of meta page 1',
        at: () => pageSize() + 24 + 24 + 48 + 40,
        bytes: Buffer.alloc(8, 0x5c),
        says: /meta page 1: the main tree's root page \d+ \(depth 1\) lies outside/,
        cli: ['verify'],
      },
    ];
  for (const c of cases) {
    it(`${c.name}: found before opening${c.cli.length ? `; ${c.cli.join(' and ')} exit 1 naming the file (LMDB segfaulted), the file untouched` : ''}`, () => {
      const dir = damaged(c.name.replace(/\W+/g, '-'), c.at(), c.bytes);
      const file = path.join(dir, 'cache.lmdb');
      expect(lmdbHeaderProblem(file)).toMatch(c.says);
      const before = fs.readFileSync(file);
      for (const cmd of c.cli) {
        const args =
          cmd === 'verify'
            ? ['cache', 'verify', '--cache', dir]
            : [
                'run',
                graphFile,
                '--cache',
                dir,
                '--out',
                path.join(work, `run-${path.basename(dir)}`),
                '--no-report',
                '--quiet',
                '--workers',
                '1',
              ];
        const r = cli(args);
        expect(r.signal, `snem ${cmd} was killed by ${r.signal}`).toBeNull();
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toContain(`cache ${file}: the LMDB header is damaged (`);
        expect(r.stderr).toMatch(c.says);
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      }
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    });
  }
});
