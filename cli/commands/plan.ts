/** `snem plan GRAPH.json`: per node cached or will run, and why; computes nothing. */
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';
import { runOptions, toRunOptions, type RunArgs } from '../options.ts';

export const planCommand: CommandModule<object, RunArgs> = {
  command: 'plan <graph>',
  describe: 'say per node whether it is cached or will run, and why (computes nothing)',
  builder: (y) => runOptions(y) as never,
  handler: handle(async (a: RunArgs) => {
    const { planGraph } = await import('../../app/plan.ts');
    const plan = await planGraph(toRunOptions(a));
    if (a.json) {
      process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      return;
    }
    for (const w of plan.warnings) process.stdout.write(`note: ${w}\n`);
    const width = Math.max(...plan.entries.map((e) => e.node.length), 4);
    for (const e of plan.entries) {
      const chunks =
        e.chunks && e.status !== 'cached' && e.chunks.cached
          ? ` [${e.chunks.cached}/${e.chunks.total} chunks cached]`
          : '';
      process.stdout.write(
        `${e.status.padEnd(9)} ${e.node.padEnd(width)}  ${e.op.padEnd(20)} ${e.status === 'cached' ? '' : e.why}${chunks}\n`,
      );
    }
    const n = plan.entries.filter((e) => e.status === 'will run').length;
    process.stdout.write(`${n} of ${plan.entries.length} nodes will run\n`);
  }),
};
