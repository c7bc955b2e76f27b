/** `snem simulate --out DIR`: write a simulated dataset with ground truth (sim/). */
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { parseScan, PRESETS, resolveSimParams, type SimOverrides } from '../../sim/presets.ts';
import { handle } from '../handler.ts';

interface SimulateArgs {
  out: string;
  preset: string;
  seed?: number;
  scan?: string;
  size?: number;
  dose?: number;
  descan?: string;
  specimen?: string;
  workers?: number;
  quiet?: boolean;
  json?: boolean;
}

/** Simulator params from the CLI flags (shared with `snem demo`). */
export function simParamsFromArgs(a: Omit<SimulateArgs, 'out'>) {
  const o: SimOverrides = {};
  if (a.specimen) {
    let extra: unknown;
    try {
      extra = JSON.parse(a.specimen);
    } catch (e) {
      throw new UserError(
        `--specimen: not valid JSON (${(e as Error).message}); expected e.g. '{"zrInterface": 0.5}'`,
      );
    }
    if (!extra || typeof extra !== 'object' || Array.isArray(extra))
      throw new UserError('--specimen: expected a JSON object of simulator parameters');
    Object.assign(o, extra);
  }
  if (a.seed !== undefined) o.seed = a.seed;
  if (a.scan) Object.assign(o, parseScan(a.scan));
  if (a.size !== undefined) o.size = a.size;
  if (a.dose !== undefined) o.dose = a.dose;
  if (a.descan) {
    const parts = a.descan.split(',').map(Number);
    if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x)))
      throw new UserError(`--descan: expected "DCOL,DROW" in px, got '${a.descan}'`);
    o.descan = [parts[0], parts[1]];
  }
  return resolveSimParams(a.preset, o);
}

export const simulateCommand: CommandModule<object, SimulateArgs> = {
  command: 'simulate',
  describe:
    'write a simulated Ni / Zr–X glass / Ni dataset with ground truth (frames.npy, meta.json, truth/, graph.json)',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'output directory' })
      .option('preset', {
        type: 'string',
        default: 'demo',
        choices: Object.keys(PRESETS),
        describe: 'demo (32×48 scan) or paper (289×132, 791 MB)',
      })
      .option('seed', { type: 'number', describe: 'random seed (default 1)' })
      .option('scan', { type: 'string', describe: 'scan shape NYxNX, e.g. 64x96' })
      .option('size', { type: 'number', describe: 'detector side in px (default 144)' })
      .option('dose', {
        type: 'number',
        describe: 'expected counts per pixel at the amorphous-ring maximum (default 90)',
      })
      .option('descan', {
        type: 'string',
        describe: 'per-position centre shift across the scan, "DCOL,DROW" px',
      })
      .option('specimen', {
        type: 'string',
        describe: 'JSON object of further simulator params (sim/presets.ts), e.g. \'{"zrInterface":0.5}\'',
      })
      .option('workers', {
        type: 'number',
        describe: 'worker threads (default: the number of cores, at most 8)',
      })
      .option('quiet', { type: 'boolean', default: false })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' }) as never,
  handler: handle(async (a: SimulateArgs) => {
    const params = simParamsFromArgs(a);
    const { simulateToDir } = await import('../../sim/write.ts');
    const res = await simulateToDir({
      outDir: a.out,
      params,
      workers: a.workers,
      log: a.quiet || a.json ? undefined : (m) => process.stderr.write(`${m}\n`),
    });
    const summary = {
      out: res.outDir,
      preset: params.preset,
      scan: [params.ny, params.nx],
      size: params.size,
      seed: params.seed,
      patterns: res.patterns,
      seconds: Number(res.seconds.toFixed(2)),
      patternsPerSecond: Math.round(res.patterns / res.frameSeconds),
      paramsHash: res.paramsHash,
    };
    if (a.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else
      process.stdout.write(
        `simulated ${summary.patterns} patterns (${params.ny}×${params.nx}, ${params.size}×${params.size} px) into ${res.outDir} in ${summary.seconds} s (${summary.patternsPerSecond} patterns/s)\n`,
      );
  }),
};
