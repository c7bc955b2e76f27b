/** `snem nodes [--json]`: the op catalogue. */
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

export const nodesCommand: CommandModule<object, { json: boolean; op?: string }> = {
  command: 'nodes [op]',
  describe: 'list node ops: inputs, params (type, default, unit, meaning), outputs',
  builder: (y) =>
    y
      .positional('op', { type: 'string', describe: 'show one op' })
      .option('json', { type: 'boolean', default: false }) as never,
  handler: handle(async (a: { json: boolean; op?: string }) => {
    const { engineWiring } = await import('../../app/wiring.ts');
    const ops = [...(await engineWiring()).registry.values()]
      .filter((o) => !a.op || o.name === a.op)
      .sort((x, y) => x.name.localeCompare(y.name));
    if (a.op && !ops.length) throw Object.assign(new Error(`unknown op '${a.op}'`), { userError: true });
    if (a.json) {
      const doc = ops.map((o) => ({
        name: o.name,
        version: o.version,
        scope: o.scope,
        title: o.title,
        description: o.description,
        cached: o.cached !== false,
        inputs: o.inputs,
        params: o.params,
        outputs: o.outputs,
      }));
      process.stdout.write(`${JSON.stringify(doc, (_k, v) => (v === Infinity ? 'inf' : v), 2)}\n`);
      return;
    }
    for (const o of ops) {
      process.stdout.write(
        `\n${o.name}  v${o.version}  [${o.scope === 'frame' ? 'per position' : o.scope === 'reduce' ? 'dataset, reduced over positions' : 'dataset'}]  ${o.title}\n  ${o.description}\n`,
      );
      const ins = Object.entries(o.inputs);
      if (ins.length) {
        process.stdout.write('  inputs:\n');
        for (const [k, s] of ins)
          process.stdout.write(`    ${k}${s.optional ? '?' : ''} (${s.scope}): ${s.description}\n`);
      }
      const ps = Object.entries(o.params);
      if (ps.length) {
        process.stdout.write('  params:\n');
        for (const [k, s] of ps) {
          const t = s.type === 'enum' ? (s.values ?? []).join('|') : s.type;
          const d =
            s.default !== undefined
              ? ` = ${JSON.stringify(s.default === Infinity ? 'inf' : s.default)}`
              : s.optional
                ? ' (optional)'
                : ' (required)';
          process.stdout.write(`    ${k}: ${t}${d}${s.unit ? ` [${s.unit}]` : ''} — ${s.description}\n`);
        }
      }
      const outs = Object.entries(o.outputs);
      if (outs.length) {
        process.stdout.write('  outputs:\n');
        for (const [k, s] of outs)
          process.stdout.write(`    ${k}${s.unit ? ` [${s.unit}]` : ''}: ${s.description}\n`);
      }
    }
  }),
};
