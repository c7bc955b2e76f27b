/** `snem studio [GRAPH.json | DATASET]`: the workbench server (studio/API.md); prints its URL. */
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

interface StudioArgs {
  target?: string;
  port: number;
  cache?: string;
  data?: string;
  host?: string;
  keepRuns: number;
}

export const studioCommand: CommandModule<object, StudioArgs> = {
  command: 'studio [target]',
  describe:
    'the workbench in the browser: set the chain up on one pattern, run it on the scan, explore (127.0.0.1 unless --host)',
  builder: (y) =>
    y
      .positional('target', {
        type: 'string',
        describe: 'a graph file, or a dataset (then graphs/snem-bmg.json is pointed at it)',
      })
      .option('port', { type: 'number', default: 8777, describe: 'port (0 = any free port)' })
      .option('cache', { type: 'string', describe: 'cache directory (default .snem-cache or $SNEM_CACHE)' })
      .option('data', { type: 'string', describe: "dataset path (overrides the graph's dataset.path)" })
      .option('host', {
        type: 'string',
        describe:
          'listen on this address instead of 127.0.0.1 (a token is then required, printed in the URL)',
      })
      .option('keep-runs', {
        type: 'number',
        default: 5,
        describe:
          "studio run directories kept per graph (older ones are removed unless pinned or a saved version's)",
      }) as never,
  handler: handle(async (a: StudioArgs) => {
    const { listen } = await import('../../studio/server/server.ts');
    const { Studio } = await import('../../studio/server/studio.ts');
    const studio = await Studio.open({
      target: a.target,
      cacheDir: a.cache,
      dataPath: a.data,
      keepRuns: a.keepRuns,
    });
    const srv = await listen(studio, { port: a.port, host: a.host });
    process.stdout.write(`snem studio at ${srv.url}  (Ctrl-C to stop)\n`);
    // The live detectors' polar summary, if cached for this data and centre: read back now.
    studio.virtual.prefetch().catch(() => {});
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await srv.close();
  }),
};
