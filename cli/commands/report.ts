/**
 * `snem report RUN_DIR [--graph G] [--set NODE.PARAM=VALUE …]`: redraw a run's figures and
 * report.html from its .npy files with the display settings of its own graph or of G. Computes
 * nothing and needs no cache; refuses a G whose nodes, params or outputs differ from the run's.
 */
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

interface ReportArgs {
  run: string;
  graph?: string;
  set: string[];
  json: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report <run>',
  describe:
    "redraw a run's figures and report.html from its .npy files (display settings of its graph or --graph G; computes nothing)",
  builder: (y) =>
    y
      .positional('run', {
        type: 'string',
        demandOption: true,
        describe: 'run directory (has manifest.json)',
      })
      .option('graph', {
        type: 'string',
        describe: 'take the display settings from this graph (its nodes and params must match the run)',
      })
      .option('set', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: "the run's --set overrides, so the graph's params match: NODE.PARAM=VALUE",
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the figures and their display settings as JSON',
      })
      .example(
        'snem report runs/r1 --graph graph.json',
        'redraw runs/r1 with the colormaps and limits now in graph.json',
      ) as never,
  handler: handle(async (a: ReportArgs) => {
    const { rerenderRun } = await import('../../app/rerender.ts');
    const r = await rerenderRun(a.run, { graphFile: a.graph, sets: a.set });
    if (a.json) {
      process.stdout.write(
        `${JSON.stringify({ run: r.manifest.run, figures: r.figures, problems: r.problems }, null, 2)}\n`,
      );
      return;
    }
    for (const p of r.problems) process.stdout.write(`problem: ${p}\n`);
    const files = [...new Set(r.figures.map((f) => f.file))];
    process.stdout.write(
      `redrew ${files.length} map figure${files.length === 1 ? '' : 's'} and report.html in ${path.resolve(a.run)}${a.graph ? ` with the display settings of ${a.graph}` : ''} (nothing computed)\n`,
    );
    for (const f of r.figures) {
      const what = `${f.node}.${f.field}${f.panel !== undefined ? ` [${f.panel + 1}]` : ''}`;
      process.stdout.write(
        `  ${f.file}  ${what}: ${f.colormap}, ${f.limits[0]} … ${f.limits[1]} (${f.limitsFrom})\n`,
      );
    }
  }),
};
