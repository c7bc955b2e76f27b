/**
 * paper.html: the reference study's figures (report/paper-layout.ts), each drawn from the run of its
 * graphs/paper/ graph with the report's own figure code (maps in their display style, plots through
 * Vega-Lite), laid out as the study's figures with a caption saying what the figure shows and, per
 * panel, the node, op and cache key that made it. One self-contained file: every image a data URI,
 * a Content-Security-Policy that forbids fetches. A panel that cannot be drawn is said on the page.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Manifest, WrittenOutput } from '../engine/run-types.ts';
import { lineCut } from '../viz/linecut.ts';
import { curvePlotSpec, profilePlotSpec, renderSvg, AXIS_TITLES, yTitleFor } from '../viz/plots.ts';
import { escapeXml as esc } from '../viz/raster.ts';
import { correlateFigures } from './correlate-figure.ts';
import {
  componentsFigure,
  curvesFigure,
  fitFigures,
  mapFigure,
  profileFigure,
  type Figure,
} from './figures.ts';
import type { Panel, PaperFigure } from './paper-layout.ts';
import { representativePositions } from './positions.ts';
import { curveAt, loadOutput, readManifest, scanShapeOf, scanStepOf, type LoadedOutput } from './run-data.ts';
import { NpyReader } from '../formats/npy.ts';
import { renderMapFigure } from '../viz/map-figure.ts';
import { encodePng } from '../viz/png.ts';

export interface PaperRun {
  figure: PaperFigure;
  runDir: string;
  seconds: number;
}

export interface PaperInfo {
  preset: string;
  dataDir: string;
  scan: [number, number];
  patterns: number;
  simulateSeconds: number;
  totalSeconds: number;
}

interface Drawn {
  title: string;
  src: string;
  node: string;
  caption: string;
}

/** Which node made a panel: node, field, op and version, cache key, and its params (folded). */
function captionOfProvenance(m: Manifest, node: string, field: string | null): string {
  const n = m.nodes[node];
  if (!n) return `node <code>${esc(node)}</code>`;
  const params = JSON.stringify(n.params);
  const inputs = Object.entries(n.inputNodes)
    .map(([port, ref]) => `${esc(port)} ← <code>${esc(ref)}</code>`)
    .join(', ');
  return (
    `made by node <code>${esc(node)}</code>${field ? ` field <code>${esc(field)}</code>` : ''} · op <code>${esc(n.op)}</code> v${n.opVersion} · key <code>${esc(n.key.slice(0, 16))}</code>` +
    `<details><summary>params, inputs</summary><code>${esc(params.length > 600 ? `${params.slice(0, 600)}…` : params)}</code>${inputs ? `<br>${inputs}` : ''}</details>`
  );
}

const dataUri = (mime: string, bytes: Buffer | string) =>
  `data:${mime};base64,${Buffer.from(bytes).toString('base64')}`;

function outputOf(m: Manifest, node: string, field?: string): WrittenOutput {
  const o = m.outputs.find((x) => x.node === node && (!field || x.field === field));
  if (!o)
    throw new Error(
      `the run wrote no output ${node}${field ? `.${field}` : ''} (it has: ${[...new Set(m.outputs.map((x) => x.node))].join(', ')})`,
    );
  return o;
}

function figureSrc(f: Figure): string {
  return f.svg ? dataUri('image/svg+xml', f.svg) : dataUri('image/png', f.png ?? Buffer.alloc(0));
}

function drawnOf(f: Figure, m: Manifest): Drawn {
  const node = f.provenance.node ?? '';
  return {
    title: f.title,
    src: figureSrc(f),
    node,
    caption: captionOfProvenance(m, node, f.provenance.field ?? null),
  };
}

/** Width and height of a PNG from its IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** The map figure with the cut drawn over it: a line across the middle row and a dot at every sampled position. */
function markedMap(f: Figure, row: number, cols: number[], nx: number, ny: number): string {
  const png = f.png!;
  const [w, h] = pngSize(png);
  const rect = (f.provenance.figure as { map?: { x: number; y: number; w: number; h: number } } | undefined)
    ?.map;
  if (!rect) return dataUri('image/png', png);
  const X = (ix: number) => rect.x + ((ix + 0.5) / nx) * rect.w;
  const Y = rect.y + ((row + 0.5) / ny) * rect.h;
  const dots = cols
    .map(
      (ix) =>
        `<circle cx="${X(ix).toFixed(1)}" cy="${Y.toFixed(1)}" r="2.6" fill="#fff" stroke="#000" stroke-width="0.8"/>`,
    )
    .join('');
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<image width="${w}" height="${h}" xlink:href="${dataUri('image/png', png)}"/>` +
    `<line x1="${X(0).toFixed(1)}" y1="${Y.toFixed(1)}" x2="${X(nx - 1).toFixed(1)}" y2="${Y.toFixed(1)}" stroke="#fff" stroke-width="1.5" stroke-dasharray="4 3"/>${dots}</svg>`;
  return dataUri('image/svg+xml', svg);
}

async function waterfall(runDir: string, m: Manifest, p: Panel): Promise<Drawn[]> {
  const curves = loadOutput(runDir, outputOf(m, p.node, p.field));
  const [ny, nx] = scanShapeOf(m) ?? [curves.shape[0], curves.shape[1]];
  const row = Math.floor(ny / 2);
  const cut = lineCut([row, 0], [row, nx - 1], scanStepOf(m));
  const every = Math.max(1, Math.ceil(cut.ix.length / 14));
  const x = curves.axis ?? Float64Array.from({ length: curves.shape[2] }, (_, i) => i);
  const cols: number[] = [];
  const series = [];
  for (let i = 0; i < cut.ix.length; i += every) {
    cols.push(cut.ix[i]);
    series.push({ label: `x ${cut.ix[i]}`, x, y: curveAt(curves, cut.iy[i], cut.ix[i]) });
  }
  const title = `G(r) along row y = ${row}, every ${every} position${every > 1 ? 's' : ''} (waterfall, left → right)`;
  const spec = curvePlotSpec({
    series,
    xTitle: AXIS_TITLES[curves.out.axisName ?? ''] ?? 'r (Å)',
    yTitle: yTitleFor(curves.out.field, curves.out.unit),
    title,
    waterfall: 'auto',
  });
  const out: Drawn[] = [
    {
      title,
      src: dataUri('image/svg+xml', await renderSvg(spec)),
      node: p.node,
      caption: captionOfProvenance(m, p.node, p.field ?? null),
    },
  ];
  if (p.with) {
    const [node, field] = p.with.split('.');
    const mapOut = loadOutput(runDir, outputOf(m, node, field));
    const f = mapFigure(runDir, m, mapOut);
    out.unshift({
      title: `${f.title} — the cut (row ${row}) and its positions`,
      src: markedMap(f, row, cols, nx, ny),
      node,
      caption: captionOfProvenance(m, node, field ?? null),
    });
  }
  return out;
}

async function series(runDir: string, m: Manifest, p: Panel): Promise<Drawn[]> {
  const outs = m.outputs.filter((o) => o.node === p.node && (!p.fields || p.fields.includes(o.field)));
  if (!outs.length) throw new Error(`the run wrote no fields ${p.fields?.join(', ') ?? ''} of ${p.node}`);
  // model.response: one row per Zr fraction of its `c` param
  const cs = m.nodes[p.node]?.params?.c;
  const rows = Array.isArray(cs) ? cs.map((c) => `c = ${c}`) : null;
  const lines: { label: string; values: ArrayLike<number> }[] = [];
  let x: ArrayLike<number> | null = null;
  let xName = 'index';
  for (const o of outs) {
    const l = loadOutput(runDir, o);
    const n = l.shape[l.shape.length - 1];
    const k = l.shape.length === 2 ? l.shape[0] : 1;
    x = l.axis && l.axis.length === n ? l.axis : Float64Array.from({ length: n }, (_, i) => i);
    xName = l.axis && l.axis.length === n ? (o.axisName ?? 'x') : 'sample';
    for (let j = 0; j < k; j++)
      lines.push({
        label: k > 1 ? `${o.field} ${rows?.[j] ?? j + 1}` : o.field,
        values: l.data.subarray(j * n, (j + 1) * n),
      });
  }
  // map.correlate: its cuts against their distance, and its r and ρ in the title
  const field = (f: string) => m.outputs.find((o) => o.node === p.node && o.field === f);
  const distance = field('cutDistance');
  if (distance && outs.every((o) => o.field.startsWith('cut'))) {
    const d = loadOutput(runDir, distance);
    x = d.data.subarray(0, d.shape[d.shape.length - 1]);
    xName = scanStepOf(m) ? 'distance (nm)' : 'distance (scan px)';
  }
  const stat = (f: string) => {
    const o = field(f);
    return o ? loadOutput(runDir, o).data[0] : Number.NaN;
  };
  const r = stat('pearson');
  const rho = stat('spearman');
  const unit = outs[0].unit;
  const title = `${p.node}: ${outs.map((o) => o.field).join(', ')}${Number.isFinite(r) ? ` (over the mask: Pearson r ${r.toFixed(3)}, Spearman ρ ${rho.toFixed(3)})` : ''}`;
  const spec = profilePlotSpec(
    x!,
    lines,
    AXIS_TITLES[xName] ?? xName,
    unit
      ? `${outs.length === 1 ? outs[0].field : 'value'} (${unit})`
      : outs.length === 1
        ? outs[0].field
        : 'value',
    title,
  );
  return [
    {
      title,
      src: dataUri('image/svg+xml', await renderSvg(spec)),
      node: p.node,
      caption: captionOfProvenance(m, p.node, outs.length === 1 ? outs[0].field : null),
    },
  ];
}

/** One row of a [ny, nx, …] .npy at a position, as float64. */
function rowAt(file: string, index: number): Float64Array {
  const r = new NpyReader(file, 2);
  try {
    return Float64Array.from(r.readRows(index, 1).data as ArrayLike<number>);
  } finally {
    r.close();
  }
}

/** A detector image (log counts; NaN = masked, drawn gray) as a PNG data URI. */
function patternPng(values: Float64Array, h: number, w: number, title: string): string {
  let hi = 0;
  for (const v of values) if (Number.isFinite(v)) hi = Math.max(hi, v);
  const f = renderMapFigure({
    values,
    ny: h,
    nx: w,
    title,
    label: 'log(1 + counts)',
    colormap: 'viridis',
    limits: [0, hi || 1],
    centreOnZero: false,
  });
  return dataUri('image/png', encodePng(f.image));
}

async function points(runDir: string, m: Manifest, p: Panel): Promise<Drawn[]> {
  if (!p.with || !p.curves)
    throw new Error(
      "a 'points' panel needs `with` (the map picking the points) and `curves` (the I(Q) output)",
    );
  const [mapNode, mapField] = p.with.split('.');
  const map = loadOutput(runDir, outputOf(m, mapNode, mapField));
  const [ny, nx] = scanShapeOf(m) ?? [map.shape[0], map.shape[1]];
  const picks = representativePositions(map, ny, nx);
  const frames = m.dataset?.path;
  if (!frames || !fs.existsSync(frames))
    throw new Error(`the run's dataset ${frames ?? '(none)'} is not readable: the raw patterns come from it`);
  const shape = m.dataset!.frameShape;
  const [h, w] = shape.slice(-2);
  const maskOut = outputOf(m, p.node, p.field);
  const maskFile = path.join(runDir, maskOut.file);
  const out: Drawn[] = [];
  for (const pt of picks) {
    const at = pt.iy * nx + pt.ix;
    const raw = rowAt(frames, at);
    const bits = rowAt(maskFile, at);
    const log = raw.map((v) => Math.log1p(v));
    const masked = log.map((v, i) => ((bits[i >> 3] >> (i & 7)) & 1 ? Number.NaN : v));
    const where = `(${pt.iy}, ${pt.ix}), ${pt.label}`;
    out.push({
      title: `raw pattern at ${where}`,
      src: patternPng(log, h, w, `raw (${pt.iy}, ${pt.ix})`),
      node: 'frames',
      caption: captionOfProvenance(m, 'frames', null),
    });
    out.push({
      title: `masked pattern at ${where}`,
      src: patternPng(masked, h, w, `masked (${pt.iy}, ${pt.ix})`),
      node: p.node,
      caption: captionOfProvenance(m, p.node, p.field ?? null),
    });
  }
  const [cNode, cField] = p.curves.split('.');
  const iq = loadOutput(runDir, outputOf(m, cNode, cField));
  const f = await curvesFigure(runDir, m, iq, picks);
  out.push(drawnOf(f, m));
  return out;
}

async function fits(runDir: string, m: Manifest, p: Panel): Promise<Drawn[]> {
  const loaded = m.outputs
    .filter((o) => o.node === p.node || o.kind === 'curves')
    .map((o) => loadOutput(runDir, o));
  const [ny, nx] = scanShapeOf(m) ?? [1, 1];
  const c1 = loaded.find((o) => o.out.node === p.node && o.out.field === 'c1') ?? null;
  const figs = await fitFigures(runDir, m, loaded, representativePositions(c1, ny, nx));
  if (!figs.length)
    throw new Error(`no fit of ${p.node} could be drawn (its curve input must be among the run's outputs)`);
  return figs.map((f) => drawnOf(f, m));
}

async function scatter(runDir: string, m: Manifest, p: Panel): Promise<Drawn[]> {
  const fields = ['histogram', 'binsA', 'binsB', 'pearson', 'spearman'];
  const loaded = m.outputs
    .filter((o) => o.node === p.node && fields.includes(o.field))
    .map((o) => loadOutput(runDir, o));
  const fig = (await correlateFigures(runDir, m, loaded, p.node))[0];
  if (!fig)
    throw new Error(
      `${p.node}: a 'scatter' panel needs a map.correlate node's histogram, binsA and binsB among the run's outputs`,
    );
  return [drawnOf(fig, m)];
}

async function auto(runDir: string, m: Manifest, p: Panel): Promise<Drawn[]> {
  const o: LoadedOutput = loadOutput(runDir, outputOf(m, p.node, p.field));
  const [ny, nx] = scanShapeOf(m) ?? [1, 1];
  let f: Figure;
  if (o.out.kind === 'map' || o.out.kind === 'maps') f = mapFigure(runDir, m, o);
  else if (o.out.kind === 'curves')
    f = await curvesFigure(runDir, m, o, representativePositions(null, ny, nx));
  else if (o.shape.length === 2 && o.axis && o.axis.length === o.shape[1])
    f = await componentsFigure(runDir, m, o);
  else if (o.shape.length === 1 && o.axis && o.axis.length === o.shape[0])
    f = await profileFigure(runDir, m, o);
  else
    throw new Error(
      `${o.out.file}: shape (${o.shape.join(', ')}) without a matching axis; give the panel a kind`,
    );
  return [drawnOf(f, m)];
}

async function drawPanel(runDir: string, m: Manifest, p: Panel): Promise<Drawn[]> {
  switch (p.kind ?? 'auto') {
    case 'waterfall':
      return waterfall(runDir, m, p);
    case 'series':
      return series(runDir, m, p);
    case 'fit':
      return fits(runDir, m, p);
    case 'scatter':
      return scatter(runDir, m, p);
    case 'points':
      return points(runDir, m, p);
    default:
      return auto(runDir, m, p);
  }
}

const STYLE = `
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;margin:0 auto;max-width:1250px;padding:0 20px 40px;color:#1a1a1a;font-size:14px}
h1{font-size:22px;margin:18px 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:34px}
.shows{max-width:900px}.muted{color:#666}.grid{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:0;border:1px solid #e2e2e2;border-radius:6px;padding:6px;background:#fff;max-width:100%}
figure img{display:block;max-width:100%;height:auto}figcaption{font-size:11px;color:#444;margin-top:4px;max-width:420px}
code{font-size:11px;word-break:break-all}.problem{color:#a00}nav a{margin-right:10px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left}
@media print{nav{display:none}section{break-inside:avoid}}`;

/** Draw every figure of the runs and write paper.html; returns the number of panels and the problems. */
export async function writePaper(
  file: string,
  runs: PaperRun[],
  info: PaperInfo,
): Promise<{ panels: number; problems: string[] }> {
  const problems: string[] = [];
  let panels = 0;
  const sections: string[] = [];
  for (const run of runs) {
    const m = readManifest(run.runDir);
    const fig = run.figure;
    const drawn: string[] = [];
    for (const p of fig.panels) {
      try {
        for (const d of await drawPanel(run.runDir, m, p)) {
          panels++;
          drawn.push(
            `<figure data-node="${esc(d.node)}"><img src="${d.src}" alt="${esc(d.title)}"><figcaption><b>${esc(d.title)}</b><br>${d.caption}</figcaption></figure>`,
          );
        }
      } catch (e) {
        const msg = `${fig.label}, panel ${p.node}${p.field ? `.${p.field}` : ''}: ${(e as Error).message}`;
        problems.push(msg);
        drawn.push(`<p class="problem">${esc(msg)}</p>`);
      }
    }
    const nodes = Object.keys(m.nodes).length;
    const computed = Object.values(m.nodes).filter((n) => n.status === 'computed').length;
    sections.push(
      `<section id="${esc(fig.id)}"><h2>${esc(fig.label)} — ${esc(fig.title)}</h2><p class="shows">${esc(fig.shows)}</p>` +
        `<p class="muted">graph <code>graphs/paper/${esc(fig.graph)}</code> · run <code>${esc(path.basename(run.runDir))}</code> · ${nodes} nodes (${computed} computed, the rest from the cache) · ${run.seconds.toFixed(1)} s</p>` +
        `<div class="grid">${drawn.join('')}</div></section>`,
    );
  }
  const nav = runs.map((r) => `<a href="#${esc(r.figure.id)}">${esc(r.figure.label)}</a>`).join('');
  const problemList = problems.length
    ? `<section><h2>Problems</h2>${problems.map((p) => `<p class="problem">${esc(p)}</p>`).join('')}</section>`
    : '';
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">` +
    `<title>snem — the study's figures (${esc(info.preset)} preset)</title><style>${STYLE}</style></head><body>` +
    `<h1>The reference study's figures, reproduced by snem</h1>` +
    `<p class="muted">Simulated Ni / Zr₆₅Cu₁₇.₅Ni₁₀Al₇.₅ glass / Ni laminate, preset <code>${esc(info.preset)}</code>: ${info.scan[0]} × ${info.scan[1]} positions, ${info.patterns.toLocaleString('en')} patterns in <code>${esc(info.dataDir)}</code> (simulated in ${info.simulateSeconds.toFixed(1)} s); ${runs.length} graphs from <code>graphs/paper/</code> on one cache; ${panels} panels; ${info.totalSeconds.toFixed(1)} s end to end. Each panel names the node that made it (op, cache key); each section the graph and its run directory.</p>` +
    `<nav>${nav}</nav>${sections.join('')}${problemList}</body></html>`;
  fs.writeFileSync(file, html);
  return { panels, problems };
}
