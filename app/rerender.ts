/**
 * `snem report RUN_DIR [--graph G]`: redraw a finished run's figures and report.html from its .npy
 * files, with the display settings of the run's own graph or of graph G. No engine run and no
 * cache: only presentation changes, so G must describe the same results (same nodes, ops, inputs,
 * params and outputs) — otherwise the figures would not describe the data, and G is refused.
 */
import fs from 'node:fs';
import { withoutDisplay } from '../engine/display-check.ts';
import { UserError } from '../engine/errors.ts';
import { fileParamOf } from '../engine/param-files.ts';
import { readGraphFile, resolveGraph, type GraphDoc } from '../engine/graph.ts';
import type { FigureDisplay, Manifest } from '../engine/run-types.ts';
import type { Json } from '../engine/types.ts';
import { canonicalJson } from '../engine/canonical-json.ts';
import { engineWiring } from './wiring.ts';
import { renderRun } from '../report/index.ts';
import { readManifest, writeManifest } from '../report/run-data.ts';

export interface RerenderOptions {
  /** Take the display settings from this graph (default: the run's own graph). */
  graphFile?: string;
  /** --set overrides the run was made with, so G's params can match. */
  sets?: string[];
}

export interface RerenderResult {
  manifest: Manifest;
  figures: FigureDisplay[];
  problems: string[];
}

/** How graph G's results would differ from the run's (empty: only display settings may differ). */
export async function resultDifferences(
  m: Manifest,
  doc: GraphDoc,
  file: string,
  sets: string[] = [],
): Promise<string[]> {
  const g = resolveGraph(doc, {
    ...(await engineWiring()),
    file,
    sets,
    datasetDeclared: true,
    opChecks: false,
  });
  const diffs: string[] = [];
  for (const [id, old] of Object.entries(m.nodes)) {
    const n = g.nodes.get(id);
    if (!n || !g.needed.has(id)) {
      diffs.push(`node '${id}' ${n ? 'feeds no output' : 'is missing'} in ${file}`);
      continue;
    }
    if (n.op.name !== old.op) {
      diffs.push(`node '${id}': op ${old.op} → ${n.op.name}`);
      continue;
    }
    const keys = [...new Set([...Object.keys(old.params ?? {}), ...Object.keys(n.params)])].sort();
    for (const k of keys) {
      // The content hash of a file param is the engine's, made at run time from the file (not in G): the path is compared.
      if (fileParamOf(k) !== null) continue;
      // A param the op gained after the run, at its default, describes the same computation.
      if (!(k in (old.params ?? {})) && canonicalJson(n.params[k]) === canonicalJson(n.op.params[k]?.default))
        continue;
      const a = k in (old.params ?? {}) ? canonicalJson(old.params[k]) : '(not set)';
      const b = canonicalJson(n.params[k]);
      if (a !== b) diffs.push(`node '${id}', param '${k}': ${a} in the run, ${b} in ${file}`);
    }
    const inputs = Object.fromEntries(
      Object.entries(n.inputs).map(([p, r]) => [p, r.field ? `${r.node}.${r.field}` : r.node]),
    );
    if (canonicalJson(inputs) !== canonicalJson(old.inputNodes ?? {}))
      diffs.push(
        `node '${id}', field 'in': ${canonicalJson(old.inputNodes)} in the run, ${canonicalJson(inputs)} in ${file}`,
      );
  }
  for (const id of g.needed) if (!m.nodes[id]) diffs.push(`node '${id}' is not in the run`);
  const runOutputs = (
    (m.graph as { outputs?: string[] } | null)?.outputs ?? [...new Set(m.outputs.map((o) => o.node))]
  )
    .slice()
    .sort();
  const gOutputs = [...g.outputs].sort();
  if (canonicalJson(runOutputs) !== canonicalJson(gOutputs))
    diffs.push(`outputs ${JSON.stringify(runOutputs)} in the run, ${JSON.stringify(gOutputs)} in ${file}`);
  return diffs;
}

/** The run's graph with each node's display settings taken from `doc` (and none where `doc` has none). */
function withDisplayOf(runGraph: GraphDoc, doc: GraphDoc): GraphDoc {
  const base = withoutDisplay(runGraph);
  const nodes: GraphDoc['nodes'] = {};
  for (const [id, n] of Object.entries(base.nodes ?? {})) {
    const display = doc.nodes[id]?.display;
    nodes[id] = display ? { ...n, display } : n;
  }
  return { ...base, nodes };
}

export async function rerenderRun(runDir: string, opts: RerenderOptions = {}): Promise<RerenderResult> {
  const m = readManifest(runDir);
  for (const o of m.outputs) {
    if (!fs.existsSync(`${runDir}/${o.file}`))
      throw new UserError(
        `${runDir}: ${o.file} is missing; the figures are drawn from the run's .npy files (re-run the graph to rewrite them)`,
      );
  }
  const runGraph = (m.graph ?? { snem: 1, nodes: {}, outputs: [] }) as unknown as GraphDoc;
  if (opts.graphFile) {
    const doc = readGraphFile(opts.graphFile);
    const diffs = await resultDifferences(m, doc, opts.graphFile, opts.sets);
    if (diffs.length) {
      throw new UserError(
        `${opts.graphFile}: describes other results than run ${m.run} (${diffs.join('; ')}). snem report only redraws figures, so only "display" settings may differ: ` +
          `figures drawn from this graph would not describe the run's data. Run it instead ('snem run ${opts.graphFile}'), or pass the run's --set overrides.`,
      );
    }
    m.graph = withDisplayOf(runGraph, doc) as unknown as Json;
  } else if (opts.sets?.length) {
    throw new UserError("--set needs --graph (it makes the graph's params match the run's)");
  }
  const drawn = await renderRun(runDir, m);
  m.figures = drawn.figures;
  m.rendered = { time: new Date().toISOString(), by: 'report', graphFile: opts.graphFile ?? m.graphFile };
  writeManifest(runDir, m);
  return { manifest: m, figures: drawn.figures, problems: drawn.problems };
}
