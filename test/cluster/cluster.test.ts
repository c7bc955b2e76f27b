/**
 * `snem run --cluster` against a private Redis on loopback, with 1–3 `snem worker` processes and
 * the toy ops (which log every chunk they compute): byte-identical to a local run, nothing queued
 * when cached, kill -9 of a worker, Redis restarted mid-run, two coordinators, version mismatch,
 * and bad input.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../formats/npy.ts';
import {
  counts,
  freePort,
  npyFiles,
  sleep,
  snem,
  start,
  startWorker,
  stopAll,
  TestRedis,
  toyOps,
  type Proc,
} from './redis-harness.ts';

import { createRequire } from 'node:module';

/** Debian's redis-server (.ci/run installs it) and the npm packages (a worktree not yet `npm install`ed lacks them). */
const hasRedis =
  spawnSync('redis-server', ['--version']).status === 0 &&
  (() => {
    try {
      createRequire(import.meta.url).resolve('bullmq');
      return true;
    } catch {
      return false;
    }
  })();

let work: string;
let reference: Record<string, Buffer>;
const live: Proc[] = [];
const redises: TestRedis[] = [];

/** 8 × 8 positions in chunks of 4: 16 chunk jobs; slowMs keeps chunks in flight long enough to interfere with. */
function graph(name: string, slowMs: number): string {
  const g = {
    snem: 1,
    name: 'toy',
    chunkSize: 4,
    nodes: {
      src: { op: 'toy.source', params: { ny: 8, nx: 8 } },
      scale: { op: 'toy.scale', in: { in: 'src' }, params: { gain: 2, slowMs } },
      sum: { op: 'toy.sum', in: { in: 'scale' } },
      mean: { op: 'toy.mean', in: { in: 'sum' } },
    },
    outputs: ['sum', 'mean', 'scale'],
  };
  const f = path.join(work, `${name}.json`);
  fs.writeFileSync(f, JSON.stringify(g));
  return f;
}

function runArgs(g: string, out: string, extra: string[] = []): string[] {
  return [
    'run',
    g,
    '--out',
    out,
    '--cache',
    path.join(work, `local-${path.basename(out)}`),
    '--no-report',
    '--json',
    ...extra,
  ];
}

async function redis(name: string, args: string[] = []): Promise<TestRedis> {
  const r = await TestRedis.start(path.join(work, `redis-${name}`), args);
  redises.push(r);
  return r;
}

async function workers(
  url: string,
  n: number,
  countsFile: string,
  env: Record<string, string> = {},
  extra: string[] = [],
): Promise<Proc[]> {
  const ws = await Promise.all(
    Array.from({ length: n }, () => startWorker(url, { SNEM_TOY_COUNTS: countsFile, ...env }, extra)),
  );
  live.push(...ws);
  return ws;
}

async function coordinator(
  args: string[],
  countsFile: string,
  timeoutMs = 90_000,
): Promise<Proc & { code: number | null }> {
  const p = start(args, { SNEM_TOY_COUNTS: countsFile });
  live.push(p);
  const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(t);
  return { ...p, code };
}

async function until(cond: () => boolean, ms = 30_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await sleep(50);
  }
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-cluster-'));
  const out = path.join(work, 'reference');
  const r = spawnSync(process.execPath, [snem, ...runArgs(graph('ref', 0), out, ['--workers', '1'])], {
    encoding: 'utf8',
    env: { ...process.env, SNEM_OPS: toyOps, CI: 'true' },
  });
  if (r.status !== 0) throw new Error(r.stderr);
  reference = npyFiles(out);
});

afterAll(async () => {
  await stopAll(live);
  for (const r of redises) await r.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!hasRedis)('snem run --cluster', () => {
  it('two workers and two coordinators: the local run byte for byte, each chunk computed once; a cached graph queues nothing', async () => {
    const r = await redis('basic');
    const store = path.join(work, 'blobs-basic');
    const wc = path.join(work, 'counts-basic-workers');
    const ws = await workers(r.url, 2, wc, {}, ['--store', store]);
    const cc = path.join(work, 'counts-basic-coord');
    const g = graph('basic', 50);
    // Two coordinators of the same graph at once: the same job ids, so each chunk is queued once.
    const [first, second] = await Promise.all([
      coordinator(runArgs(g, path.join(work, 'basic-1'), ['--cluster', r.url, '--store', store]), cc),
      coordinator(runArgs(g, path.join(work, 'basic-1b'), ['--cluster', r.url, '--store', store]), cc),
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(npyFiles(path.join(work, 'basic-1'))).toEqual(reference);
    expect(npyFiles(path.join(work, 'basic-1b'))).toEqual(reference);
    // (Both may ask BullMQ to add a job at the same moment; it keeps one per id.)
    expect(
      JSON.parse(first.stdout).cluster.chunkJobsQueued + JSON.parse(second.stdout).cluster.chunkJobsQueued,
    ).toBeGreaterThanOrEqual(16);
    // Frame nodes ran on the workers, each chunk once; the dataset-level mean in one coordinator.
    expect(counts(wc)).toEqual({ src: 16, scale: 16, sum: 16 });
    expect(counts(cc)).toEqual({ mean: 1 });
    const manifest = JSON.parse(fs.readFileSync(path.join(work, 'basic-1', 'manifest.json'), 'utf8'));
    expect(manifest.nodes.scale.chunks).toEqual({ total: 16, computed: 16, cached: 0 });
    // Blobs went to the shared directory, verified by hash on read.
    expect(fs.readdirSync(store).filter((d) => /^[0-9a-f]{2}$/.test(d)).length).toBeGreaterThan(0);

    // With every worker gone, a cached graph still completes: nothing is queued, nothing computed.
    await stopAll(ws);
    const again = await coordinator(
      runArgs(g, path.join(work, 'basic-2'), ['--cluster', r.url, '--store', store]),
      cc,
      30_000,
    );
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).cluster.chunkJobsQueued).toBe(0);
    expect(counts(wc)).toEqual({ src: 16, scale: 16, sum: 16 });
    expect(counts(cc)).toEqual({ mean: 1 });
    expect(npyFiles(path.join(work, 'basic-2'))).toEqual(reference);
  });

  it('a worker killed with -9 mid-run: its chunk goes to another worker, the result is byte-identical', async () => {
    const r = await redis('kill');
    const wc = path.join(work, 'counts-kill');
    const [victim] = await workers(r.url, 2, wc);
    const out = path.join(work, 'kill');
    const run = coordinator(
      runArgs(graph('kill', 300), out, ['--cluster', r.url]),
      path.join(work, 'counts-kill-coord'),
    );
    await until(() => (counts(wc).scale ?? 0) >= 3);
    victim.child.kill('SIGKILL');
    const res = await run;
    expect(res.code, res.stderr).toBe(0);
    expect(npyFiles(out)).toEqual(reference);
    expect(counts(wc).scale).toBeGreaterThanOrEqual(16);
  });

  it('Redis restarted mid-run: the run completes; Redis gone too long: it stops clearly and resumes without recomputing', async () => {
    const r = await redis('restart');
    const wc = path.join(work, 'counts-restart');
    await workers(r.url, 2, wc);
    const out = path.join(work, 'restart');
    const run = coordinator(
      runArgs(graph('restart', 300), out, ['--cluster', r.url]),
      path.join(work, 'counts-restart-coord'),
    );
    await until(() => (counts(wc).scale ?? 0) >= 3);
    await r.stop();
    await sleep(1000);
    await r.start();
    const res = await run;
    expect(res.code, res.stderr).toBe(0);
    expect(npyFiles(out)).toEqual(reference);
    // Chunks in hand when Redis went away may run again (their lock was lost), finished ones not.
    expect(counts(wc).scale).toBeLessThanOrEqual(16 + 2);

    // Gone for longer than --redis-timeout: the coordinator stops with a message; the workers wait.
    const base = counts(wc).scale;
    const g2 = graph('restart-2', 301); // another key (slowMs), the same values
    const stopped = coordinator(
      runArgs(g2, path.join(work, 'restart-2a'), ['--cluster', r.url, '--redis-timeout', '2']),
      path.join(work, 'counts-restart-2c'),
    );
    await until(() => counts(wc).scale - base >= 3);
    await r.stop();
    const gone = await stopped;
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`lost the connection to Redis at ${r.url}`);
    expect(gone.stderr).toContain('run the same command again');
    const doneBefore = counts(wc).scale - base;
    await r.start();
    const resumed = await coordinator(
      runArgs(g2, path.join(work, 'restart-2b'), ['--cluster', r.url]),
      path.join(work, 'counts-restart-2c'),
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(npyFiles(path.join(work, 'restart-2b'))).toEqual(reference);
    // Resumed: the finished chunks are not queued again (at most the ones in hand are redone).
    const queued = JSON.parse(resumed.stdout).cluster.chunkJobsQueued;
    expect(queued).toBeLessThan(16);
    expect(queued).toBeLessThanOrEqual(16 - doneBefore + 2);
    expect(counts(wc).scale - base).toBeLessThanOrEqual(16 + 2);
  });

  it('cache push / pull: a local cache pushed to the cluster serves a cluster run; pulled back, a local run computes nothing', async () => {
    const r = await redis('transfer');
    const env = { ...process.env, SNEM_OPS: toyOps, CI: 'true' };
    const cache = (name: string) => path.join(work, name);
    let res = spawnSync(
      process.execPath,
      [snem, 'cache', 'push', '--cluster', r.url, '--cache', cache('local-reference'), '--json'],
      { encoding: 'utf8', env },
    );
    expect(res.status, res.stderr).toBe(0);
    const pushed = JSON.parse(res.stdout);
    // src is an uncached source: scale and sum have 16 chunk actions each (8 × 8 in chunks of 4), mean one.
    expect(pushed).toMatchObject({ action: 'push', actions: 33, copied: 33, missing: 0 });
    // No worker anywhere: the run can only finish if everything is found in the shared store.
    const cc = path.join(work, 'counts-transfer');
    const run = await coordinator(
      runArgs(graph('transfer', 0), path.join(work, 'transfer'), ['--cluster', r.url]),
      cc,
      30_000,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).cluster.chunkJobsQueued).toBe(0);
    expect(npyFiles(path.join(work, 'transfer'))).toEqual(reference);
    res = spawnSync(
      process.execPath,
      [snem, 'cache', 'pull', '--cluster', r.url, '--cache', cache('pulled'), '--json'],
      { encoding: 'utf8', env },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ action: 'pull', actions: 33, copied: 33, missing: 0 });
    const local = spawnSync(
      process.execPath,
      [
        snem,
        'run',
        graph('transfer', 0),
        '--out',
        path.join(work, 'pulled-run'),
        '--cache',
        cache('pulled'),
        '--no-report',
        '--quiet',
        '--workers',
        '1',
      ],
      {
        encoding: 'utf8',
        env: { ...env, SNEM_TOY_COUNTS: path.join(work, 'counts-pulled') },
      },
    );
    expect(local.status, local.stderr).toBe(0);
    expect(counts(path.join(work, 'counts-pulled'))).toEqual({});
    expect(npyFiles(path.join(work, 'pulled-run'))).toEqual(reference);
  });

  it('workers with another op version refuse the job; after bounded retries the run fails naming node, chunk and reason', async () => {
    const r = await redis('version');
    await workers(r.url, 1, path.join(work, 'counts-version'), { SNEM_TOY_SCALE_VERSION: '2' });
    const res = await coordinator(
      runArgs(graph('version', 0), path.join(work, 'version'), ['--cluster', r.url]),
      path.join(work, 'counts-version-c'),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /chunk \d+ \(positions \d+–\d+\) of nodes src, scale, sum failed after 3 attempts/,
    );
    expect(res.stderr).toContain("has op 'toy.scale' version 2, the job (node 'scale'");
    expect(res.stderr).toContain('needs version 1');
    expect(counts(path.join(work, 'counts-version')).scale).toBeUndefined();
  });

  it("an op that throws in a fused chunk: the run fails naming that node, the chunk and the worker's error", async () => {
    const r = await redis('throws');
    await workers(r.url, 1, path.join(work, 'counts-throws'), { SNEM_TOY_FAIL: 'scale:2' });
    const res = await coordinator(
      runArgs(graph('throws', 0), path.join(work, 'throws'), ['--cluster', r.url]),
      path.join(work, 'counts-throws-c'),
    );
    expect(res.code, res.stderr).toBe(1);
    // scale is fused with src and sum into one job; the message names scale, not the group.
    expect(res.stderr).toContain(
      `cluster: node 'scale' (toy.scale) failed on chunk 2 (positions 8–11) after 3 attempts (one job with nodes src, scale, sum): worker ${os.hostname()}: node 'scale' (toy.scale): toy failure on chunk 2`,
    );
  }, 300_000);

  it('a worker that cannot open the dataset fails the job naming its host and the path; the run fails with it, the cache intact', async () => {
    const r = await redis('no-data');
    // A graph with a dataset file: the coordinator hashes it, then it vanishes before a worker
    // takes the jobs (as on a machine where the shared storage is not mounted at that path).
    const data = path.join(work, 'no-data');
    fs.mkdirSync(data);
    const npy = path.join(data, 'frames.npy');
    writeNpy(npy, { dtype: 'uint8', shape: [8, 8, 2, 2], data: new Uint8Array(256) });
    const g = JSON.parse(fs.readFileSync(graph('no-data', 0), 'utf8'));
    const gf = path.join(data, 'graph.json');
    fs.writeFileSync(gf, JSON.stringify({ ...g, dataset: { path: 'frames.npy' } }));
    const cache = path.join(work, 'local-no-data-cache');
    const args = [
      'run',
      gf,
      '--out',
      path.join(work, 'no-data-out'),
      '--cache',
      cache,
      '--no-report',
      '--cluster',
      r.url,
    ];
    const cc = path.join(work, 'counts-no-data-c');
    const run = start(args, { SNEM_TOY_COUNTS: cc });
    live.push(run);
    await until(
      () => r.cli('keys', 'bull:snem-chunks:chunk-*').length > 0 || run.child.exitCode !== null,
      90_000,
    );
    fs.renameSync(npy, `${npy}.away`);
    await workers(r.url, 1, path.join(work, 'counts-no-data'));
    const code = await run.exited;
    expect(code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /cluster: chunk \d+ \(positions \d+–\d+\) of nodes src, scale, sum failed after 3 attempts/,
    );
    expect(run.stderr).toContain(
      `worker ${os.hostname()} cannot open the dataset ${npy} (ENOENT); every worker needs it at the same path (shared storage)`,
    );
    expect(counts(path.join(work, 'counts-no-data')).scale).toBeUndefined();
    // Cache intact: with the file back the same command completes, byte-identical.
    fs.renameSync(`${npy}.away`, npy);
    const again = await coordinator(args.concat(['--quiet']), cc);
    expect(again.code, again.stderr).toBe(0);
    expect(npyFiles(path.join(work, 'no-data-out'))).toEqual(reference);
  }, 300_000);
});

describe.skipIf(!hasRedis)('bad cluster input', () => {
  const g = () => graph('bad', 0);
  const bad = (args: string[]) =>
    spawnSync(process.execPath, [snem, ...args], {
      encoding: 'utf8',
      env: { ...process.env, SNEM_OPS: toyOps, CI: 'true' },
      timeout: 30_000,
    });

  it('an unreachable Redis: exit 1 within 5 s naming the URL (run and worker)', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    // The same commands failing before any connection: the process start-up (tsx, the ops) to subtract.
    const startUp = (args: string[]) => {
      const t0 = Date.now();
      expect(bad(args).status).toBe(1);
      return Date.now() - t0;
    };
    const cases = [
      {
        args: runArgs(g(), path.join(work, 'bad-1'), ['--cluster', url]),
        baseline: runArgs(g(), path.join(work, 'bad-1'), ['--cluster', 'x://']),
      },
      { args: ['worker', '--cluster', url], baseline: ['worker', '--cluster', 'x://'] },
    ];
    for (const c of cases) {
      const base = startUp(c.baseline);
      const t0 = Date.now();
      const r = bad(c.args);
      const took = Date.now() - t0;
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(`cannot reach Redis at ${url}`);
      expect(took - base).toBeLessThan(5000);
    }
  });

  it('a malformed URL, a --store that is not writable, --store without --cluster', async () => {
    let r = bad(runArgs(g(), path.join(work, 'bad-2'), ['--cluster', 'localhost:6379']));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--cluster 'localhost:6379': expected a redis:// or rediss:// URL");
    r = bad(['worker', '--cluster', 'not a url']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--cluster 'not a url': not a URL; expected redis://HOST:PORT");
    const rd = await redis('bad');
    const ro = path.join(work, 'read-only-file');
    fs.writeFileSync(ro, 'x');
    r = bad(runArgs(g(), path.join(work, 'bad-3'), ['--cluster', rd.url, '--store', path.join(ro, 'blobs')]));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`--store ${path.join(ro, 'blobs')}: not a writable directory`);
    r = bad(runArgs(g(), path.join(work, 'bad-4'), ['--store', path.join(work, 'x')]));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--store needs --cluster');
  });

  it('a Redis that would lose the action table on restart: a warning, or a refusal with --require-persistence', async () => {
    const r = await redis('volatile', ['--appendonly', 'no', '--save', '']);
    const nothing = `Redis at ${r.url} keeps nothing on disk (appendonly no, save ""): a restart loses the action table (which chunks are done), the results themselves (no --store) and the queue`;
    let res = bad(runArgs(g(), path.join(work, 'volatile-1'), ['--cluster', r.url, '--require-persistence']));
    expect(res.status, res.stderr).toBe(1);
    expect(res.stderr).toContain(
      `${nothing}, and every chunk is computed again; start Redis with --appendonly yes`,
    );
    expect(res.stderr).toContain('Refused (--require-persistence)');
    // Without the flag a worker says so and starts.
    const w = await startWorker(r.url, {});
    live.push(w);
    expect(w.stderr).toContain(`warning: ${nothing}`);
    await stopAll([w]);
    // Snapshots only: what came after the last one is lost.
    r.cli('config', 'set', 'save', '900 1');
    res = bad(['worker', '--cluster', r.url, '--require-persistence']);
    expect(res.status, res.stderr).toBe(1);
    expect(res.stderr).toContain(
      `Redis at ${r.url} only writes snapshots (appendonly no, save "900 1"): a restart loses what was written since the last one`,
    );
    // With the append-only file nothing is said.
    r.cli('config', 'set', 'appendonly', 'yes');
    const ok = await startWorker(r.url, {}, ['--require-persistence']);
    live.push(ok);
    expect(ok.stderr).not.toContain('warning');
    await stopAll([ok]);
  });

  it('a Redis older than BullMQ supports is refused with its version', async () => {
    // A stand-in server answering every command with the INFO of Redis 4.0.14.
    const info = 'redis_version:4.0.14\r\nloading:0\r\n';
    const server = net.createServer((s) =>
      s.on('data', (d) => {
        // One reply per command (ioredis pipelines several into one packet).
        for (const _ of d.toString('latin1').matchAll(/(?:^|\r\n)\*\d+\r\n/g))
          s.write(`$${info.length}\r\n${info}\r\n`);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `redis://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const p = start(['worker', '--cluster', url], {});
      p.exited.then((status) => resolve({ status, stderr: p.stderr }));
    });
    server.close();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Redis at ${url} is version 4.0.14; BullMQ needs 5.0.0 or newer`);
  });
});
