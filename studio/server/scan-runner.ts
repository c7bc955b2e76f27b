/**
 * Running the studio's graph on the whole scan, in this process, through the engine and the same
 * cache as the CLI. Two steps:
 * 1. the engine's executor computes every node of the graph (not only those feeding `outputs`, so
 *    every map can be shown) with a Progress that streams passes, chunks and finished nodes as
 *    events; a finished node's map can be fetched at once. Cancel stops at the next chunk
 *    boundary: chunks already finished are in the cache, and the next run takes them from there.
 * 2. `snem run` itself, in a child process, writes the run directory from the now fully cached
 *    graph (outputs, manifest; report.html on request): the studio's run directory is the one
 *    `snem run` writes for the same graph, and writing hundreds of MB of outputs does not hold up
 *    this server's answers (the new maps are served while it writes).
 * (Thin adapter over today's engine functions; the engine's public run API can replace step 1.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifest } from '../../report/run-data.ts';
import { Executor, type NodeState } from '../../engine/executor.ts';
import { Progress } from '../../engine/progress.ts';
import { RunAborted } from '../../engine/errors.ts';
import type { GraphDoc, ResolvedGraph } from '../../engine/graph.ts';
import type { Manifest } from '../../engine/run-types.ts';
import { executorOptions, subgraph, type EngineContext, type Resolved } from './engine-context.ts';
import { studioRunPrefix } from './run-retention.ts';

export interface RunEvents {
  pass(label: string, total: number): void;
  chunk(done: number, total: number): void;
  node(id: string, op: string, status: string, seconds: number, detail: string): void;
}

export class Cancelled extends Error {
  constructor() {
    super('run cancelled');
  }
}

/** The engine's progress events, turned into the studio's run events. */
function streamingProgress(ev: RunEvents): Progress {
  let passTotal = 0;
  let passDone = 0;
  return new Progress(true, undefined, (e) => {
    if (e.type === 'pass') {
      passTotal = e.total - e.cached;
      passDone = 0;
      ev.pass(`computing ${e.nodes.join(', ')}`, passTotal);
    } else if (e.type === 'chunk') ev.chunk(++passDone, passTotal);
    else if (e.type === 'node')
      ev.node(
        e.node,
        e.op,
        e.status,
        e.seconds,
        e.chunks ? `${e.chunks.computed}/${e.chunks.total} chunks computed` : '',
      );
  });
}

/** A finished (or cancelled) computation: node states and the executor that can read their values. */
export interface ComputedRun {
  exec: Executor;
  states: Map<string, NodeState>;
  graph: ResolvedGraph;
}

export interface ComputeOptions {
  workers?: number;
  signal: AbortSignal;
  /** Nodes to compute (default: every node of the graph). */
  nodes?: string[];
  /** Called with the executor before it starts, so finished nodes can be read while others compute. */
  onExecutor?: (exec: Executor) => void;
}

/** An executor over `nodes` (default: every node) and their ancestors, reporting to `ev`. */
function executorFor(
  ctx: EngineContext,
  resolved: Resolved,
  ev: RunEvents,
  opts: Omit<ComputeOptions, 'onExecutor'>,
): { exec: Executor; graph: ResolvedGraph } {
  const all = subgraph(resolved.graph, opts.nodes ?? resolved.graph.order);
  const workers = Math.max(1, opts.workers ?? os.availableParallelism());
  const exec = new Executor(
    executorOptions(ctx, resolved, all, { workers, progress: streamingProgress(ev), signal: opts.signal }),
  );
  return { exec, graph: all };
}

/** Step 1: compute the graph's nodes into the cache, streaming progress. */
export async function computeGraph(
  ctx: EngineContext,
  resolved: Resolved,
  ev: RunEvents,
  opts: ComputeOptions,
): Promise<ComputedRun> {
  const { exec, graph } = executorFor(ctx, resolved, ev, opts);
  opts.onExecutor?.(exec);
  try {
    const states = await exec.run();
    return { exec, states, graph };
  } catch (e) {
    throw e instanceof RunAborted ? new Cancelled() : e;
  }
}

/** Whether every chunk of `nodes` (and of their ancestors) is in the cache: lookups only, nothing computed. */
export async function allCached(ctx: EngineContext, resolved: Resolved, nodes: string[]): Promise<boolean> {
  const noop = () => {};
  const { exec } = executorFor(
    ctx,
    resolved,
    { pass: noop, chunk: noop, node: noop },
    { nodes, signal: new AbortController().signal },
  );
  const probed = await exec.probe();
  return nodes.every((n) => probed.get(n)?.cached === true);
}

const SNEM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../cli/snem.js');

/**
 * Step 2: the run directory, written by `snem run` (everything is cached by now). The graph goes
 * beside it as `DIR.graph.json`, its dataset path absolute (relative paths were the session's).
 */
export async function writeRunDir(
  ctx: EngineContext,
  doc: GraphDoc,
  outDir: string,
  report: boolean,
): Promise<{ runDir: string; manifest: Manifest }> {
  fs.mkdirSync(path.dirname(outDir), { recursive: true });
  const graphFile = `${outDir}.graph.json`;
  const copy = structuredClone(doc);
  if (copy.dataset && ctx.dataset) copy.dataset = { ...copy.dataset, path: ctx.dataset.path };
  fs.writeFileSync(graphFile, `${JSON.stringify(copy, null, 2)}\n`);
  const args = [
    SNEM,
    'run',
    graphFile,
    '--out',
    outDir,
    '--cache',
    ctx.cacheDir,
    '--quiet',
    '--workers',
    '1',
    ...(report ? [] : ['--no-report']),
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            Object.assign(new Error(err.trim().replace(/^snem: /, '') || `snem run exited with ${code}`), {
              userError: code === 1,
            }),
          ),
    );
  });
  return { runDir: outDir, manifest: readManifest(outDir) };
}

export function studioRunDir(base: string, name: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
  return path.join(base, 'runs', `${studioRunPrefix(name)}${stamp}`);
}
