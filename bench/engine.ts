/**
 * Engine overhead: a 10-node graph over a paper-size scan (289 × 132 = 38,148 positions, chunks of
 * 256). The first run computes; the timed runs are fully cached, so they measure hashing, lookups,
 * output assembly and writing — the engine's own cost. Target: < 2 s per fully cached run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGraph } from '../app/run.ts';
import type { BenchRow } from './types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function bench(opts: { repeats?: number } = {}): Promise<BenchRow[]> {
  process.env.SNEM_OPS = [process.env.SNEM_OPS, path.join(here, '../test/fixtures/toy-ops.ts')]
    .filter(Boolean)
    .join(',');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-engine-'));
  const nodes: Record<string, object> = { src: { op: 'toy.source', params: { ny: 289, nx: 132 } } };
  let prev = 'src';
  for (let i = 1; i <= 6; i++) {
    nodes[`s${i}`] = { op: 'toy.scale', in: { in: prev }, params: { gain: 1 + i / 10 } };
    prev = `s${i}`;
  }
  nodes.sumA = { op: 'toy.sum', in: { in: 's3' } };
  nodes.sumB = { op: 'toy.sum', in: { in: 's6' } };
  nodes.mean = { op: 'toy.mean', in: { in: 'sumB' } };
  const graph = {
    snem: 1 as const,
    name: 'bench-engine',
    chunkSize: 256,
    nodes,
    outputs: ['sumA', 'sumB', 'mean'],
  } as never;
  const cacheDir = path.join(dir, 'cache');
  try {
    const t0 = performance.now();
    await runGraph({ graph, cacheDir, outDir: path.join(dir, 'run0'), quiet: true, noReport: true });
    const first = (performance.now() - t0) / 1000;
    const times: number[] = [];
    for (let r = 0; r < (opts.repeats ?? 5); r++) {
      const t = performance.now();
      const res = await runGraph({
        graph,
        cacheDir,
        outDir: path.join(dir, `run${r + 1}`),
        quiet: true,
        noReport: true,
      });
      times.push((performance.now() - t) / 1000);
      if (Object.values(res.manifest.nodes).some((n) => n.status === 'computed'))
        throw new Error('benchmark run was not fully cached');
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    return [
      {
        name: 'engine: fully cached run, 10 nodes × 38,148 positions (150 chunks)',
        value: median,
        unit: 's',
        target: '< 2 s',
        note: `median of ${times.length}; first (computing) run ${first.toFixed(2)} s`,
      },
      {
        name: 'engine: overhead per chunk per node (cached)',
        value: (median / (150 * 10)) * 1e3,
        unit: 'ms',
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await bench())
    console.log(
      `${r.name}: ${r.value.toFixed(3)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}${r.note ? ` — ${r.note}` : ''}`,
    );
}
