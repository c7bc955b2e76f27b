/** `snem nodes [op] [--json | --markdown [--write]]`: the op catalogue, from the ops' declarations. */
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

interface Args {
  json: boolean;
  markdown: boolean;
  write?: boolean;
  op?: string;
}

export const nodesCommand: CommandModule<object, Args> = {
  command: 'nodes [op]',
  describe:
    'list node ops: inputs, params (type, default, unit, meaning), outputs (dims, unit, axis, meaning)',
  builder: (y) =>
    y
      .positional('op', { type: 'string', describe: 'show one op' })
      .option('json', { type: 'boolean', default: false })
      .option('markdown', {
        type: 'boolean',
        default: false,
        describe: 'the op reference as markdown (docs/ops.md)',
      })
      .option('write', {
        type: 'boolean',
        describe:
          "with --markdown: rewrite docs/ops.md and README.md's op table from the built-in ops' declarations instead of printing",
      }) as never,
  handler: handle(async (a: Args) => {
    const { engineWiring } = await import('../../app/wiring.ts');
    const docs = await import('../../app/op-docs.ts');
    const ops = [...(await engineWiring()).registry.values()]
      .filter((o) => !a.op || o.name === a.op)
      .sort((x, y) => x.name.localeCompare(y.name));
    if (a.op && !ops.length) throw Object.assign(new Error(`unknown op '${a.op}'`), { userError: true });
    if (a.markdown) {
      if (!a.write) {
        process.stdout.write(docs.opsMarkdown(ops));
        return;
      }
      if (a.op)
        throw Object.assign(new Error('--write regenerates every op: give no op name'), { userError: true });
      const { writeOpDocs } = await import('../../app/op-docs-files.ts');
      for (const file of writeOpDocs(ops)) process.stderr.write(`${file}: written from ${ops.length} ops\n`);
      return;
    }
    if (a.json) {
      process.stdout.write(
        `${JSON.stringify(docs.opCatalogue(ops), (_k, v) => (v === Infinity ? 'inf' : v), 2)}\n`,
      );
      return;
    }
    for (const o of ops) process.stdout.write(`\n${docs.opText(o)}\n`);
  }),
};
