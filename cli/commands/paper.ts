/**
 * `snem paper` (npm run paper): simulate the specimen, run every graph of graphs/paper/ and write
 * paper.html laid out as the reference study's figures (app/paper.ts).
 */
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

interface PaperArgs {
  preset: 'paper' | 'demo' | 'tiny';
  out: string;
  seed?: number;
  workers?: number;
  only?: string;
  quiet?: boolean;
}

export const paperCommand: CommandModule<object, PaperArgs> = {
  command: 'paper',
  describe:
    "simulate the specimen, run graphs/paper/ and write paper.html with the reference study's figures",
  builder: (y) =>
    y
      .option('preset', {
        choices: ['paper', 'demo', 'tiny'] as const,
        default: 'paper' as const,
        describe: 'simulator preset (paper: 289 × 132 positions as the study)',
      })
      .option('out', {
        type: 'string',
        default: 'paper-out',
        describe: 'directory for the data, the cache, the runs and paper.html',
      })
      .option('seed', { type: 'number', describe: "simulator seed (default the preset's)" })
      .option('workers', { type: 'number', describe: 'worker threads' })
      .option('only', {
        type: 'string',
        describe: 'comma-separated figure ids (fig2d, fig3-4, fig5, fig6, fig7, fig8, fig9, fig10, figS10)',
      })
      .option('quiet', { type: 'boolean', default: false }) as never,
  handler: handle(async (a: PaperArgs) => {
    const { makePaper } = await import('../../app/paper.ts');
    const r = await makePaper({
      preset: a.preset,
      outDir: a.out,
      seed: a.seed,
      workers: a.workers,
      only: a.only ? a.only.split(',').map((s) => s.trim()) : undefined,
      log: a.quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
    });
    process.stdout.write(
      `${r.html}\n${r.panels} panels, ${r.problems.length} problems, ${r.seconds.toFixed(1)} s\n`,
    );
    for (const p of r.problems) process.stdout.write(`  problem: ${p}\n`);
    if (r.problems.length) process.exitCode = 1;
  }),
};
