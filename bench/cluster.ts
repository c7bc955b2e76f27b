/**
 * The cluster on one machine: a simulated scan (paper preset: 289 × 132 patterns of 144², 791 MB;
 * 149 chunks of 256) through its reference graph, locally and with 1, 2 and 3 `snem worker`
 * processes (one thread each) over a private Redis on loopback (started here, on a free port),
 * blobs in a --store directory. Each configuration runs `--repeat` times (default 3) from an empty
 * cache and store; medians are reported. `--data DIR` (or SNEM_BENCH_DATA) uses an existing scan
 * read-only instead of simulating one.
 *
 * Figures: the wall time of the frame passes (the part the cluster distributes; dataset-level
 * nodes run in the coordinator either way), the queue's chunk jobs per second, the per-job
 * overhead (frame-pass wall with one worker minus the ops' own compute time, per job), and the
 * shared store's MB/s (`snem cache push` of the local run's cache into the --store directory,
 * `snem cache pull` of it into an empty cache: hash-verified reads). Every cluster run is checked
 * against the local run: the same value hash for every node. Everything runs through the CLI, as
 * on a real cluster (bench/ may not import cluster/: both are front ends).
 *
 *   node --import tsx bench/cluster.ts [--data DIR | --preset paper|demo] [--repeat 3] [--workers 1,2,3] [--chunk-size N]
 *   snem bench --only cluster [--data DIR]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../engine/run-types.ts';
import { resolveSimParams } from '../sim/presets.ts';
import { defaultWorkers, simulateToDir } from '../sim/write.ts';
import { freePort, waitForRedis } from './loopback-redis.ts';
import type { BenchRow } from './types.ts';

const snem = fileURLToPath(new URL('../cli/snem.js', import.meta.url));

/** CPU seconds the frame ops themselves spent (the manifest's per-node seconds sum their chunks). */
function frameComputeSeconds(m: Manifest): number {
  return Object.values(m.nodes)
    .filter((n) => n.scope === 'frame')
    .reduce((s, n) => s + n.seconds, 0);
}

function sameValues(a: Manifest, b: Manifest): void {
  for (const [id, n] of Object.entries(a.nodes)) {
    if (b.nodes[id]?.valueHash !== n.valueHash)
      throw new Error(`cluster run differs from the local run at node '${id}'`);
  }
}

function duBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? duBytes(p) : fs.statSync(p).size;
  }
  return n;
}

async function startWorkers(url: string, store: string, n: number): Promise<ChildProcess[]> {
  const ws = Array.from({ length: n }, () =>
    spawn(process.execPath, [snem, 'worker', '--cluster', url, '--store', store, '--concurrency', '1'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  await Promise.all(
    ws.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let err = '';
          w.stderr!.on('data', (d) => {
            err += d;
            if (err.includes('waiting for chunks')) resolve();
          });
          w.once('exit', () => reject(new Error(`worker exited: ${err}`)));
        }),
    ),
  );
  return ws;
}

async function stopWorkers(ws: ChildProcess[]) {
  await Promise.all(
    ws.map(
      (w) =>
        new Promise<void>((resolve) =>
          w.exitCode !== null ? resolve() : (w.once('exit', () => resolve()), w.kill('SIGTERM')),
        ),
    ),
  );
}

interface RunSummary {
  runDir: string;
  seconds: number;
  cluster?: { chunkJobsQueued: number; chunkJobsRequeued: number; chunkPassSeconds: number };
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [snem, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`snem ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function runCli(args: string[]): { summary: RunSummary; manifest: Manifest } {
  const summary = JSON.parse(cli(['run', ...args, '--json', '--no-report'])) as RunSummary;
  return {
    summary,
    manifest: JSON.parse(fs.readFileSync(path.join(summary.runDir, 'manifest.json'), 'utf8')) as Manifest,
  };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const range = (v: number[], d = 1) => `${Math.min(...v).toFixed(d)}–${Math.max(...v).toFixed(d)}`;

export interface ClusterBenchOptions {
  /** Simulator preset when no `data` is given (default paper). */
  preset?: string;
  /** A directory with a simulated scan (frames.npy + graph.json), used read-only instead of simulating one. */
  data?: string;
  chunkSize?: number;
  /** Repetitions of every configuration (medians are reported; default 3). */
  repeat?: number;
  /** Worker-process counts (default 1, 2, 3). */
  workers?: number[];
}

export async function bench(opts: ClusterBenchOptions = {}): Promise<BenchRow[]> {
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error('bench/cluster needs redis-server (apt-get install redis-server)');
  const data = opts.data ?? process.env.SNEM_BENCH_DATA;
  const repeat = opts.repeat ?? 3;
  const counts = opts.workers ?? [1, 2, 3];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-cluster-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const flush = () => spawnSync('redis-cli', ['-p', String(port), 'flushall']);
  try {
    let graphFile: string;
    let size: string;
    if (data) {
      graphFile = path.join(path.resolve(data), 'graph.json');
      if (!fs.existsSync(graphFile)) throw new Error(`bench/cluster: no graph.json in ${data}`);
      size = path.resolve(data);
    } else {
      const params = resolveSimParams(opts.preset ?? 'paper');
      await simulateToDir({ outDir: path.join(dir, 'data'), params, workers: Math.min(2, defaultWorkers()) });
      graphFile = path.join(dir, 'data', 'graph.json');
      size = `${params.ny} × ${params.nx} × ${params.size}²`;
    }
    if (!(await waitForRedis(port)))
      throw new Error(`bench/cluster: redis-server did not start on port ${port}`);
    const chunkArgs = opts.chunkSize ? ['--chunk-size', String(opts.chunkSize)] : [];
    // Every run starts from an empty cache and an empty Redis/store (each run is cold; each pays
    // the ~1 s dataset hash). Configurations are interleaved within a repetition so that a change in
    // the machine's load falls on all of them alike.
    const local: { wall: number; compute: number }[] = [];
    const clusterRuns = new Map<
      number,
      { pass: number; wall: number; jobs: number; requeued: number; compute: number; blobsMB: number }[]
    >(counts.map((n) => [n, []]));
    let reference: Manifest | null = null;
    let chunks = 0;
    const fresh = (name: string) => {
      const p = path.join(dir, name);
      fs.rmSync(p, { recursive: true, force: true });
      return p;
    };
    for (let rep = 0; rep < repeat; rep++) {
      const l = runCli([graphFile, '--out', fresh('local'), '--cache', fresh('cache-local'), ...chunkArgs]);
      if (reference) sameValues(reference, l.manifest);
      reference ??= l.manifest;
      chunks = Object.values(l.manifest.nodes).find((n) => n.chunks)?.chunks?.total ?? 0;
      local.push({ wall: l.summary.seconds, compute: frameComputeSeconds(l.manifest) });
      process.stderr.write(
        `bench cluster: repetition ${rep + 1}: local: whole run ${l.summary.seconds.toFixed(1)} s, ${chunks} chunks, ops' compute ${local.at(-1)!.compute.toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}\n`,
      );
      for (const n of counts) {
        flush();
        const store = fresh('store');
        fs.mkdirSync(store);
        const ws = await startWorkers(url, store, n);
        try {
          const res = runCli([
            graphFile,
            '--out',
            fresh('cluster'),
            '--cache',
            fresh('cache-cluster'),
            '--cluster',
            url,
            '--store',
            store,
            ...chunkArgs,
          ]);
          sameValues(reference, res.manifest);
          clusterRuns.get(n)!.push({
            pass: res.summary.cluster!.chunkPassSeconds,
            wall: res.summary.seconds,
            jobs: res.summary.cluster!.chunkJobsQueued,
            requeued: res.summary.cluster!.chunkJobsRequeued,
            compute: frameComputeSeconds(res.manifest),
            blobsMB: duBytes(store) / 2 ** 20,
          });
          const r = clusterRuns.get(n)!.at(-1)!;
          process.stderr.write(
            `bench cluster: repetition ${rep + 1}: ${n} worker(s): whole run ${r.wall.toFixed(1)} s, chunk passes ${r.pass.toFixed(1)} s, ${r.jobs} jobs${r.requeued ? ` (+${r.requeued} queued again)` : ''}, ops' compute ${r.compute.toFixed(1)} s, load ${os.loadavg()[0].toFixed(1)}\n`,
          );
        } finally {
          await stopWorkers(ws);
        }
      }
    }

    const load = os.loadavg()[0].toFixed(1);
    const localWall = median(local.map((r) => r.wall));
    const rows: BenchRow[] = [
      {
        name: `cluster: local run, ${os.availableParallelism()} threads (reference)`,
        value: localWall,
        unit: 's',
        note: `${size}, ${chunks} chunks; median of ${repeat} (${range(local.map((r) => r.wall))} s); frame ops' compute ${median(local.map((r) => r.compute)).toFixed(1)} s CPU; load ${load}`,
      },
    ];
    for (const n of counts) {
      const rs = clusterRuns.get(n)!;
      const pass = median(rs.map((r) => r.pass));
      const jobs = rs[0].jobs;
      const wall = median(rs.map((r) => r.wall));
      rows.push({
        name: `cluster: chunk passes, ${n} worker process${n > 1 ? 'es' : ''} × 1 thread`,
        value: pass,
        unit: 's',
        note: `median of ${repeat} (${range(rs.map((r) => r.pass))} s); ${jobs} jobs, ${(jobs / pass).toFixed(2)} chunk jobs/s; frame ops' compute ${median(rs.map((r) => r.compute)).toFixed(1)} s CPU; ${median(rs.map((r) => r.blobsMB)).toFixed(0)} MB of blobs; value hashes = local`,
      });
      rows.push({
        name: `cluster: whole run, ${n} worker process${n > 1 ? 'es' : ''} (vs local ${localWall.toFixed(1)} s)`,
        value: wall,
        unit: 's',
        note: `median of ${repeat} (${range(rs.map((r) => r.wall))} s); ${((wall / localWall - 1) * 100).toFixed(0)} % over the local run`,
      });
    }
    // Per-job overhead: with one worker thread the chunk passes are serial, so the wall time not
    // spent in the ops is the queue round trip, thread start-up, blob writes and verified reads.
    const one = clusterRuns.get(1);
    if (one) {
      const per = one.map((r) => ((r.pass - r.compute) / r.jobs) * 1000);
      rows.push({
        name: "cluster: per-job overhead (1 worker: chunk-pass wall − ops' compute, per job)",
        value: median(per),
        unit: 'ms',
        note: `median of ${repeat} (${range(per, 0)} ms)`,
      });
    }

    // Store throughput through the CLI: push a local run's cache into a fresh --store, pull it back.
    flush();
    const store = fresh('store-io');
    const cache = path.join(dir, 'cache-local');
    const push = JSON.parse(
      cli(['cache', 'push', '--cluster', url, '--store', store, '--cache', cache, '--json']),
    ) as { bytes: number; copied: number; seconds: number };
    const pull = JSON.parse(
      cli(['cache', 'pull', '--cluster', url, '--store', store, '--cache', fresh('pulled'), '--json']),
    ) as { bytes: number; seconds: number };
    const mb = (b: number) => b / 2 ** 20;
    rows.push({
      name: 'cluster: store write (cache push into --store DIR: temp + rename)',
      value: mb(push.bytes) / push.seconds,
      unit: 'MB/s',
      note: `${mb(push.bytes).toFixed(0)} MB, ${push.copied} results`,
    });
    rows.push({
      name: 'cluster: store read (cache pull from --store DIR: hash-verified, into LMDB)',
      value: mb(pull.bytes) / pull.seconds,
      unit: 'MB/s',
      note: `${mb(pull.bytes).toFixed(0)} MB; load ${os.loadavg()[0].toFixed(1)}`,
    });
    return rows;
  } finally {
    redis.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const opt = (k: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
  const rows = await bench({
    preset: opt('--preset'),
    data: opt('--data'),
    chunkSize: opt('--chunk-size') ? Number(opt('--chunk-size')) : undefined,
    repeat: opt('--repeat') ? Number(opt('--repeat')) : undefined,
    workers: opt('--workers')?.split(',').map(Number),
  });
  for (const r of rows)
    console.log(
      `${r.name}: ${r.value.toFixed(r.unit === 's' ? 2 : 1)} ${r.unit}${r.note ? ` — ${r.note}` : ''}`,
    );
  console.log(
    `nproc ${os.availableParallelism()}, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  process.exit(0);
}
