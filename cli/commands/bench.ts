/**
 * `snem bench`: every benchmark module in bench/ (each exports `bench(opts)` → rows), printed as a
 * table and written as JSON. Figures are medians of several runs; the core count is recorded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandModule } from 'yargs';
import type { BenchRow } from '../../bench/types.ts';
import { handle } from '../handler.ts';

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench');

interface BenchArgs {
  only?: string[];
  preset: string;
  data?: string;
  out: string;
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  command: 'bench',
  describe: 'run the performance benchmarks; print a table and write JSON',
  builder: (y) =>
    y
      .option('only', {
        type: 'string',
        array: true,
        describe:
          'benchmark modules to run (engine, chain, fit-nmf, structure, simulate, read-memory, run-memory, crystal, map-register, edit-loop, cluster)',
      })
      .option('preset', {
        type: 'string',
        default: 'paper',
        describe: 'data size preset for benchmarks that generate data',
      })
      .option('data', {
        type: 'string',
        describe:
          'an existing simulated scan directory (frames.npy + graph.json), read-only, for benchmarks that accept one (cluster)',
      })
      .option('out', {
        type: 'string',
        default: 'bench-results',
        describe: 'directory for the JSON results',
      }) as never,
  handler: handle(async (a: BenchArgs) => {
    const mods = fs
      .readdirSync(benchDir)
      .filter((f) => f.endsWith('.ts') && f !== 'types.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .filter((m) => !a.only || a.only.includes(m));
    const all: (BenchRow & { module: string })[] = [];
    for (const m of mods) {
      const mod = (await import(pathToFileURL(path.join(benchDir, `${m}.ts`)).href)) as {
        bench?: (o: object) => Promise<BenchRow[]>;
      };
      if (typeof mod.bench !== 'function') continue;
      process.stderr.write(`bench ${m} …\n`);
      try {
        for (const r of await mod.bench({ preset: a.preset, data: a.data })) {
          all.push({ module: m, ...r });
          process.stdout.write(
            `${r.name.padEnd(70)} ${r.value.toPrecision(4).padStart(10)} ${r.unit.padEnd(10)} ${r.target ?? ''}${r.note ? `  (${r.note})` : ''}\n`,
          );
        }
      } catch (e) {
        process.stdout.write(`${m}: failed: ${(e as Error).message}\n`);
      }
    }
    fs.mkdirSync(a.out, { recursive: true });
    const file = path.join(a.out, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify(
        { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, node: process.version, rows: all },
        null,
        2,
      ),
    );
    process.stdout.write(
      `\n${os.availableParallelism()} cores (${os.cpus()[0]?.model}); results in ${file}\n`,
    );
  }),
};
