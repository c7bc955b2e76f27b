/** `snem provenance FILE`: the run, graph, node, key and inputs that produced a file snem wrote. */
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

interface ProvenanceArgs {
  file: string;
  json?: boolean;
}

export const provenanceCommand: CommandModule<object, ProvenanceArgs> = {
  command: 'provenance <file>',
  describe: 'the run, graph, node, key and inputs that produced a file (PNG, TIFF, HDF5, npy, CSV, report)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: false, describe: 'print the record as JSON' }),
  handler: handle(async (a: ProvenanceArgs) => {
    const { formatProvenance, lookupProvenance } = await import('../../report/provenance-lookup.ts');
    const ans = await lookupProvenance(a.file);
    process.stdout.write(
      a.json ? `${JSON.stringify({ ...ans.record, foundIn: ans.from }, null, 2)}\n` : formatProvenance(ans),
    );
  }),
};
