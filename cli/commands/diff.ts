/** `snem diff A B`: compare two graphs or two run directories. */
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { handle } from '../handler.ts';

interface DiffArgs {
  a: string;
  b: string;
  out?: string;
  json: boolean;
}

export const diffCommand: CommandModule<object, DiffArgs> = {
  command: 'diff <a> <b>',
  describe:
    'compare two graphs or two run directories (params, what recomputes; per output max |Δ|, RMS, Pearson r, difference arrays)',
  builder: (y) =>
    y
      .positional('a', { type: 'string', demandOption: true })
      .positional('b', { type: 'string', demandOption: true })
      .option('out', {
        type: 'string',
        describe: 'where to write difference arrays (runs only; default B/diff-vs-A)',
      })
      .option('json', { type: 'boolean', default: false }) as never,
  handler: handle(async (a: DiffArgs) => {
    const { diffGraphs, diffOutputs, graphOf } = await import('../../app/diff.ts');
    const ga = graphOf(a.a);
    const gb = graphOf(a.b);
    if (ga.isRun !== gb.isRun)
      throw new UserError(
        `diff: compare two graph files or two run directories, not one of each (${a.a}, ${a.b})`,
      );
    const g = diffGraphs(ga.doc, gb.doc);
    const outputs = ga.isRun
      ? diffOutputs(
          a.a,
          a.b,
          a.out ??
            `${a.b}/diff-vs-${a.a
              .replace(/[\\/]+$/, '')
              .split('/')
              .pop()}`,
        )
      : [];
    if (a.json) {
      process.stdout.write(
        `${JSON.stringify({ ...g, outputs }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
      );
      return;
    }
    if (!g.changes.length) process.stdout.write('graphs: no changes\n');
    for (const c of g.changes) process.stdout.write(`${c.change.padEnd(8)} ${c.node}: ${c.detail}\n`);
    if (g.recomputes.length)
      process.stdout.write(`recomputes (unless early cutoff spares them): ${g.recomputes.join(', ')}\n`);
    for (const o of outputs) {
      process.stdout.write(
        o.note
          ? `${o.file}: ${o.note}\n`
          : `${o.file}: max|Δ| ${o.maxAbs.toPrecision(4)}  RMS ${o.rms.toPrecision(4)}  r ${o.pearson.toFixed(5)}${o.diffFile ? `  → ${o.diffFile}` : ''}\n`,
      );
    }
  }),
};
