/** `snem validate GRAPH.json`: schema and semantic checks, no execution. */
import fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

export const validateCommand: CommandModule<object, { graph: string; data?: string }> = {
  command: 'validate <graph>',
  describe: 'check a graph without running it (exit 1 with messages naming node and field)',
  builder: (y) =>
    y
      .positional('graph', { type: 'string', demandOption: true })
      .option('data', { type: 'string', describe: 'dataset file to check the graph against' })
      .option('cache', {
        type: 'string',
        describe: 'accepted for symmetry with run/plan (validate reads no cache)',
      }) as never,
  handler: handle(async (a: { graph: string; data?: string }) => {
    const { engineWiring } = await import('../../app/wiring.ts');
    const { datasetSpec } = await import('../../engine/dataset.ts');
    const { readGraphFile, resolveGraph } = await import('../../engine/graph.ts');
    const wiring = await engineWiring();
    const doc = readGraphFile(a.graph);
    const spec = datasetSpec(doc, a.graph, a.data);
    // Without the data file the graph is still checked; only checks that need the file are skipped.
    const missing = spec !== null && !fs.existsSync(spec.path);
    if (missing)
      process.stdout.write(`note: dataset ${spec!.path} not found; checked the graph without it\n`);
    const dataset = spec && !missing ? await wiring.openDataset(spec) : null;
    try {
      const g = resolveGraph(doc, { ...wiring, file: a.graph, dataset, datasetDeclared: missing });
      for (const w of g.warnings) process.stdout.write(`note: ${w}\n`);
      process.stdout.write(`${a.graph}: valid (${g.nodes.size} nodes, ${g.outputs.length} outputs)\n`);
    } finally {
      dataset?.close();
    }
  }),
};
