/**
 * `snem cache gc` against runs that are using the cache (issue #17: a gc 0.3 s into a run deleted
 * its fresh results, "missing from the cache", exit 2), compaction debris, and full-disk messages.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { compactCache, gcCache, gcWhenIdle, LiveRunsError } from '../../cache/gc.ts';
import { CacheStore, hostName, noSpaceError } from '../../cache/store.ts';
import { initHash } from '../../engine/hash.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-live-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const root = path.resolve(import.meta.dirname, '../..');
const snem = path.join(root, 'cli/snem.js');

/** The pid of a process that has exited (for stale records). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout as unknown as number;
}

function putSome(store: CacheStore, key: string) {
  store.putResult(key, new Uint8Array([1, 2, 3]), {
    v: `blob-${key}`,
    f: {},
    op: 'toy',
    node: 'n',
    s: 0,
    t: Date.now(),
  } as never);
}

describe('cache gc and live runs', () => {
  it('gc refuses while a run is registered, and removes what no run reaches once it has ended', async () => {
    await initHash();
    const store = new CacheStore(path.join(work, 'c1'));
    const live = store.beginRun();
    putSome(store, 'fresh');
    expect(() => gcCache(store, { keepLast: 5 })).toThrow(LiveRunsError);
    expect(store.getAction('fresh')).toBeDefined();
    store.endRun(live);
    const rep = gcCache(store, { keepLast: 5 });
    expect(rep.removedActions).toBe(1);
    expect(store.getAction('fresh')).toBeUndefined();
    await store.close();
  });

  it('gcWhenIdle waits for the run to end (saying so), or gives up with a message', async () => {
    const store = new CacheStore(path.join(work, 'c2'));
    const live = store.beginRun();
    putSome(store, 'a');
    const said: string[] = [];
    setTimeout(() => store.endRun(live), 400);
    const t0 = Date.now();
    const rep = await gcWhenIdle(store, { keepLast: 5 }, 10, (m) => said.push(m));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(said).toEqual([`gc: waiting for 1 run using this cache (pid ${process.pid}) to finish`]);
    expect(rep.removedActions).toBe(1);
    const again = store.beginRun();
    await expect(gcWhenIdle(store, { keepLast: 5 }, 0.3, () => {})).rejects.toThrow(
      /1 run using this cache \(pid \d+\) after waiting 0\.3 s; gc removes only what finished runs no longer reach, so it waits for them \(--wait SECONDS\)/,
    );
    store.endRun(again);
    await store.close();
  });

  it('a record left by a run that was killed (-9) does not block gc', async () => {
    const store = new CacheStore(path.join(work, 'c3'));
    store.live.putSync('killed', { pid: Number(deadPid()), host: hostName, t: Date.now() });
    expect(store.liveRuns()).toEqual([]);
    expect(store.live.get('killed')).toBeUndefined();
    expect(() => gcCache(store, { keepLast: 5 })).not.toThrow();
    await store.close();
  });

  it('compaction removes copies that earlier compactions left behind (full disk, kill)', async () => {
    const dir = path.join(work, 'c4');
    const store = new CacheStore(dir);
    putSome(store, 'x');
    const debris = path.join(dir, `cache.lmdb.compact-${deadPid()}`);
    fs.writeFileSync(debris, 'half a copy');
    const r = await compactCache(store);
    expect(r.skipped).toBeUndefined();
    expect(fs.existsSync(debris)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('cache.lmdb.compact-'))).toEqual([]);
  });

  it('through the CLI: gc waits while a run is registered and then collects; a run into a held --out exits 1', async () => {
    const cache = path.join(work, 'c5');
    const out = path.join(work, 'run5');
    const env = { ...process.env, SNEM_OPS: path.join(root, 'test/fixtures/toy-ops.ts'), CI: 'true' };
    const spawnCli = (args: string[]) => {
      const child = spawn(process.execPath, [snem, ...args, '--cache', cache], { env });
      const res = { out: '', code: null as number | null };
      child.stdout.on('data', (d) => (res.out += d));
      child.stderr.on('data', (d) => (res.out += d));
      return {
        res,
        done: new Promise<typeof res>((resolve) =>
          child.on('close', (code) => resolve(Object.assign(res, { code }))),
        ),
      };
    };
    // this process plays the running `snem run`: registered, with a fresh result no run record names
    const store = new CacheStore(cache);
    const live = store.beginRun();
    putSome(store, 'fresh');
    // and holds a run directory (a live pid in the lock)
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(
      path.join(out, '.snem-run.lock'),
      JSON.stringify({ pid: process.pid, host: hostName, started: 'now' }),
    );
    const graph = path.join(work, 'toy.json');
    fs.copyFileSync(path.join(root, 'test/fixtures/toy-graph.json'), graph);
    const gc = spawnCli(['cache', 'gc', '--keep-last', '0', '--no-compact']);
    const second = spawnCli(['run', graph, '--out', out, '--quiet', '--workers', '1', '--no-report']);
    for (let i = 0; i < 1200 && !/waiting/.test(gc.res.out) && gc.res.code === null; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(gc.res.out).toMatch(
      new RegExp(`gc: waiting for 1 run using this cache \\(pid ${process.pid}\\) to finish`),
    );
    expect(store.getAction('fresh')).toBeDefined();
    store.endRun(live);
    const c = await gc.done;
    expect(c.code, c.out).toBe(0);
    expect(c.out).toMatch(/gc: kept 0 runs, removed 0 runs, 1 actions/);
    const s = await second.done;
    expect(s.code, s.out).toBe(1);
    expect(s.out).toMatch(
      new RegExp(
        `run5: another snem run \\(pid ${process.pid}, started now\\) is writing into this directory`,
      ),
    );
    await store.close();
  }, 180_000);
});

describe('full disk', () => {
  it('a cache write failing for lack of space names the directory and the free space', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(noSpaceError(enospc, '/data/cache')?.message).toMatch(
      /^\/data\/cache: no space left on the device \(.* free|free space unknown\).* while writing to the cache; free some space or point --cache elsewhere/,
    );
    // LMDB says "Input/output error" on a full disk: read as "no space" only when the disk is (nearly) full
    const eio = new Error('Input/output error');
    const statfs = vi.spyOn(fs, 'statfsSync').mockReturnValue({ bavail: 3, bsize: 4096 } as fs.StatsFs);
    try {
      expect(noSpaceError(eio, '/data/cache')?.message).toMatch(
        /no space left on the device \(12\.3 KB free\)/,
      );
    } finally {
      statfs.mockRestore();
    }
    const roomy = vi.spyOn(fs, 'statfsSync').mockReturnValue({ bavail: 1e9, bsize: 4096 } as fs.StatsFs);
    try {
      expect(noSpaceError(eio, '/data/cache')).toBeNull();
    } finally {
      roomy.mockRestore();
    }
    expect(noSpaceError(new Error('something else'), os.tmpdir())).toBeNull();
  });
});
