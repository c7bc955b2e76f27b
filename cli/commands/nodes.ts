/** `snem nodes [op] [--json | --markdown [--write FILE]]`: the op catalogue, from the ops' declarations. */
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

interface Args {
  json: boolean;
  markdown: boolean;
  write?: string;
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
        describe: "the README's op reference (markdown)",
      })
      .option('write', {
        type: 'string',
        describe:
          'with --markdown: replace the op reference block of this file (README.md) instead of printing',
      }) as never,
  handler: handle(async (a: Args) => {
    const { engineWiring } = await import('../../app/wiring.ts');
    const docs = await import('../../app/op-docs.ts');
    const ops = [...(await engineWiring()).registry.values()]
      .filter((o) => !a.op || o.name === a.op)
      .sort((x, y) => x.name.localeCompare(y.name));
    if (a.op && !ops.length) throw Object.assign(new Error(`unknown op '${a.op}'`), { userError: true });
    if (a.markdown) {
      const block = docs.opsMarkdown(ops);
      if (!a.write) {
        process.stdout.write(`${block}\n`);
        return;
      }
      const fs = await import('node:fs');
      const updated = docs.replaceOpsBlock(fs.readFileSync(a.write, 'utf8'), block);
      if (updated === null)
        throw Object.assign(
          new Error(
            `${a.write}: no op reference block (a line starting '<!-- ops:begin' and one '${docs.OPS_END}')`,
          ),
          { userError: true },
        );
      fs.writeFileSync(a.write, updated);
      process.stderr.write(`${a.write}: op reference of ${ops.length} ops written\n`);
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
