/**
 * The figures of a map.correlate node: the scatter of its two maps as a 2-D histogram (log counts)
 * with Pearson r and Spearman ρ in the title, and both maps along each line cut (each as z-scores,
 * so maps in different units share one axis) with the correlation along the cut.
 */
import type { Manifest } from '../engine/run-types.ts';
import type { VlSpec } from '../viz/plots.ts';
import type { Figure } from './figures.ts';
import { plotFigure } from './figures.ts';
import { nodeProvenance } from './provenance.ts';
import type { LoadedOutput } from './run-data.ts';

/** Inputs a and b of a map.correlate node, as the graph names them. */
function inputNames(m: Manifest, node: string): [string, string] {
  const ins = (m.nodes[node]?.inputNodes ?? {}) as Record<string, string>;
  return [ins.a ?? 'a', ins.b ?? 'b'];
}

const field = (loaded: LoadedOutput[], node: string, f: string) =>
  loaded.find((o) => o.out.node === node && o.out.field === f) ?? null;

async function figure(
  runDir: string,
  m: Manifest,
  o: LoadedOutput,
  spec: VlSpec,
  file: string,
  title: string,
  section: Figure['section'],
): Promise<Figure> {
  return plotFigure(
    runDir,
    spec,
    file,
    nodeProvenance(m, o.out.node, o.out.field, file, 'plot', o.out),
    title,
    section,
  );
}

export async function correlateFigures(
  runDir: string,
  m: Manifest,
  loaded: LoadedOutput[],
  node: string,
): Promise<Figure[]> {
  const hist = field(loaded, node, 'histogram');
  const binsA = field(loaded, node, 'binsA');
  const binsB = field(loaded, node, 'binsB');
  const figs: Figure[] = [];
  const [na, nb] = inputNames(m, node);
  const r = field(loaded, node, 'pearson')?.data[0];
  const rho = field(loaded, node, 'spearman')?.data[0];
  const stats = `Pearson r ${Number.isFinite(r) ? r!.toFixed(3) : '—'}, Spearman ρ ${Number.isFinite(rho) ? rho!.toFixed(3) : '—'}`;
  if (hist && binsA && binsB) {
    const n = binsA.data.length;
    const values: Record<string, number>[] = [];
    const wa = n > 1 ? binsA.data[1] - binsA.data[0] : 1;
    const wb = n > 1 ? binsB.data[1] - binsB.data[0] : 1;
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++) {
        const c = hist.data[j * n + i];
        if (c > 0)
          values.push({
            a0: binsA.data[i] - wa / 2,
            a1: binsA.data[i] + wa / 2,
            b0: binsB.data[j] - wb / 2,
            b1: binsB.data[j] + wb / 2,
            count: c,
          });
      }
    const title = `${node}: ${nb} against ${na} (${stats})`;
    const spec: VlSpec = {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 360,
      height: 300,
      title,
      data: { values },
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'a0', x2: 'a1', type: 'quantitative', title: na, scale: { zero: false, nice: false } },
        x2: { field: 'a1' },
        y: { field: 'b0', type: 'quantitative', title: nb, scale: { zero: false, nice: false } },
        y2: { field: 'b1' },
        color: {
          field: 'count',
          type: 'quantitative',
          title: 'positions',
          scale: { type: 'log', scheme: 'viridis' },
        },
      },
    };
    figs.push(await figure(runDir, m, hist, spec, `${node}.scatter.png`, title, 'maps'));
  }
  const ca = field(loaded, node, 'cutA');
  const cb = field(loaded, node, 'cutB');
  const cd = field(loaded, node, 'cutDistance');
  const cr = field(loaded, node, 'cutPearson');
  if (ca && cb && cd && ca.shape.length === 2) {
    const [k, s] = ca.shape;
    const z = (v: Float64Array, off: number) => {
      const xs = Array.from(v.subarray(off, off + s)).filter(Number.isFinite);
      const mean = xs.reduce((p, x) => p + x, 0) / (xs.length || 1);
      const sd = Math.sqrt(xs.reduce((p, x) => p + (x - mean) ** 2, 0) / (xs.length || 1)) || 1;
      return (x: number) => (x - mean) / sd;
    };
    for (let c = 0; c < k; c++) {
      const za = z(ca.data, c * s),
        zb = z(cb.data, c * s);
      const values: Record<string, number | string>[] = [];
      for (let i = 0; i < s; i++) {
        const d = cd.data[c * s + i];
        if (Number.isFinite(ca.data[c * s + i])) values.push({ d, z: za(ca.data[c * s + i]), map: na });
        if (Number.isFinite(cb.data[c * s + i])) values.push({ d, z: zb(cb.data[c * s + i]), map: nb });
      }
      const rc = cr?.data[c];
      const title = `${node}: cut ${c + 1} (Pearson r along it ${Number.isFinite(rc) ? rc!.toFixed(3) : '—'})`;
      const spec: VlSpec = {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: 440,
        height: 220,
        title,
        data: { values },
        mark: { type: 'line', point: { size: 14 } },
        encoding: {
          x: {
            field: 'd',
            type: 'quantitative',
            title: `distance along the cut (${cd.out.unit ?? 'scan px'})`,
          },
          y: { field: 'z', type: 'quantitative', title: 'z-score' },
          color: { field: 'map', type: 'nominal', title: null },
        },
      };
      figs.push(await figure(runDir, m, ca, spec, `${node}.cut${c + 1}.png`, title, 'cuts'));
    }
  }
  return figs;
}
