/**
 * One studio session: what it was opened on (a graph file, a dataset with the default analysis,
 * or a finished run read-only), the engine context kept open, the edited graph and its history,
 * and the event stream. The HTTP layer (server.ts, routes.ts) only translates requests into calls
 * on this object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../engine/errors.ts';
import { readGraphFile, type GraphDoc } from '../../engine/graph.ts';
import { EngineContext } from './engine-context.ts';
import { EventHub } from './events.ts';
import { GraphSession } from './session.ts';
import { PreviewEngine } from './preview.ts';
import { RunManager } from './runs.ts';
import { VirtualDetector } from './virtual-detector.ts';
import { Versions } from './versions.ts';
import { routes, type Route } from './routes.ts';
import { realDir } from './static-files.ts';
import { DEFAULT_KEEP_RUNS } from './run-retention.ts';

export const DEFAULT_GRAPH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../graphs/snem-bmg.json',
);

const PARAM_FILE_POLL_MS = 2000;

export interface OpenOptions {
  /** GRAPH.json or a dataset file (then graphs/snem-bmg.json is pointed at it). */
  target?: string;
  cacheDir?: string;
  dataPath?: string;
  /** Studio run directories kept per graph (default 5; pinned and saved versions' runs besides). */
  keepRuns?: number;
}

export class Studio {
  readonly events = new EventHub();
  readonly mode = 'edit' as const;
  readonly preview: PreviewEngine;
  readonly runs: RunManager;
  readonly virtual: VirtualDetector;
  readonly versions: Versions;
  /** Studio run directories kept per graph (run-retention.ts). */
  keepRuns = DEFAULT_KEEP_RUNS;

  private constructor(
    readonly ctx: EngineContext,
    readonly session: GraphSession,
    /** Where "Save" writes (may not exist yet when opened on a dataset). */
    public graphFile: string | null,
  ) {
    this.preview = new PreviewEngine(ctx);
    this.runs = new RunManager(this);
    this.virtual = new VirtualDetector(this);
    this.versions = new Versions(this);
    session.onParamFilesChanged = (files) =>
      this.events.emit('param-files', {
        version: session.version,
        files: files.map(({ node, param, file }) => ({ node, param, file })),
      });
    // A param file rewritten by another program shows up in the page within this period, edit or not.
    this.fileWatch = setInterval(() => this.checkParamFiles(), PARAM_FILE_POLL_MS);
    this.fileWatch.unref();
  }

  private readonly fileWatch: NodeJS.Timeout;

  /** Re-hash param files whose size / mtime changed (the session tells the page through the event stream). */
  checkParamFiles(): void {
    try {
      this.session.resolved();
    } catch {
      // a file gone or refused: the page was told it changed; the next request names the problem
    }
  }

  static async open(opts: OpenOptions): Promise<Studio> {
    const { doc, graphFile, saveTo } = startingGraph(opts);
    const ctx = await EngineContext.open(doc, graphFile, {
      cacheDir: opts.cacheDir,
      dataPath: opts.dataPath,
    });
    try {
      const session = new GraphSession(doc, ctx);
      const studio = new Studio(ctx, session, saveTo);
      if (opts.keepRuns !== undefined) {
        if (!Number.isInteger(opts.keepRuns) || opts.keepRuns < 1)
          throw new UserError(`snem studio: --keep-runs must be a whole number ≥ 1, got ${opts.keepRuns}`);
        studio.keepRuns = opts.keepRuns;
      }
      return studio;
    } catch (e) {
      await ctx.close();
      throw e;
    }
  }

  /** Real directories whose files the studio may read or write: the graph's, the dataset's. */
  allowedDirs(): string[] {
    const dirs = [
      this.graphFile && path.dirname(this.graphFile),
      this.ctx.dataset && path.dirname(this.ctx.dataset.path),
    ];
    return dirs
      .filter((d): d is string => !!d)
      .map((d) => realDir(d))
      .filter((d): d is string => !!d);
  }

  routes(): Map<string, Route> {
    return routes(this);
  }

  async close(): Promise<void> {
    clearInterval(this.fileWatch);
    this.runs.cancel();
    await this.runs.settle();
    await this.virtual.close();
    this.events.close();
    await this.ctx.close();
  }
}

/** The graph to start from and the file Save writes. */
function startingGraph(opts: OpenOptions): {
  doc: GraphDoc;
  graphFile: string | null;
  saveTo: string | null;
} {
  const t = opts.target;
  if (t && fs.existsSync(t) && fs.statSync(t).isFile() && t.toLowerCase().endsWith('.json')) {
    const file = path.resolve(t);
    return { doc: readGraphFile(file), graphFile: file, saveTo: file };
  }
  if (t && !fs.existsSync(t)) throw new UserError(`${t}: no such graph or dataset file`);
  const dataPath = t ? path.resolve(t) : opts.dataPath ? path.resolve(opts.dataPath) : null;
  if (!dataPath)
    throw new UserError(
      'snem studio: give a graph file (GRAPH.json) or a dataset (e.g. demo-data/frames.npy)',
    );
  const doc = readGraphFile(DEFAULT_GRAPH);
  doc.dataset = { path: dataPath };
  // Save writes beside the dataset: DIR/snem-bmg.studio.json.
  const saveTo = path.join(path.dirname(dataPath), `${doc.name ?? 'graph'}.studio.json`);
  return { doc, graphFile: null, saveTo };
}
