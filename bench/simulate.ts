/**
 * Simulator throughput: the paper preset (289 × 132 = 38,148 patterns, 144 × 144 uint8, 791 MB)
 * written to a temporary directory with worker threads, deleted afterwards. Target ≥ 2,000
 * patterns/s on 2 cores. The figure counts frames only (render + write); truth and meta are timed
 * separately.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSimParams } from '../sim/presets.ts';
import { Renderer } from '../sim/render.ts';
import { defaultWorkers, simulateToDir } from '../sim/write.ts';
import type { BenchRow } from './types.ts';

export async function bench(
  opts: { repeats?: number; workers?: number; preset?: string } = {},
): Promise<BenchRow[]> {
  const params = resolveSimParams(opts.preset ?? 'paper');
  const workers = opts.workers ?? Math.min(2, defaultWorkers());
  const rates: number[] = [];
  const totals: number[] = [];
  for (let r = 0; r < (opts.repeats ?? 3); r++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-sim-'));
    try {
      const res = await simulateToDir({ outDir: dir, params, workers });
      rates.push(res.patterns / res.frameSeconds);
      totals.push(res.seconds);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const n = params.ny * params.nx;
  // CPU time per pattern in one thread (render only): on a shared machine wall-clock rates understate
  // what two free cores do; CPU time shows the cost itself.
  const renderer = new Renderer(params);
  const buf = new Uint8Array(256 * params.size * params.size);
  renderer.renderRange(0, 256, buf);
  const cpu: number[] = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let s = 0; s < 1024; s += 256) renderer.renderRange((r * 4099 + s) % (n - 256), 256, buf);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1024);
  }
  return [
    {
      name: `simulate: ${params.preset} preset, ${params.ny}×${params.nx} patterns of ${params.size}×${params.size} uint8, ${workers} workers`,
      value: median(rates),
      unit: 'patterns/s',
      target: '≥ 2000',
      note: `median of ${rates.length} runs (${rates.map((x) => x.toFixed(0)).join(', ')}); worker start-up included`,
    },
    {
      name: `simulate: ${params.preset} preset end to end (frames + truth + meta)`,
      value: median(totals),
      unit: 's',
      note: `${n} patterns, ${((n * params.size * params.size) / 1e6).toFixed(0)} MB`,
    },
    {
      name: 'simulate: CPU time per pattern, one thread (render + Poisson)',
      value: median(cpu),
      unit: 'µs',
      note: `median of ${cpu.length}; ⇒ ${((2 * 1e6) / median(cpu)).toFixed(0)} patterns/s on 2 free cores`,
    },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await bench())
    console.log(
      `${r.name}: ${r.value.toFixed(1)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}${r.note ? ` — ${r.note}` : ''}`,
    );
}
