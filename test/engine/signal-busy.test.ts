/**
 * SIGTERM while a dataset-level op computes synchronously on the main thread (issue #17: `timeout
 * 30 snem run …` was still running minutes later, the handler never got the thread). The process
 * must end within 2 s, leave the cache sound, and the next run must resume from it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const snem = path.join(root, 'cli/snem.js');
const toyOps = path.join(root, 'test/fixtures/toy-ops.ts');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-sigterm-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function counts(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (fs.existsSync(file))
    for (const l of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) out[l] = (out[l] ?? 0) + 1;
  return out;
}

it('SIGTERM during a long synchronous dataset-level op ends the run within 2 s; the next run resumes from the cache', async () => {
  const graph = path.join(work, 'toy.json');
  fs.writeFileSync(
    graph,
    JSON.stringify({
      snem: 1,
      name: 'toy',
      chunkSize: 16,
      nodes: {
        src: { op: 'toy.source', params: { ny: 8, nx: 8 } },
        scale: { op: 'toy.scale', in: { in: 'src' } },
        sum: { op: 'toy.sum', in: { in: 'scale' } },
        mean: { op: 'toy.mean', in: { in: 'sum' } },
      },
      outputs: ['mean', 'sum'],
    }),
  );
  const cache = path.join(work, 'cache');
  const countsFile = path.join(work, 'counts');
  const args = [
    snem,
    'run',
    graph,
    '--cache',
    cache,
    '--out',
    path.join(work, 'out'),
    '--no-report',
    '--quiet',
    '--workers',
    '1',
  ];
  const env = { ...process.env, SNEM_OPS: toyOps, CI: 'true', SNEM_TOY_COUNTS: countsFile };

  // toy.mean (dataset level) spins for 20 s without yielding once it starts.
  const child = spawn(process.execPath, args, {
    env: { ...env, SNEM_TOY_BUSY_MS: '20000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const t0 = Date.now();
  while (!counts(countsFile).mean) {
    if (child.exitCode !== null) throw new Error(`run ended early: ${stderr}`);
    if (Date.now() - t0 > 90_000) throw new Error('toy.mean never started');
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300)); // well inside the busy loop
  const sent = Date.now();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
  const took = Date.now() - sent;
  expect(took, `exit took ${took} ms`).toBeLessThan(2000);
  expect(
    child.exitCode === 130 || child.signalCode === 'SIGTERM',
    `exit ${child.exitCode} / ${child.signalCode}: ${stderr}`,
  ).toBe(true);
  expect(counts(countsFile)).toEqual({ src: 4, scale: 4, sum: 4, mean: 1 });

  // The cache is sound and the frame chunks are not computed again.
  const verify = spawnSync(process.execPath, [snem, 'cache', 'verify', '--cache', cache], {
    encoding: 'utf8',
    env,
  });
  expect(verify.status, verify.stderr).toBe(0);
  const again = spawnSync(process.execPath, args, { encoding: 'utf8', env });
  expect(again.status, again.stderr).toBe(0);
  expect(counts(countsFile)).toEqual({ src: 4, scale: 4, sum: 4, mean: 2 });
  expect(fs.existsSync(path.join(work, 'out', 'mean.npy'))).toBe(true);
});
