/**
 * Peak memory of a whole `snem run`: the simulator preset (paper: 289 × 132 = 38,148 patterns of
 * 144 × 144, 791 MB) and its reference graph (snem-bmg, 31 nodes), run from an empty cache and
 * then fully cached, each in a child process, with PNGs and report.html. Figures: the child's
 * peak resident set (getrusage maxrss: heap, worker threads, array buffers and the pages of the
 * LMDB cache file it touched) and wall time. Target: < 1 GB for both. Needs ~2 GB of temporary
 * disk (data, cache, run directories), deleted afterwards.
 *
 *   node --import tsx bench/run-memory.ts [--preset paper]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSimParams } from '../sim/presets.ts';
import { defaultWorkers, simulateToDir } from '../sim/write.ts';
import type { BenchRow } from './types.ts';

const self = fileURLToPath(import.meta.url);

interface ChildResult {
  maxRssMB: number;
  seconds: number;
  computed: number;
}

/** One run in a fresh process (so the peak is this run's alone). */
function runChild(graph: string, outDir: string, cacheDir: string): ChildResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', graph, outDir, cacheDir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

export async function bench(opts: { preset?: string } = {}): Promise<BenchRow[]> {
  const params = resolveSimParams(opts.preset ?? 'paper');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-runmem-'));
  try {
    await simulateToDir({ outDir: path.join(dir, 'data'), params, workers: Math.min(2, defaultWorkers()) });
    const graph = path.join(dir, 'data', 'graph.json');
    const cache = path.join(dir, 'cache');
    const first = runChild(graph, path.join(dir, 'run1'), cache);
    fs.rmSync(path.join(dir, 'run1'), { recursive: true, force: true });
    const again = runChild(graph, path.join(dir, 'run2'), cache);
    if (again.computed) throw new Error('the second run was not fully cached');
    const size = `${params.ny} × ${params.nx} × ${params.size}², ${os.availableParallelism()} workers`;
    return [
      {
        name: `run memory: peak RSS, ${params.preset} preset from an empty cache`,
        value: first.maxRssMB,
        unit: 'MB',
        target: '< 1000 MB',
        note: `${size}; ${first.seconds.toFixed(1)} s wall`,
      },
      {
        name: `run memory: peak RSS, ${params.preset} preset fully cached`,
        value: again.maxRssMB,
        unit: 'MB',
        target: '< 1000 MB',
        note: `${again.seconds.toFixed(1)} s wall`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function child(graph: string, outDir: string, cacheDir: string) {
  const { runGraph } = await import('../app/run.ts');
  const t0 = performance.now();
  const res = await runGraph({ graphFile: graph, outDir, cacheDir, quiet: true });
  const result: ChildResult = {
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    seconds: (performance.now() - t0) / 1000,
    computed: Object.values(res.manifest.nodes).filter((n) => n.status === 'computed').length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && self === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') await child(args[1], args[2], args[3]);
  else {
    const preset = args[0] === '--preset' ? args[1] : undefined;
    for (const r of await bench({ preset }))
      console.log(
        `${r.name}: ${r.value.toFixed(0)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}${r.note ? ` — ${r.note}` : ''}`,
      );
  }
}
