/**
 * `snem export RUN_DIR --node NAME [--format npy|tiff|csv|h5] [--to PATH]`: a node's result in a
 * format other tools open (ImageJ/Fiji for TIFF, pandas/Excel for CSV, h5py/HDFView for HDF5).
 */
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../../report/exports/formats.ts';
import { handle } from '../handler.ts';

interface ExportArgs {
  run: string;
  node?: string;
  format: ExportFormat;
  to?: string;
  cut?: string;
  at?: string;
  cache?: string;
}

function ints(s: string, n: number | null, flag: string): number[] {
  const v = s
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
  if (v.some((x) => !Number.isInteger(x) || x < 0) || (n !== null && v.length !== n)) {
    throw new UserError(
      `${flag} ${s}: expected ${n ?? 'pairs of'} non-negative integers separated by commas`,
    );
  }
  return v;
}

export const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export <run>',
  describe: "export a node's result (written into the run, or from the cache) as npy, TIFF, CSV or HDF5",
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        demandOption: true,
        describe: 'run directory (has manifest.json)',
      })
      .option('node', {
        type: 'string',
        describe: 'node id (h5 without --node exports every output of the run)',
      })
      .option('format', {
        choices: EXPORT_FORMATS,
        default: 'npy' as ExportFormat,
        describe: 'npy (+ axis), tiff (32-bit float maps), csv, h5 (HDF5)',
      })
      .option('to', {
        type: 'string',
        describe: 'output directory (default .) or file name when one file results',
      })
      .option('cut', { type: 'string', describe: 'CSV along a line cut: y0,x0,y1,x1 (scan positions)' })
      .option('at', { type: 'string', describe: 'CSV of curves at positions only: iy,ix;iy,ix;…' })
      .option('cache', { type: 'string', describe: 'cache directory (default .snem-cache or $SNEM_CACHE)' })
      .example(
        'snem export runs/r1 --node peak --format tiff --to peak.tif',
        'a float TIFF that opens calibrated in Fiji',
      )
      .example(
        'snem export runs/r1 --format h5 --to r1.h5',
        'every output of the run, with the manifest as attributes',
      ),
  handler: handle(async (a: ExportArgs) => {
    const { exportRun } = await import('../../report/exports/export-node.ts');
    const cut = a.cut ? (ints(a.cut, 4, '--cut') as [number, number, number, number]) : undefined;
    const at = a.at
      ? a.at
          .split(';')
          .filter(Boolean)
          .map((p) => {
            const [iy, ix] = ints(p, 2, '--at');
            return { iy, ix };
          })
      : undefined;
    const r = await exportRun(a.run, {
      node: a.node,
      format: a.format,
      to: a.to,
      cut,
      at,
      cacheDir: a.cache,
    });
    process.stdout.write(`exported from the ${r.source}:\n${r.files.map((f) => `  ${f}`).join('\n')}\n`);
  }),
};
