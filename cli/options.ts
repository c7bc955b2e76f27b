/** Option groups shared by `run` and `plan`. */
import type { Argv } from 'yargs';

export function runOptions<T>(y: Argv<T>) {
  return (
    y
      .positional('graph', { type: 'string', demandOption: true, describe: 'graph JSON file' })
      .option('data', { type: 'string', describe: "dataset file (overrides the graph's dataset.path)" })
      .option('out', { type: 'string', describe: 'run directory (default runs/<name>-<time>-<hash>)' })
      .option('cache', { type: 'string', describe: 'cache directory (default .snem-cache, or $SNEM_CACHE)' })
      .option('set', {
        type: 'string',
        array: true,
        describe: 'override a param: NODE.PARAM=VALUE (JSON value)',
        default: [] as string[],
      })
      .option('workers', { type: 'number', describe: 'worker threads (default: number of cores)' })
      // a string, parsed in toRunOptions: yargs would turn "abc" into NaN and lose what was typed
      .option('chunk-size', {
        type: 'string',
        describe: `scan positions per chunk, 1 … ${MAX_CHUNK_SIZE} (default 256)`,
      })
      .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
      .option('report', {
        type: 'boolean',
        default: true,
        describe:
          'write report.html and the PNG figures (--no-report: .npy results and manifest only, e.g. in scripts over many runs)',
      })
  );
}

export interface RunArgs {
  graph: string;
  data?: string;
  out?: string;
  cache?: string;
  set: string[];
  workers?: number;
  chunkSize?: string | number;
  quiet: boolean;
  json: boolean;
  report?: boolean;
}

/** As the graph's `chunkSize` (graphs/graph.schema.json). */
export const MAX_CHUNK_SIZE = 65536;

const flagError = (message: string) => Object.assign(new Error(message), { userError: true });

/** --chunk-size as typed: an integer 1 … MAX_CHUNK_SIZE (0 or −1 looped forever, 0.5 was an internal error). */
export function chunkSizeFlag(raw: string | number | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const v = text === '' ? NaN : Number(text);
  if (!Number.isInteger(v) || v < 1 || v > MAX_CHUNK_SIZE) {
    throw flagError(
      `--chunk-size: expected an integer from 1 to ${MAX_CHUNK_SIZE} (scan positions per chunk), got ${JSON.stringify(text)}`,
    );
  }
  return v;
}

export function toRunOptions(a: RunArgs) {
  if (a.workers !== undefined && (!Number.isInteger(a.workers) || a.workers < 1)) {
    throw flagError(`--workers: expected a positive integer, got ${a.workers}`);
  }
  return {
    graphFile: a.graph,
    dataPath: a.data,
    outDir: a.out,
    cacheDir: a.cache,
    sets: a.set,
    workers: a.workers,
    quiet: a.quiet || a.json,
    chunkSize: chunkSizeFlag(a.chunkSize),
    noReport: a.report === false,
  };
}
