/** Option groups shared by `run` and `plan`. */
import type { Argv } from 'yargs';

export function runOptions<T>(y: Argv<T>) {
  return y
    .positional('graph', { type: 'string', demandOption: true, describe: 'graph JSON file' })
    .option('data', { type: 'string', describe: 'dataset file (overrides the graph\'s dataset.path)' })
    .option('out', { type: 'string', describe: 'run directory (default runs/<name>-<time>-<hash>)' })
    .option('cache', { type: 'string', describe: 'cache directory (default .snem-cache, or $SNEM_CACHE)' })
    .option('set', { type: 'string', array: true, describe: 'override a param: NODE.PARAM=VALUE (JSON value)', default: [] as string[] })
    .option('workers', { type: 'number', describe: 'worker threads (default: number of cores)' })
    .option('chunk-size', { type: 'number', describe: 'scan positions per chunk (default 256)' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
    .option('report', { type: 'boolean', default: true, describe: 'write report.html and the PNG figures (--no-report: .npy results and manifest only, e.g. in scripts over many runs)' });
}

export interface RunArgs {
  graph: string;
  data?: string;
  out?: string;
  cache?: string;
  set: string[];
  workers?: number;
  chunkSize?: number;
  quiet: boolean;
  json: boolean;
  report?: boolean;
}

export function toRunOptions(a: RunArgs) {
  if (a.workers !== undefined && (!Number.isInteger(a.workers) || a.workers < 1)) {
    throw Object.assign(new Error(`--workers: expected a positive integer, got ${a.workers}`), { userError: true });
  }
  return { graphFile: a.graph, dataPath: a.data, outDir: a.out, cacheDir: a.cache, sets: a.set, workers: a.workers, quiet: a.quiet || a.json, chunkSize: a.chunkSize, noReport: a.report === false };
}
