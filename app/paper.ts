/**
 * `snem paper`: the reference study's figures end to end. Simulates the specimen (once per preset:
 * reused while its params hash matches), runs every graph of graphs/paper/ on it through one cache —
 * the per-position chain they share (automask, I(Q), G(r), the fit …) is computed once and then read
 * back — and writes paper.html (report/paper.ts) laid out as the study's figures.
 *
 * Each graph runs as the simulator's graph does (sim/write.ts simGraph): dataset → frames.npy, the
 * structure model's reference partials for decompose.assign, the synthetic EELS Zr map for the EELS
 * figure; and its line cuts (map.cut) follow the middle scan row — across the laminate — whatever
 * the preset's scan size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../engine/errors.ts';
import type { Json } from '../engine/types.ts';
import { PAPER_FIGURES, type PaperFigure } from '../report/paper-layout.ts';
import { writePaper, type PaperRun } from '../report/paper.ts';
import { resolveSimParams, type SimParams } from '../sim/presets.ts';
import { simGraph, simParamsHash, simulateToDir } from '../sim/write.ts';
import { runGraph } from './run.ts';

export const PAPER_GRAPHS_DIR = fileURLToPath(new URL('../graphs/paper/', import.meta.url));

export interface PaperOptions {
  preset: 'paper' | 'demo' | 'tiny';
  outDir: string;
  seed?: number;
  workers?: number;
  /** Only these figures (ids of report/paper-layout.ts), e.g. for tests. */
  only?: string[];
  log?: (m: string) => void;
}

export interface PaperResult {
  html: string;
  panels: number;
  problems: string[];
  seconds: number;
  runs: { figure: string; runDir: string; seconds: number }[];
}

function isCurrent(dir: string, hash: string): boolean {
  try {
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { paramsHash?: string };
    return meta.paramsHash === hash && fs.existsSync(path.join(dir, 'frames.npy'));
  } catch {
    return false;
  }
}

/** The figure's graph as the simulator's graph, its map.cut nodes on the middle row; written next to the data. */
function paperGraphFile(fig: PaperFigure, p: SimParams, dataDir: string): string {
  const src = path.join(PAPER_GRAPHS_DIR, fig.graph);
  if (!fs.existsSync(src))
    throw new UserError(`paper: figure ${fig.label} needs ${src}, which does not exist`);
  const { graph } = simGraph(p, src);
  const nodes = (graph as { nodes: Record<string, { op: string; params?: Record<string, Json> }> }).nodes;
  for (const n of Object.values(nodes)) {
    if (n.op !== 'map.cut') continue;
    const { col: _col, from: _from, to: _to, ...rest } = n.params ?? {};
    n.params = { ...rest, row: Math.floor(p.ny / 2) };
  }
  const file = path.join(dataDir, `paper-${fig.graph}`);
  fs.writeFileSync(file, `${JSON.stringify(graph, null, 2)}\n`);
  return file;
}

export async function makePaper(o: PaperOptions): Promise<PaperResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const params = resolveSimParams(o.preset, o.seed !== undefined ? { seed: o.seed } : {});
  const dataDir = path.join(o.outDir, 'data');
  const hash = simParamsHash(params);
  let simulateSeconds = 0;
  if (isCurrent(dataDir, hash)) log(`paper: ${dataDir} is current (params ${hash}), not simulating again`);
  else {
    const r = await simulateToDir({ outDir: dataDir, params, workers: o.workers, log });
    simulateSeconds = r.seconds;
    log(`paper: simulated ${r.patterns} patterns (${o.preset} preset) in ${r.seconds.toFixed(1)} s`);
  }
  const figures = o.only ? PAPER_FIGURES.filter((f) => o.only!.includes(f.id)) : PAPER_FIGURES;
  if (!figures.length)
    throw new UserError(
      `paper: no figure among --only ${o.only?.join(',')} (figures: ${PAPER_FIGURES.map((f) => f.id).join(', ')})`,
    );
  const cacheDir = path.join(o.outDir, 'cache');
  const runs: PaperRun[] = [];
  for (const fig of figures) {
    const t = performance.now();
    const graphFile = paperGraphFile(fig, params, dataDir);
    const runDir = path.join(o.outDir, 'runs', fig.id);
    fs.rmSync(runDir, { recursive: true, force: true });
    await runGraph({ graphFile, outDir: runDir, cacheDir, workers: o.workers, quiet: true, noReport: true });
    const seconds = (performance.now() - t) / 1000;
    runs.push({ figure: fig, runDir, seconds });
    log(`paper: ${fig.label} (${fig.graph}) in ${seconds.toFixed(1)} s`);
  }
  const html = path.join(o.outDir, 'paper.html');
  const totalSeconds = (performance.now() - t0) / 1000;
  const { panels, problems } = await writePaper(html, runs, {
    preset: o.preset,
    dataDir,
    scan: [params.ny, params.nx],
    patterns: params.ny * params.nx,
    simulateSeconds,
    totalSeconds,
  });
  const seconds = (performance.now() - t0) / 1000;
  log(
    `paper: ${html} (${panels} panels${problems.length ? `, ${problems.length} problems` : ''}) in ${seconds.toFixed(1)} s`,
  );
  return {
    html,
    panels,
    problems,
    seconds,
    runs: runs.map((r) => ({ figure: r.figure.id, runDir: r.runDir, seconds: r.seconds })),
  };
}
