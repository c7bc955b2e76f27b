/**
 * The edit loop at paper size (issue 13), through the CLI as a user runs it: a cold run of the
 * simulator's graph from an empty cache, fully cached re-runs, one-QoI edits (`--set r1.range`),
 * `snem plan`, the start-up of `snem --help` / `nodes` / `validate` against a bare `node -e 0`,
 * and the disk an edit's run directory adds to the cold one (hard links counted once, as `du`
 * over both does). Each figure is the median of `--runs` runs (default 3; cold runs each start
 * from an empty cache), wall time and peak RSS of the child process; the load average is recorded.
 *
 *   node --import tsx bench/edit-loop.ts [--data DIR] [--preset paper] [--runs 3] [--cold-runs 3]
 *   snem bench --only edit-loop          (simulates the preset into a temporary directory)
 *
 * --data DIR (or SNEM_BENCH_DATA=DIR) uses DIR/graph.json (and its frames.npy) as written by `snem simulate` instead of
 * simulating; all caches and run directories go to a temporary directory, deleted afterwards.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const snem = path.join(root, 'cli', 'snem.js');
const TIME = '/usr/bin/time';

interface Timed {
  seconds: number;
  /** Peak resident set of the child, MB (NaN without /usr/bin/time). */
  rssMB: number;
  stdout: string;
  /** With SNEM_TIMING=1: wall ms per step of the run (engine/timing.ts lines on stderr). */
  steps: Record<string, number>;
}

/** `timing: STEP  +Δ ms  (T ms)  cpu +C ms` lines → STEP → Δ. */
function timingSteps(stderr: string): Record<string, number> {
  const steps: Record<string, number> = {};
  for (const m of stderr.matchAll(/^timing: (.+?)\s+\+\s*(\d+) ms/gm)) steps[m[1]] = Number(m[2]);
  return steps;
}

/** One child process, timed; throws with its stderr if it fails. */
function timed(args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const withTime = fs.existsSync(TIME);
  const t0 = performance.now();
  const r = withTime
    ? spawnSync(TIME, ['-f', '%M', process.execPath, ...args], { encoding: 'utf8', env, maxBuffer: 64 << 20 })
    : spawnSync(process.execPath, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0)
    throw new Error(`node ${args.join(' ')} exited with ${r.status}: ${r.stderr.slice(-2000)}`);
  const rssKB = withTime ? Number(r.stderr.trim().split('\n').pop()) : NaN;
  return { seconds, rssMB: rssKB / 1024, stdout: r.stdout, steps: timingSteps(r.stderr) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Disk used by the files under the given directories, each inode once (as `du` over all of them). */
export function diskUse(dirs: string[]): number {
  const seen = new Set<string>();
  let bytes = 0;
  const walk = (p: string) => {
    const st = fs.lstatSync(p, { bigint: false });
    const id = `${st.dev}:${st.ino}`;
    if (seen.has(id)) return;
    seen.add(id);
    bytes += st.blocks * 512;
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
  };
  dirs.forEach(walk);
  return bytes;
}

const load = () => os.loadavg()[0].toFixed(1);

export async function bench(
  opts: { preset?: string; data?: string; runs?: number; coldRuns?: number } = {},
): Promise<BenchRow[]> {
  const runs = Math.max(1, opts.runs ?? 3);
  const coldRuns = Math.max(1, opts.coldRuns ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-edit-'));
  try {
    let dataDir = opts.data ?? process.env.SNEM_BENCH_DATA;
    if (!dataDir) {
      dataDir = path.join(dir, 'data');
      timed([snem, 'simulate', '--preset', opts.preset ?? 'paper', '--out', dataDir, '--quiet']);
    }
    const graph = path.join(dataDir, 'graph.json');
    const run = (cache: string, out: string, sets: string[] = [], env: NodeJS.ProcessEnv = process.env) => {
      const t = timed(
        [snem, 'run', graph, '--cache', cache, '--out', out, '--json', ...sets.flatMap((s) => ['--set', s])],
        env,
      );
      return { ...t, summary: JSON.parse(t.stdout) as { computed: number; cached: number; cutoff: number } };
    };
    const loads: string[] = [load()];

    // cold: each from an empty cache; the last cache and run directory stay for what follows
    const cold: Timed[] = [];
    let cache = '';
    let coldDir = '';
    for (let i = 0; i < coldRuns; i++) {
      if (cache) fs.rmSync(cache, { recursive: true, force: true });
      if (coldDir) fs.rmSync(coldDir, { recursive: true, force: true });
      cache = path.join(dir, `cache-${i}`);
      coldDir = path.join(dir, `cold-${i}`);
      cold.push(run(cache, coldDir));
    }
    loads.push(load());
    const cached = Array.from({ length: runs }, (_, i) => {
      const r = run(cache, path.join(dir, `cached-${i}`));
      if (r.summary.computed) throw new Error(`cached run ${i} computed ${r.summary.computed} nodes`);
      return r;
    });
    loads.push(load());
    // a different range each time, so every edit recomputes (the first is the issue's)
    // with timing lines (engine/timing.ts): where the edit's time goes, step by step
    const timingEnv = { ...process.env, SNEM_TIMING: '1' };
    const edits = Array.from({ length: runs }, (_, i) =>
      run(cache, path.join(dir, `edit-${i}`), [`r1.range=[${(2.3 + 0.01 * i).toFixed(2)},3.3]`], timingEnv),
    );
    for (const e of edits) if (!e.summary.computed) throw new Error('an edit run recomputed nothing');
    const coldBytes = diskUse([coldDir]);
    const added = edits.map((_, i) => diskUse([coldDir, path.join(dir, `edit-${i}`)]) - coldBytes);
    loads.push(load());
    const plans = Array.from({ length: runs }, () => timed([snem, 'plan', graph, '--cache', cache]));
    const start = (args: string[]) => median(Array.from({ length: runs }, () => timed(args).seconds));
    const bare = start(['-e', '0']);
    const help = start([snem, '--help']);
    const nodes = start([snem, 'nodes']);
    const validate = start([snem, 'validate', graph]);
    loads.push(load());

    const coldS = median(cold.map((c) => c.seconds));
    const pct = (s: number) => `${((100 * s) / coldS).toFixed(1)} % of cold`;
    const note = `load ${loads.join(' → ')}, ${os.availableParallelism()} cores`;
    const mb = (b: number) => b / 2 ** 20;
    return [
      {
        name: 'edit loop: cold run (empty cache)',
        value: coldS,
        unit: 's',
        note: `${coldRuns} runs, peak RSS ${median(cold.map((c) => c.rssMB)).toFixed(0)} MB; ${note}`,
      },
      {
        name: 'edit loop: fully cached re-run',
        value: median(cached.map((c) => c.seconds)),
        unit: 's',
        target: '≤ 3 % of cold',
        note: `${pct(median(cached.map((c) => c.seconds)))}, peak RSS ${median(cached.map((c) => c.rssMB)).toFixed(0)} MB`,
      },
      {
        name: 'edit loop: one-QoI edit (--set r1.range)',
        value: median(edits.map((c) => c.seconds)),
        unit: 's',
        target: '≤ 5 % of cold',
        note: `${pct(median(edits.map((c) => c.seconds)))}, peak RSS ${median(edits.map((c) => c.rssMB)).toFixed(0)} MB, ${edits[0].summary.computed} nodes computed`,
      },
      {
        name: 'edit loop: one-QoI edit, by step',
        value: median(edits.map((c) => c.seconds)),
        unit: 's',
        note: Object.keys(edits[0].steps)
          .map(
            (k) =>
              `${k.replace(/^(run|report): /, '')} ${(median(edits.map((e) => e.steps[k] ?? NaN)) / 1000).toFixed(2)}`,
          )
          .join(', '),
      },
      {
        name: 'edit loop: disk the edit run directory adds',
        value: mb(median(added)),
        unit: 'MB',
        target: '≤ 10 % of cold',
        note: `${((100 * median(added)) / coldBytes).toFixed(1)} % of the cold run directory's ${mb(coldBytes).toFixed(0)} MB`,
      },
      {
        name: 'edit loop: snem plan',
        value: median(plans.map((p) => p.seconds)),
        unit: 's',
        target: '≤ 0.5 s',
      },
      { name: 'start-up: node -e 0', value: bare, unit: 's' },
      {
        name: 'start-up: snem --help',
        value: help,
        unit: 's',
        target: '≤ 5× node -e 0',
        note: `${(help / bare).toFixed(1)}×`,
      },
      {
        name: 'start-up: snem nodes',
        value: nodes,
        unit: 's',
        target: '≤ 5× node -e 0',
        note: `${(nodes / bare).toFixed(1)}×`,
      },
      {
        name: 'start-up: snem validate',
        value: validate,
        unit: 's',
        target: '≤ 5× node -e 0',
        note: `${(validate / bare).toFixed(1)}×`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  for (const r of await bench({
    data: arg('--data'),
    preset: arg('--preset'),
    runs: num('--runs'),
    coldRuns: num('--cold-runs'),
  })) {
    console.log(
      `${r.name}: ${r.value.toFixed(3)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}${r.note ? ` — ${r.note}` : ''}`,
    );
  }
}
