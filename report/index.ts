/**
 * Everything a run leaves for people to look at: map PNGs, plots, report.html, provenance.json.
 * Called by the engine after the run's .npy outputs and manifest are written. One figure failing
 * is reported on the page, never fatal for the others.
 */
import { correlateFigures } from './correlate-figure.ts';
import path from 'node:path';
import type { FigureDisplay, Manifest, WrittenOutput } from '../engine/run-types.ts';
import type { Json } from '../engine/types.ts';
import { renderComposite } from '../viz/composite.ts';
import { addPngText, encodePng } from '../viz/png.ts';
import { writeFileAtomic } from '../engine/write-atomic.ts';
import { timing } from '../engine/timing.ts';
import { type FigureCache, drawCached, withFigureCache } from './figure-cache.ts';
import { dagSvg } from './dag.ts';
import {
  componentsFigure,
  curvesFigure,
  cutFigures,
  fitFigures,
  mapFigure,
  outputStyle,
  profileFigure,
  styledPanel,
  type Figure,
} from './figures.ts';
import { reportHtml } from './html.ts';
import { ipfFigure } from './ipf-figure.ts';
import { representativePositions } from './positions.ts';
import {
  nodeProvenance,
  pngTextFor,
  runProvenance,
  writeSidecar,
  type FileProvenance,
} from './provenance.ts';
import { loadOutput, outputTitle, scanShapeOf, scanStepOf, type LoadedOutput } from './run-data.ts';

export const REPORT_FILE = 'report.html';
export const OVERVIEW_FILE = 'report.maps.png';

/** What was drawn: the display settings of every map panel (recorded in the manifest as `figures`). */
export interface RenderResult {
  figures: FigureDisplay[];
  problems: string[];
}

export interface RenderOptions {
  /** Draw through this cache: figures whose data and display are unchanged are not drawn again. */
  figureCache?: FigureCache | null;
  /**
   * What fixes an output file's bytes, known without reading it (see LoadedOutput.contentId): map
   * figures are then looked up in the figure cache by it and their files read only to draw.
   */
  contentId?: (out: WrittenOutput) => string | undefined;
}

export function renderRun(
  runDir: string,
  manifest: Manifest,
  opts: RenderOptions = {},
): Promise<RenderResult> {
  return withFigureCache(opts.figureCache ?? null, () => renderAll(runDir, manifest, opts));
}

async function renderAll(runDir: string, manifest: Manifest, opts: RenderOptions): Promise<RenderResult> {
  timing('report: modules loaded');
  const problems: string[] = [];
  const attempt = async <T>(what: string, fn: () => Promise<T> | T): Promise<T | null> => {
    try {
      return await fn();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
      return null;
    }
  };
  const loaded: LoadedOutput[] = [];
  for (const o of manifest.outputs) {
    const l = await attempt(`reading ${o.file}`, () => loadOutput(runDir, o));
    if (!l) continue;
    l.contentId = opts.contentId?.(o);
    loaded.push(l);
  }
  timing('report: read outputs');
  const [ny, nx] = scanShapeOf(manifest) ?? [1, 1];
  const firstMap = loaded.find((o) => o.out.kind === 'map' && o.data.some(Number.isFinite)) ?? null;
  const positions = representativePositions(firstMap, ny, nx);

  const figures: Figure[] = [];
  for (const o of loaded) {
    const what = `figure for ${o.out.file}`;
    let f: Figure | null = null;
    if (o.out.op === 'map.orientation' && o.out.field === 'ipf')
      f = await attempt(what, () => ipfFigure(runDir, manifest, o));
    else if (o.out.kind === 'map' || o.out.kind === 'maps')
      f = await attempt(what, () => mapFigure(runDir, manifest, o));
    else if (o.out.kind === 'curves')
      f = await attempt(what, () => curvesFigure(runDir, manifest, o, positions));
    else if (o.out.kind === 'array' && o.shape.length === 2 && o.axis && o.axis.length === o.shape[1])
      f = await attempt(what, () => componentsFigure(runDir, manifest, o));
    else if (o.out.kind === 'array' && o.shape.length === 1 && o.axis && o.axis.length === o.shape[0])
      f = await attempt(what, () => profileFigure(runDir, manifest, o));
    if (f) figures.push(f);
  }
  timing('report: per-output figures');
  figures.push(
    ...((await attempt('fit plots', () => fitFigures(runDir, manifest, loaded, positions))) ?? []),
  );
  for (const node of new Set(loaded.filter((o) => o.out.op === 'map.correlate').map((o) => o.out.node))) {
    figures.push(
      ...((await attempt(`correlation figures of ${node}`, () =>
        correlateFigures(runDir, manifest, loaded, node),
      )) ?? []),
    );
  }
  if (nx > 1)
    figures.push(...((await attempt('line cuts', () => cutFigures(manifest, loaded, ny, nx))) ?? []));
  timing('report: fit, correlation, cut figures');

  const maps = loaded.filter((o) => o.out.kind === 'map');
  let overview: Figure | null = null;
  if (maps.length > 1) {
    overview = await attempt('composite of all maps', () => {
      const prov = runProvenance(manifest, OVERVIEW_FILE, 'figure');
      const step = scanStepOf(manifest);
      const columns = Math.min(4, maps.length);
      const styled = maps.map((o) => {
        const style = outputStyle(manifest, o.out);
        return {
          o,
          style,
          title: style.label ?? outputTitle(o.out),
          label: o.out.file === `${o.out.node}.npy` ? o.out.node : o.out.field,
        };
      });
      const inputs = {
        maps: styled.map((m) => ({
          shape: m.o.shape,
          values: m.o.contentId ?? m.o.data,
          style: m.style,
          title: m.title,
          label: m.label,
          node: m.o.out.node,
          field: m.o.out.field,
          unit: m.o.out.unit,
        })),
        step,
        columns,
      };
      const drawn = drawCached('overview', inputs, () => {
        const panels = styled.map((m) =>
          styledPanel(m.o, m.style, m.o.data, m.title, m.label, OVERVIEW_FILE),
        );
        const image = renderComposite({ panels: panels.map((p) => p.spec), step, columns });
        return { png: encodePng(image), extra: panels.map((p) => p.display as unknown as Json) };
      });
      const display = drawn.extra as unknown as FigureDisplay[];
      prov.figure = { maps: maps.map((o) => o.out.file), display: display as unknown as Json };
      const png = addPngText(drawn.png!, pngTextFor(prov));
      writeFileAtomic(path.join(runDir, OVERVIEW_FILE), png);
      return {
        title: 'All output maps (shared scale bar)',
        section: 'maps',
        file: OVERVIEW_FILE,
        png,
        caption: '',
        provenance: prov,
        display,
      } satisfies Figure;
    });
  }

  timing('report: overview of all maps');
  const files: FileProvenance[] = [];
  for (const o of manifest.outputs) {
    files.push(nodeProvenance(manifest, o.node, o.field, o.file, 'data', o));
    if (o.axisFile) files.push(nodeProvenance(manifest, o.node, o.field, o.axisFile, 'axis', o));
  }
  for (const f of [overview, ...figures]) if (f?.file) files.push(f.provenance);
  files.push(runProvenance(manifest, REPORT_FILE, 'report'));
  files.push(runProvenance(manifest, 'manifest.json', 'manifest'));

  const dag = (await attempt('graph drawing', () => dagSvg(manifest))) ?? '';
  const html = reportHtml({ manifest, dag, overview, figures, positions, files, problems });
  // via a temp file: a full disk left a 0-byte report.html
  writeFileAtomic(path.join(runDir, REPORT_FILE), html);
  writeSidecar(runDir, files);
  return { figures: [overview, ...figures].flatMap((f) => f?.display ?? []), problems };
}
