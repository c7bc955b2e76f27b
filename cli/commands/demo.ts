/**
 * `snem demo` (npm run demo): simulate the demo specimen into demo-data/ (once; reused while its
 * params hash matches), run graphs/snem-bmg.json on it (as the simulator's graph.json: with the
 * structure model's reference partials), and print where the maps and report are
 * and how well each map agrees with the ground truth.
 */
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { handle } from '../handler.ts';

interface DemoArgs {
  data: string;
  out?: string;
  cache?: string;
  workers?: number;
  force?: boolean;
  quiet?: boolean;
  studio?: boolean;
  port?: number;
}

/** True if DIR already holds the dataset these params describe. */
export function simulationIsCurrent(dir: string, hash: string): boolean {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { paramsHash?: string };
    return (
      meta.paramsHash === hash &&
      fs.existsSync(path.join(dir, 'frames.npy')) &&
      fs.existsSync(path.join(dir, 'graph.json'))
    );
  } catch {
    return false;
  }
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo',
  describe:
    'simulate the demo specimen (once), analyse it with graphs/snem-bmg.json and score the maps against the truth',
  builder: (y) =>
    y
      .option('data', { type: 'string', default: 'demo-data', describe: 'where the simulated dataset lives' })
      .option('out', { type: 'string', describe: 'run directory (default: chosen by the engine)' })
      .option('cache', { type: 'string', describe: 'cache directory (default .snem-cache or $SNEM_CACHE)' })
      .option('workers', { type: 'number', describe: 'worker threads' })
      .option('force', {
        type: 'boolean',
        default: false,
        describe: 'simulate again even if demo-data is current',
      })
      .option('quiet', { type: 'boolean', default: false })
      .option('studio', {
        type: 'boolean',
        default: false,
        describe: 'then open the demo in snem studio (http://127.0.0.1:PORT) and keep serving until Ctrl-C',
      })
      .option('port', {
        type: 'number',
        default: 8777,
        describe: 'studio port with --studio (0 = any free port)',
      }) as never,
  handler: handle(async (a: DemoArgs) => {
    const { compareRun, formatAgreement } = await import('../../sim/compare.ts');
    const { simGraph, simParamsHash, simulateToDir } = await import('../../sim/write.ts');
    const { resolveSimParams } = await import('../../sim/presets.ts');
    const t0 = performance.now();
    const say = (m: string) => process.stdout.write(`${m}\n`);
    const params = resolveSimParams('demo');
    const hash = simParamsHash(params);
    if (!a.force && simulationIsCurrent(a.data, hash))
      say(`demo data: ${a.data} is current (params ${hash}), not simulating again`);
    else {
      const r = await simulateToDir({
        outDir: a.data,
        params,
        workers: a.workers,
        log: a.quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
      });
      say(`demo data: simulated ${r.patterns} patterns into ${a.data} in ${r.seconds.toFixed(1)} s`);
    }
    let runGraph: typeof import('../../app/run.ts').runGraph;
    try {
      ({ runGraph } = await import('../../app/run.ts'));
    } catch (e) {
      say(
        `the analysis engine (app/run.ts) could not be loaded (${(e as Error).message}); the simulated data are in ${a.data}`,
      );
      return;
    }
    // The simulator's graph made afresh from the repository's graphs/snem-bmg.json (so graph edits take
    // effect): the same analysis with the structure model's reference partials for decompose.assign.
    const { graph } = simGraph(params, fileURLToPath(new URL('../../graphs/snem-bmg.json', import.meta.url)));
    const graphFile = path.join(a.data, 'graph.json');
    fs.writeFileSync(graphFile, `${JSON.stringify(graph, null, 2)}\n`);
    const { runDir } = await runGraph({
      graphFile,
      outDir: a.out,
      cacheDir: a.cache,
      workers: a.workers,
      quiet: a.quiet,
    });
    say(`maps and curves: ${runDir}`);
    say(`report:          ${path.join(runDir, 'report.html')}`);
    say('');
    say('agreement with the ground truth:');
    say(formatAgreement(compareRun(runDir, a.data)));
    say('');
    say(`demo finished in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (a.studio) await openStudio(graphFile, a.cache, a.port ?? 8777, say);
  }),
};

/** `--studio`: the demo's graph in snem studio, on the cache the demo run just filled. */
async function openStudio(
  graphFile: string,
  cacheDir: string | undefined,
  port: number,
  say: (m: string) => void,
): Promise<void> {
  const { Studio } = await import('../../studio/server/studio.ts');
  const { listen } = await import('../../studio/server/server.ts');
  const srv = await listen(await Studio.open({ target: graphFile, cacheDir }), { port });
  say(`snem studio at ${srv.url}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await srv.close();
}
