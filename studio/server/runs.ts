/**
 * The session's runs on the scan: at most one at a time, cancellable, each leaving a run directory;
 * the latest computed run answers map and curve requests (maps of nodes that finished appear while
 * the rest still computes). After each run only the newest N studio run directories of the graph
 * stay on disk, besides pinned ones and saved versions' (run-retention.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { hashValue } from '../../engine/hash.ts';
import { isUserError } from '../../engine/errors.ts';
import type { Json, NDArray } from '../../engine/types.ts';
import type { NodeState } from '../../engine/executor.ts';
import { HttpError, problemOf } from './http-errors.ts';
import { fieldUnit } from './field-units.ts';
import { mapStyle } from './map-style.ts';
import { runScope } from './run-scope.ts';
import { graphIdentity, isPinned, pruneStudioRuns, setPinned } from './run-retention.ts';
import { Cancelled, computeGraph, studioRunDir, writeRunDir, type ComputedRun } from './scan-runner.ts';
import type { Studio } from './studio.ts';
import type { Executor } from '../../engine/executor.ts';
import type { ResolvedGraph } from '../../engine/graph.ts';

export interface RunInfo {
  runId: string;
  runDir: string | null;
  time: string;
  graphHash: string;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  seconds?: number;
  error?: string;
  /** Kept whatever the number of later runs (POST /api/runs/pin). */
  pinned?: boolean;
  /** Its directory was removed (older than the last N studio runs, not pinned nor saved). */
  removed?: boolean;
}

export interface MapInfo {
  node: string;
  field: string;
  op: string;
  unit: string | null;
  status: string;
}

/** Partial runs in a row before a full one (each keeps the one before it for the nodes it left alone). */
const MAX_PARTIAL_CHAIN = 16;

function depth(l: Live): number {
  let d = 0;
  for (let r: Live | null = l; r?.previous; r = r.previous) d++;
  return d;
}

interface Live {
  info: RunInfo;
  exec: Executor | null;
  graph: ResolvedGraph;
  states: Map<string, NodeState>;
  /**
   * A partial run computes only the changed nodes and their dependants (reading their cached
   * ancestors); every other node's result is the one `previous` had (same params, same inputs).
   */
  previous: Live | null;
  recomputed: Set<string> | null;
}

export class RunManager {
  private current: { abort: AbortController; done: Promise<void> } | null = null;
  /** The run maps and curves come from (the latest one that computed anything). */
  latest: Live | null = null;
  readonly history: RunInfo[] = [];
  private counter = 0;
  /** The resolved graph of the last run that finished computing. */
  private lastGraph: ResolvedGraph | null = null;

  constructor(private readonly s: Studio) {}

  get running(): boolean {
    return this.current !== null;
  }

  /** Start a run of the current graph; resolves when it has started (events tell the rest). */
  start(opts: { report?: boolean; workers?: number } = {}): RunInfo {
    if (this.current) throw new HttpError(409, 'a run is already going (cancel it first)');
    const resolved = this.s.session.resolved({ fresh: true }); // param files re-hashed: a rewritten mask runs with its new content
    const doc = structuredClone(this.s.session.graph);
    const runId = `run-${++this.counter}-${Date.now().toString(36)}`;
    const info: RunInfo = {
      runId,
      runDir: null,
      time: new Date().toISOString(),
      graphHash: hashValue(doc as unknown as Json),
      status: 'running',
    };
    this.history.unshift(info);
    const abort = new AbortController();
    // After a finished run, compute only what the edits reach (run-scope.ts); otherwise every node.
    const last = this.latest;
    const scope =
      last?.exec && last.info.status === 'done' && this.lastGraph && depth(last) < MAX_PARTIAL_CHAIN
        ? runScope(this.lastGraph, resolved.graph)
        : null;
    const light = scope?.nodes ?? null;
    const workers = opts.workers ?? (scope?.inThread ? 1 : undefined);
    const ev = this.s.events;
    const t0 = performance.now();
    const live: Live = {
      info,
      exec: null,
      graph: resolved.graph,
      states: new Map(),
      previous: light ? this.latest : null,
      recomputed: light ? new Set(light) : null,
    };
    ev.emit('run-start', { runId, nodes: resolved.graph.order, computes: light ?? resolved.graph.order });
    const done = (async () => {
      let computed: ComputedRun | null = null;
      try {
        computed = await computeGraph(
          this.s.ctx,
          resolved,
          {
            pass: (label, total) => ev.emit('pass', { runId, label, total }),
            chunk: (d, total) => ev.emit('chunk', { runId, done: d, total }),
            node: (node, op, status, seconds, detail) =>
              ev.emit('node', {
                runId,
                node,
                op,
                status,
                seconds: Math.round(seconds * 1000) / 1000,
                detail,
              }),
          },
          {
            signal: abort.signal,
            workers,
            ...(light ? { nodes: light } : {}),
            onExecutor: (exec) => {
              live.exec = exec;
              this.latest = live;
            },
          },
        );
        live.states = computed.states;
        this.lastGraph = resolved.graph;
        const base = this.s.graphFile
          ? path.dirname(this.s.graphFile)
          : path.dirname(this.s.ctx.dataset?.path ?? process.cwd());
        const out = await writeRunDir(
          this.s.ctx,
          doc,
          studioRunDir(base, resolved.graph.name),
          !!opts.report,
        );
        info.runDir = out.runDir;
        info.status = 'done';
        this.prune(path.dirname(out.runDir), resolved.graph.name);
        info.seconds = Math.round((performance.now() - t0) / 10) / 100;
        ev.emit('run-done', { runId, runDir: out.runDir, seconds: info.seconds });
      } catch (e) {
        if (e instanceof Cancelled) {
          info.status = 'cancelled';
          ev.emit('run-cancelled', { runId });
        } else {
          info.status = 'failed';
          info.error = (e as Error).message;
          if (!isUserError(e)) process.stderr.write(`snem studio: run failed: ${(e as Error).stack}\n`);
          ev.emit('run-error', { runId, ...problemOf((e as Error).message) });
        }
      } finally {
        this.current = null;
      }
    })();
    this.current = { abort, done };
    return info;
  }

  /** The run whose executor holds `node`'s result: this one, or (for a node a partial run left alone) an earlier one. */
  private holder(l: Live | null, node: string): { exec: Executor; state: NodeState } | null {
    for (let r = l; r; r = r.recomputed?.has(node) ? null : r.previous) {
      const st = r.exec?.states.get(node);
      if (st && r.exec) return { exec: r.exec, state: st };
    }
    return null;
  }

  /** Keep the newest `keepRuns` studio run directories of this graph (plus pinned and saved versions' runs). */
  private prune(runsDir: string, graphName: string) {
    const saved = new Set(
      this.s.versions.list().map((v) => graphIdentity(this.s.versions.graph(v.versionId))),
    );
    const removed = new Set(pruneStudioRuns(runsDir, graphName, this.s.keepRuns, saved));
    for (const r of this.history) if (r.runDir && removed.has(r.runDir)) r.removed = true;
  }

  /** The directory of a finished run that is still on disk (404 otherwise, saying why). */
  runDir(runId: string): string {
    const r = this.history.find((h) => h.runId === runId);
    if (!r?.runDir) throw new HttpError(404, `no finished run '${runId}' (see /api/runs)`, { field: 'run' });
    if (r.removed || !fs.existsSync(r.runDir)) {
      r.removed = true;
      throw new HttpError(
        404,
        `run '${runId}' was removed: the studio keeps the last ${this.s.keepRuns} runs' directories (snem studio --keep-runs N), pinned runs and saved versions' runs`,
        { field: 'run' },
      );
    }
    return r.runDir;
  }

  /** Pin (or unpin) a finished run: a pinned run's directory is never removed, in this session or later ones. */
  pin(runId: unknown, pinned: unknown = true): { runId: string; runDir: string; pinned: boolean } {
    if (typeof runId !== 'string')
      throw new HttpError(400, 'body: expected {runId: "…", pinned?: true|false}', { field: 'runId' });
    if (typeof pinned !== 'boolean')
      throw new HttpError(400, `body: 'pinned' must be true or false, got ${JSON.stringify(pinned)}`, {
        field: 'pinned',
      });
    const dir = this.runDir(runId);
    setPinned(dir, pinned);
    this.history.find((h) => h.runId === runId)!.pinned = pinned;
    return { runId, runDir: dir, pinned: isPinned(dir) };
  }

  cancel(): boolean {
    if (!this.current) return false;
    this.current.abort.abort();
    return true;
  }

  /** Wait for the current run (tests, shutdown). */
  async settle(): Promise<void> {
    await this.current?.done;
  }

  /** The executor and state holding `node`'s result in the latest run (also read by curve-mean.ts). */
  liveState(node: string): { exec: Executor; state: NodeState; graph: ResolvedGraph } {
    const l = this.latest;
    if (!l?.exec) throw new HttpError(409, `node '${node}' has no result yet: run the graph`, { node });
    if (!l.graph.nodes.has(node))
      throw new HttpError(404, `no node '${node}' in the graph that ran`, { node });
    const h = this.holder(l, node);
    if (!h)
      throw new HttpError(
        409,
        `node '${node}' has no result yet: ${this.running ? 'it is still computing' : 'run the graph'}`,
        { node },
      );
    return { exec: h.exec, state: h.state, graph: l.graph };
  }

  /** A per-position scalar field of a node as a [ny, nx] float32 map. */
  async map(
    node: string,
    field: string | null,
  ): Promise<{ array: NDArray; header: Record<string, unknown> }> {
    const { exec, state, graph } = this.liveState(node);
    const n = graph.nodes.get(node)!;
    const { ny, nx } = this.s.session.resolved().scan;
    let a: NDArray;
    let f: string;
    let meta: Record<string, Json> | undefined;
    if (state.chunks) {
      const input = exec.chunkedInput(node, undefined);
      const first = await input.first();
      f = fieldOf(node, field, Object.keys(first.fields));
      meta = first.meta;
      const per = first.fields[f].shape.slice(1).reduce((x, y) => x * y, 1);
      if (per !== 1)
        throw new HttpError(
          400,
          `node '${node}', field '${f}': not a map (per-position shape [${first.fields[f].shape.slice(1)}]); use /api/curve`,
          { node, field: f },
        );
      a = await input.gather(f);
    } else {
      const v = await exec.nodeValue(node);
      f = fieldOf(node, field, Object.keys(v.fields));
      meta = v.meta;
      a = v.fields[f];
      if (a.data.length !== ny * nx)
        throw new HttpError(
          400,
          `node '${node}', field '${f}': not a map (shape [${a.shape}], the scan is ${ny} × ${nx})`,
          { node, field: f },
        );
    }
    const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>);
    // Display is not part of a node's key: the current (edited) graph's settings, not the run's.
    const current = this.s.session.graph.nodes;
    const display =
      (Object.hasOwn(current, node) ? current[node].display : graph.doc.nodes[node]?.display) ?? null;
    return {
      array: { dtype: 'float32', shape: [ny, nx], data },
      header: {
        node,
        field: f,
        op: n.op.name,
        unit: fieldUnit(graph.doc, node, f, meta),
        runId: this.latest!.info.runId,
        status: state.status,
        display,
        style: mapStyle(display, { node, field: f, op: n.op.name }, data),
      },
    };
  }

  /** One position's curve of a per-position curve field. */
  async curve(node: string, field: string | null, index: number) {
    const { exec, state } = this.liveState(node);
    if (!state.chunks)
      throw new HttpError(400, `node '${node}' is dataset-level: its curves are not per position`, { node });
    const chunks = exec.chunks;
    const ci = chunks.findIndex((c) => index >= c.start && index < c.start + c.count);
    const v = await exec.chunkedInput(node, undefined).chunk(ci);
    const f = fieldOf(node, field, Object.keys(v.fields));
    const a = v.fields[f];
    const n = a.shape.slice(1).reduce((x, y) => x * y, 1);
    const off = (index - chunks[ci].start) * n;
    const axisOf = (v.meta?.axisOf ?? {}) as Record<string, string>;
    const axisName = axisOf[f] ?? (v.axes ? Object.keys(v.axes)[0] : undefined) ?? null;
    const units = (v.meta?.units ?? {}) as Record<string, string>;
    return {
      node,
      field: f,
      unit: units[f] ?? null,
      axisName,
      x: axisName && v.axes ? v.axes[axisName] : null,
      y: { dtype: a.dtype, shape: [n], data: a.data.slice(off, off + n) } as NDArray,
    };
  }

  /** Every per-position scalar field of the latest run's finished nodes. */
  async maps(): Promise<MapInfo[]> {
    const l = this.latest;
    if (!l?.exec) return [];
    const { ny, nx } = this.s.session.resolved().scan;
    const out: MapInfo[] = [];
    for (const id of l.graph.order) {
      const h = this.holder(l, id);
      if (!h) continue;
      const st = h.state;
      const n = l.graph.nodes.get(id)!;
      if (n.op.cached === false) continue;
      try {
        const v = st.chunks ? await h.exec.chunkedInput(id, undefined).first() : await h.exec.nodeValue(id);
        for (const [f, a] of Object.entries(v.fields)) {
          const isMap = st.chunks
            ? a.shape.length === 1
            : a.data.length === ny * nx && (a.shape.length === 2 || a.shape.length === 1);
          if (isMap)
            out.push({
              node: id,
              field: f,
              op: n.op.name,
              unit: fieldUnit(l.graph.doc, id, f, v.meta),
              status: st.status,
            });
        }
      } catch {
        // a node whose value cannot be read (garbage-collected) lists no maps
      }
    }
    return out;
  }
}

function fieldOf(node: string, field: string | null, names: string[]): string {
  if (field) {
    if (!names.includes(field))
      throw new HttpError(404, `node '${node}' has no field '${field}' (fields: ${names.join(', ')})`, {
        node,
        field,
      });
    return field;
  }
  if (names.length === 1) return names[0];
  throw new HttpError(400, `node '${node}' has several fields (${names.join(', ')}): give field=`, {
    node,
    field: 'field',
  });
}
