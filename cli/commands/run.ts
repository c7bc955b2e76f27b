/** `snem run GRAPH.json`: execute through the cache and write the run directory. */
import type { CommandModule } from 'yargs';
import { runGraph } from '../../app/run.ts';
import { handle } from '../handler.ts';
import { runOptions, toRunOptions, type RunArgs } from '../options.ts';

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <graph>',
  describe: 'run a graph; write maps, manifest and report into a run directory',
  builder: (y) => runOptions(y) as never,
  handler: handle(async (a: RunArgs) => {
    const onSig = () => {
      process.stderr.write('\nsnem: interrupted — finished chunks are cached; run the same command again to resume.\n');
      process.exit(130);
    };
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    const { runDir, manifest } = await runGraph(toRunOptions(a));
    const nodes = Object.values(manifest.nodes);
    const summary = {
      run: manifest.run,
      runDir,
      computed: nodes.filter((n) => n.status === 'computed').length,
      cached: nodes.filter((n) => n.status === 'cached').length,
      cutoff: nodes.filter((n) => n.status === 'cutoff').length,
      seconds: manifest.seconds,
      outputs: manifest.outputs.map((o) => o.file),
      report: a.report === false ? null : `${runDir}/report.html`,
    };
    if (a.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      process.stdout.write(
        `run ${summary.run}: ${summary.computed} computed, ${summary.cached} cached, ${summary.cutoff} early cutoff, ${summary.seconds.toFixed(2)} s\n` +
          `results: ${runDir}\n`,
      );
    }
  }),
};
