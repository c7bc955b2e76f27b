/**
 * The cluster on one machine: a simulated scan (paper preset: 289 × 132 patterns of 144², 791 MB;
 * 149 chunks of 256) through its reference graph, locally and with 1, 2 and 3 `snem worker`
 * processes (one thread each) over a private Redis on loopback, blobs in a --store directory.
 *
 * Figures: the wall time of the frame passes (the part the cluster distributes; dataset-level
 * nodes run in the coordinator either way), the queue's chunk jobs per second, the per-job
 * overhead (frame-pass wall with one worker minus the ops' own compute time, per job), and the
 * shared store's MB/s (`snem cache push` of the local run's cache into the --store directory,
 * `snem cache pull` of it into an empty cache: hash-verified reads). Every cluster run is checked
 * against the local run: the same value hash for every node. Everything runs through the CLI, as
 * on a real cluster (bench/ may not import cluster/: both are front ends).
 *
 *   node --import tsx bench/cluster.ts [--preset paper|demo] [--chunk-size N]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Manifest } from '../engine/run-types.ts';
import { resolveSimParams } from '../sim/presets.ts';
import { defaultWorkers, simulateToDir } from '../sim/write.ts';
import type { BenchRow } from './types.ts';

const snem = fileURLToPath(new URL('../cli/snem.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds the frame ops themselves spent (the manifest's per-node seconds sum their chunks). */
function frameComputeSeconds(m: Manifest): number {
  return Object.values(m.nodes)
    .filter((n) => n.scope === 'frame')
    .reduce((s, n) => s + n.seconds, 0);
}

function sameValues(a: Manifest, b: Manifest): void {
  for (const [id, n] of Object.entries(a.nodes)) {
    if (b.nodes[id]?.valueHash !== n.valueHash) throw new Error(`cluster run differs from the local run at node '${id}'`);
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
  const ws = Array.from({ length: n }, () => spawn(process.execPath, [snem, 'worker', '--cluster', url, '--store', store, '--concurrency', '1'], { stdio: ['ignore', 'ignore', 'pipe'] }));
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
  await Promise.all(ws.map((w) => new Promise<void>((resolve) => (w.exitCode !== null ? resolve() : (w.once('exit', () => resolve()), w.kill('SIGTERM'))))));
}

interface RunSummary {
  runDir: string;
  seconds: number;
  cluster?: { chunkJobsQueued: number; chunkPassSeconds: number };
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [snem, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`snem ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function runCli(args: string[]): { summary: RunSummary; manifest: Manifest } {
  const summary = JSON.parse(cli(['run', ...args, '--json', '--no-report'])) as RunSummary;
  return { summary, manifest: JSON.parse(fs.readFileSync(path.join(summary.runDir, 'manifest.json'), 'utf8')) as Manifest };
}

export async function bench(opts: { preset?: string; chunkSize?: number } = {}): Promise<BenchRow[]> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('bench/cluster needs redis-server (apt-get install redis-server)');
  const params = resolveSimParams(opts.preset ?? 'paper');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-cluster-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  try {
    await simulateToDir({ outDir: path.join(dir, 'data'), params, workers: Math.min(2, defaultWorkers()) });
    for (let i = 0; i < 100 && spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim() !== 'PONG'; i++) await sleep(100);
    const graphFile = path.join(dir, 'data', 'graph.json');
    const chunkArgs = opts.chunkSize ? ['--chunk-size', String(opts.chunkSize)] : [];
    // One local cache for every run: the dataset file is hashed once (cluster runs keep only their
    // run record there; their results go to the shared store).
    const cache = path.join(dir, 'cache');

    const t0 = performance.now();
    const local = runCli([graphFile, '--out', path.join(dir, 'local'), '--cache', cache, ...chunkArgs]);
    const localWall = (performance.now() - t0) / 1000;
    const chunks = Object.values(local.manifest.nodes).find((n) => n.chunks)?.chunks?.total ?? 0;
    const rows: BenchRow[] = [
      {
        name: `cluster: local run, ${os.availableParallelism()} threads (reference)`,
        value: local.summary.seconds,
        unit: 's',
        note: `${params.ny} × ${params.nx} × ${params.size}², ${chunks} chunks; frame ops' compute ${frameComputeSeconds(local.manifest).toFixed(1)} s CPU; process wall ${localWall.toFixed(1)} s`,
      },
    ];

    let overheadMs = NaN;
    for (const n of [1, 2, 3]) {
      spawnSync('redis-cli', ['-p', String(port), 'flushall']);
      const store = path.join(dir, `store-${n}`);
      fs.mkdirSync(store);
      const ws = await startWorkers(url, store, n);
      try {
        const res = runCli([graphFile, '--out', path.join(dir, `cluster-${n}`), '--cache', cache, '--cluster', url, '--store', store, ...chunkArgs]);
        sameValues(local.manifest, res.manifest);
        const pass = res.summary.cluster!.chunkPassSeconds;
        const jobs = res.summary.cluster!.chunkJobsQueued;
        const compute = frameComputeSeconds(res.manifest);
        if (n === 1) overheadMs = ((pass - compute) / jobs) * 1000;
        rows.push({
          name: `cluster: chunk passes, ${n} worker process${n > 1 ? 'es' : ''} × 1 thread`,
          value: pass,
          unit: 's',
          note: `${jobs} jobs, ${(jobs / pass).toFixed(2)} jobs/s; frame ops' compute ${compute.toFixed(1)} s CPU; ${(duBytes(store) / 2 ** 20).toFixed(0)} MB of blobs; whole run ${res.summary.seconds.toFixed(1)} s; value hashes = local`,
        });
      } finally {
        await stopWorkers(ws);
      }
    }
    rows.push({ name: 'cluster: per-job overhead (1 worker: chunk-pass wall − ops\' compute, per job)', value: overheadMs, unit: 'ms' });

    // Store throughput through the CLI: push the local run's cache into a fresh --store, pull it back.
    spawnSync('redis-cli', ['-p', String(port), 'flushall']);
    const store = path.join(dir, 'store-io');
    const push = JSON.parse(cli(['cache', 'push', '--cluster', url, '--store', store, '--cache', cache, '--json'])) as { bytes: number; copied: number; seconds: number };
    const pull = JSON.parse(cli(['cache', 'pull', '--cluster', url, '--store', store, '--cache', path.join(dir, 'pulled'), '--json'])) as { bytes: number; seconds: number };
    const mb = (b: number) => b / 2 ** 20;
    rows.push({ name: 'cluster: store write (cache push into --store DIR: temp + rename)', value: mb(push.bytes) / push.seconds, unit: 'MB/s', note: `${mb(push.bytes).toFixed(0)} MB, ${push.copied} results` });
    rows.push({ name: 'cluster: store read (cache pull from --store DIR: hash-verified, into LMDB)', value: mb(pull.bytes) / pull.seconds, unit: 'MB/s', note: `${mb(pull.bytes).toFixed(0)} MB` });
    return rows;
  } finally {
    redis.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const opt = (k: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
  const rows = await bench({ preset: opt('--preset'), chunkSize: opt('--chunk-size') ? Number(opt('--chunk-size')) : undefined });
  for (const r of rows) console.log(`${r.name}: ${r.value.toFixed(r.unit === 's' ? 2 : 1)} ${r.unit}${r.note ? ` — ${r.note}` : ''}`);
  console.log(`nproc ${os.availableParallelism()}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  process.exit(0);
}
