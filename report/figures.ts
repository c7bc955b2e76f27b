/**
 * The pictures of a run: a PNG per written output (map figure, composite for multi-maps, curve plot
 * at representative positions, component plot), Gaussian-fit plots, and a line-cut profile. Each
 * PNG carries its provenance in text chunks; each figure also keeps its SVG / PNG for report.html.
 */
import path from 'node:path';
import type { Json } from '../engine/types.ts';
import type { FigureDisplay, Manifest, WrittenOutput } from '../engine/run-types.ts';
import {
  displayFor,
  limitsOf,
  limitsSource,
  mapStyleOf,
  styleRecord,
  type MapStyleChoice,
  type NodeDisplay,
} from '../viz/display.ts';
import { renderComposite } from '../viz/composite.ts';
import { lineCut, sampleMap } from '../viz/linecut.ts';
import { renderMapFigure } from '../viz/map-figure.ts';
import type { MapPanelSpec } from '../viz/map-panel.ts';
import {
  AXIS_TITLES,
  componentsPlotSpec,
  curvePlotSpec,
  fitPlotSpec,
  profilePlotSpec,
  renderSvg,
  yTitleFor,
  type GaussianFitParams,
  type VlSpec,
} from '../viz/plots.ts';
import { addPngText, encodePng } from '../viz/png.ts';
import { writeFileAtomic } from '../engine/write-atomic.ts';
import { drawCached, drawCachedAsync } from './figure-cache.ts';
import { svgToPngBytes } from '../viz/raster.ts';
import { positionName, type Position } from './positions.ts';
import { nodeProvenance, pngTextFor, runProvenance, type FileProvenance } from './provenance.ts';
import { curveAt, outputBase, outputTitle, refNode, scanStepOf, type LoadedOutput } from './run-data.ts';

export interface Figure {
  title: string;
  section: 'maps' | 'curves' | 'fits' | 'components' | 'cuts';
  /** File written into the run directory, if any. */
  file: string | null;
  png?: Buffer;
  svg?: string;
  caption: string;
  provenance: FileProvenance;
  /** Map figures: the display settings each panel was drawn with. */
  display?: FigureDisplay[];
}

const fieldLabel = (o: LoadedOutput) => (o.out.file === `${o.out.node}.npy` ? o.out.node : o.out.field);

/** The graph's `display` settings for an output (the run's graph, as recorded in its manifest) resolved into a style. */
export function outputStyle(m: Manifest, out: Pick<WrittenOutput, 'node' | 'field' | 'op'>): MapStyleChoice {
  const nodes = ((m.graph as { nodes?: Record<string, { display?: NodeDisplay }> } | null)?.nodes ??
    {}) as Record<string, { display?: NodeDisplay }>;
  return mapStyleOf(displayFor(nodes[out.node]?.display, out.field), {
    node: out.node,
    field: out.field,
    op: out.op,
  });
}

/** One map panel of an output in its display style; the limits are fixed here, once, and recorded. */
export function styledPanel(
  o: LoadedOutput,
  style: MapStyleChoice,
  values: ArrayLike<number>,
  title: string,
  label: string,
  figure: string,
  panel?: number,
): { spec: MapPanelSpec; display: FigureDisplay } {
  const limits = limitsOf(values, style);
  const spec: MapPanelSpec = {
    values,
    ny: o.shape[0],
    nx: o.shape[1],
    title,
    label,
    unit: o.out.unit,
    colormap: style.colormap,
    limits,
    centreOnZero: false,
  };
  const display: FigureDisplay = {
    file: figure,
    node: o.out.node,
    field: o.out.field,
    ...(panel !== undefined ? { panel } : {}),
    ...styleRecord(style, limits),
  } as FigureDisplay;
  return { spec, display };
}

function writePng(runDir: string, file: string, png: Buffer) {
  writeFileAtomic(path.join(runDir, file), png);
}

/** Map figure (kind map) or composite (kind maps, one panel per component), in the output's display style. */
export function mapFigure(runDir: string, m: Manifest, o: LoadedOutput): Figure {
  const file = `${outputBase(o.out)}.png`;
  const prov = nodeProvenance(m, o.out.node, o.out.field, file, 'figure', o.out);
  const step = scanStepOf(m);
  const style = outputStyle(m, o.out);
  const title = style.label ?? outputTitle(o.out);
  const inputs = {
    kind: o.out.kind,
    shape: o.shape,
    // the file's identity when the run knows it (no read on a hit), else its values
    values: o.contentId ?? o.data,
    style,
    title,
    label: fieldLabel(o),
    file,
    node: o.out.node,
    field: o.out.field,
    unit: o.out.unit,
    step,
  };
  const drawn = drawCached('map', inputs, () => {
    let image: ReturnType<typeof renderComposite>;
    const display: FigureDisplay[] = [];
    let figInfo: Record<string, Json>;
    if (o.out.kind === 'map') {
      const p = styledPanel(o, style, o.data, title, fieldLabel(o), file);
      const f = renderMapFigure({ ...p.spec, step });
      image = f.image;
      display.push(p.display);
      figInfo = { ...(p.display as unknown as Record<string, Json>), map: f.map };
    } else {
      const [ny, nx, k] = o.shape;
      const panels: MapPanelSpec[] = [];
      for (let j = 0; j < k; j++) {
        const v = new Float64Array(ny * nx);
        for (let q = 0; q < ny * nx; q++) v[q] = o.data[q * k + j];
        const p = styledPanel(
          o,
          style,
          v,
          `${fieldLabel(o)} [${j + 1}]`,
          `${fieldLabel(o)} ${j + 1}`,
          file,
          j,
        );
        panels.push(p.spec);
        display.push(p.display);
      }
      image = renderComposite({ panels, step, title, columns: Math.min(k, 4) });
      figInfo = {
        components: k,
        colormap: style.colormap,
        limitsFrom: `${limitsSource(style)}${style.limits ? '' : ' per panel'}`,
        panels: display.map((d) => d.limits),
        display: style.settings as Record<string, Json>,
      };
    }
    return { png: encodePng(image), extra: { display: display as unknown as Json, figInfo } };
  });
  const { display, figInfo } = drawn.extra as unknown as {
    display: FigureDisplay[];
    figInfo: Record<string, Json>;
  };
  prov.figure = figInfo;
  const png = addPngText(drawn.png!, pngTextFor(prov));
  writePng(runDir, file, png);
  return { title, section: 'maps', file, png, caption: captionOf(prov), provenance: prov, display };
}

/** A Vega-Lite plot as SVG (for the page) and, when it is written as a file, PNG — drawn once per spec. */
async function plotDrawing(spec: VlSpec, asPng: boolean): Promise<{ svg: string; png?: Buffer }> {
  const d = await drawCachedAsync('plot', { spec, asPng }, async () => {
    const svg = await renderSvg(spec);
    return asPng ? { svg, png: svgToPngBytes(svg, 2) } : { svg };
  });
  return { svg: d.svg!, png: d.png };
}

/** A plot written as `file` (if any) with its provenance, and kept as SVG for the page. */
export async function plotFigure(
  runDir: string,
  spec: VlSpec,
  file: string | null,
  prov: FileProvenance,
  title: string,
  section: Figure['section'],
): Promise<Figure> {
  const drawn = await plotDrawing(spec, !!file);
  let png: Buffer | undefined;
  if (file) {
    png = addPngText(drawn.png!, pngTextFor(prov));
    writePng(runDir, file, png);
  }
  return { title, section, file, svg: drawn.svg, png, caption: captionOf(prov), provenance: prov };
}

/** Per-position curves at the representative positions. */
export async function curvesFigure(
  runDir: string,
  m: Manifest,
  o: LoadedOutput,
  positions: Position[],
): Promise<Figure> {
  const file = `${outputBase(o.out)}.png`;
  const prov = nodeProvenance(m, o.out.node, o.out.field, file, 'plot', o.out);
  prov.figure = { positions: positions.map((p) => ({ iy: p.iy, ix: p.ix, why: p.label })) };
  const n = o.shape[2];
  const x = o.axis ?? Float64Array.from({ length: n }, (_, i) => i);
  const series = positions.map((p) => ({
    label: `${positionName(p)} ${p.label}`,
    x,
    y: curveAt(o, p.iy, p.ix),
  }));
  const spec = curvePlotSpec({
    series,
    xTitle: AXIS_TITLES[o.out.axisName ?? ''] ?? o.out.axisName ?? 'index',
    yTitle: yTitleFor(o.out.field, o.out.unit),
    title: outputTitle(o.out),
  });
  return plotFigure(runDir, spec, file, prov, outputTitle(o.out), 'curves');
}

/** [k, n] arrays with an axis (NMF components). */
export async function componentsFigure(runDir: string, m: Manifest, o: LoadedOutput): Promise<Figure> {
  const file = `${outputBase(o.out)}.png`;
  const prov = nodeProvenance(m, o.out.node, o.out.field, file, 'plot', o.out);
  const [k, n] = o.shape;
  const axis = o.axis && o.axis.length === n ? o.axis : Float64Array.from({ length: n }, (_, i) => i);
  const spec = componentsPlotSpec(o.data, k, axis, o.out.axisName ?? 'index', outputTitle(o.out));
  return plotFigure(runDir, spec, file, prov, outputTitle(o.out), 'components');
}

/** 1-D arrays over an axis (e.g. map.cut profiles: value against distance). */
export async function profileFigure(runDir: string, m: Manifest, o: LoadedOutput): Promise<Figure> {
  const file = `${outputBase(o.out)}.png`;
  const prov = nodeProvenance(m, o.out.node, o.out.field, file, 'plot', o.out);
  const xName = o.out.axisName ?? 'index';
  const xTitle =
    AXIS_TITLES[xName] ?? (xName === 'distance' ? `distance (${scanStepOf(m) ? 'nm' : 'positions'})` : xName);
  const yTitle = o.out.unit ? `${o.out.field} (${o.out.unit})` : o.out.field;
  const spec = profilePlotSpec(
    o.axis!,
    [{ label: outputTitle(o.out), values: o.data }],
    xTitle,
    yTitle,
    outputTitle(o.out),
  );
  return plotFigure(runDir, spec, file, prov, outputTitle(o.out), 'cuts');
}

/** Gaussian fits drawn over the curve they were fitted to, at each representative position. */
export async function fitFigures(
  runDir: string,
  m: Manifest,
  loaded: LoadedOutput[],
  positions: Position[],
): Promise<Figure[]> {
  const figs: Figure[] = [];
  const fitNodes = [
    ...new Set(
      loaded.filter((o) => /^A\d+$/.test(o.out.field) && o.out.kind === 'map').map((o) => o.out.node),
    ),
  ];
  for (const node of fitNodes) {
    const field = (f: string) => loaded.find((o) => o.out.node === node && o.out.field === f);
    let n = 0;
    while (field(`A${n + 1}`) && field(`c${n + 1}`) && field(`sigma${n + 1}`)) n++;
    const a = field('a');
    const a0 = field('a0');
    if (!n || !a || !a0) continue;
    const inputRef = Object.values(m.nodes[node]?.inputNodes ?? {})[0];
    if (!inputRef) continue;
    const ref = refNode(inputRef, m);
    const curve = loaded.find(
      (o) => o.out.kind === 'curves' && o.out.node === ref.node && (!ref.field || o.out.field === ref.field),
    );
    if (!curve?.axis) continue;
    const range = (m.nodes[node]?.params?.range ?? null) as [number, number] | null;
    const nx = curve.shape[1];
    for (const [i, p] of positions.entries()) {
      const at = (o: LoadedOutput) => o.data[p.iy * nx + p.ix];
      const params: GaussianFitParams = {
        A: Array.from({ length: n }, (_, k) => at(field(`A${k + 1}`)!)),
        c: Array.from({ length: n }, (_, k) => at(field(`c${k + 1}`)!)),
        sigma: Array.from({ length: n }, (_, k) => at(field(`sigma${k + 1}`)!)),
        a: at(a),
        a0: at(a0),
      };
      if (![...params.A, ...params.c, ...params.sigma, params.a, params.a0].every(Number.isFinite)) continue;
      const file = i === 0 ? `${node}.fit.png` : null;
      const prov = nodeProvenance(m, node, null, file ?? `report.html#fit-${node}-${p.iy}-${p.ix}`, 'plot');
      prov.figure = {
        position: { iy: p.iy, ix: p.ix, why: p.label },
        curve: `${curve.out.node}.${curve.out.field}`,
        fit: params as unknown as Json,
      };
      const title = `${node}: fit at ${positionName(p)}, ${p.label}`;
      const spec = fitPlotSpec({
        x: curve.axis,
        y: curveAt(curve, p.iy, p.ix),
        params,
        range: range ?? undefined,
        title,
        yTitle: yTitleFor(curve.out.field, curve.out.unit),
      });
      figs.push(await plotFigure(runDir, spec, file, prov, title, 'fits'));
    }
  }
  return figs;
}

/** A horizontal line cut through the middle row: every map's profile, and the first curves as a waterfall. */
export async function cutFigures(
  m: Manifest,
  loaded: LoadedOutput[],
  ny: number,
  nx: number,
): Promise<Figure[]> {
  const figs: Figure[] = [];
  const step = scanStepOf(m);
  const row = Math.floor(ny / 2);
  const cut = lineCut([row, 0], [row, nx - 1], step);
  const xTitle = cut.unit === 'nm' ? 'distance (nm)' : 'distance (positions)';
  const maps = loaded.filter((o) => o.out.kind === 'map').slice(0, 6);
  for (const o of maps.slice(0, 1)) {
    const prov = nodeProvenance(
      m,
      o.out.node,
      o.out.field,
      `report.html#cut-${outputBase(o.out)}`,
      'plot',
      o.out,
    );
    prov.figure = { cut: { from: [row, 0], to: [row, nx - 1] } };
    const title = `${outputTitle(o.out)} along row y = ${row}`;
    const spec = profilePlotSpec(
      cut.distance,
      [{ label: outputTitle(o.out), values: sampleMap(o.data, nx, cut) }],
      xTitle,
      o.out.unit ? `${fieldLabel(o)} (${o.out.unit})` : fieldLabel(o),
      title,
    );
    figs.push({
      title,
      section: 'cuts',
      file: null,
      svg: (await plotDrawing(spec, false)).svg,
      caption: captionOf(prov),
      provenance: prov,
    });
  }
  const curves = loaded.find((o) => o.out.kind === 'curves');
  if (curves) {
    const every = Math.max(1, Math.ceil(cut.ix.length / 12));
    const x = curves.axis ?? Float64Array.from({ length: curves.shape[2] }, (_, i) => i);
    const series = [];
    for (let i = 0; i < cut.ix.length; i += every)
      series.push({ label: `x ${cut.ix[i]}`, x, y: curveAt(curves, cut.iy[i], cut.ix[i]) });
    const prov = nodeProvenance(
      m,
      curves.out.node,
      curves.out.field,
      `report.html#waterfall-${outputBase(curves.out)}`,
      'plot',
      curves.out,
    );
    prov.figure = { cut: { from: [row, 0], to: [row, nx - 1], every } };
    const title = `${outputTitle(curves.out)} along row y = ${row} (waterfall, every ${every} position${every > 1 ? 's' : ''})`;
    const spec = curvePlotSpec({
      series,
      xTitle: AXIS_TITLES[curves.out.axisName ?? ''] ?? 'index',
      yTitle: yTitleFor(curves.out.field, curves.out.unit),
      title,
      waterfall: 'auto',
    });
    figs.push({
      title,
      section: 'cuts',
      file: null,
      svg: (await plotDrawing(spec, false)).svg,
      caption: captionOf(prov),
      provenance: prov,
    });
  }
  return figs;
}

export function captionOf(p: FileProvenance): string {
  const params = p.params && Object.keys(p.params).length ? JSON.stringify(p.params) : '{}';
  return `node ${p.node ?? '—'}${p.field ? ` field ${p.field}` : ''} · op ${p.op ?? '—'} · key ${p.key?.slice(0, 16) ?? '—'} · params ${params}`;
}

export { runProvenance };
