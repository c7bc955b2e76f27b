/**
 * The local explorer behind `snem serve`: node:http on 127.0.0.1 serving the run's report and a
 * page where clicking a map position shows that position's values and curves (plots rendered
 * server-side with the same Vega-Lite code as the report). Arrays are read once and kept.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Manifest } from '../engine/run-types.ts';
import { applyColormap } from '../viz/colormaps.ts';
import { limitsOf } from '../viz/display.ts';
import { AXIS_TITLES, curvePlotSpec, renderSvg, yTitleFor } from '../viz/plots.ts';
import { encodePng } from '../viz/png.ts';
import { explorerPage } from './explorer-page.ts';
import { outputStyle } from './figures.ts';
import { curveAt, loadOutput, outputTitle, readManifest, scanShapeOf, scanStepOf, type LoadedOutput } from './run-data.ts';

export interface Explorer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startExplorer(runDir: string, opts: { port?: number; host?: string } = {}): Promise<Explorer> {
  const manifest = readManifest(runDir);
  const cache = new Map<string, LoadedOutput>();
  const load = (file: string): LoadedOutput | null => {
    const out = manifest.outputs.find((o) => o.file === file);
    if (!out) return null;
    let l = cache.get(file);
    if (!l) cache.set(file, (l = loadOutput(runDir, out)));
    return l;
  };
  const server = http.createServer((req, res) => {
    handle(req, res, runDir, manifest, load).catch((e) => send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(e as Error).message}`));
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const json = (res: http.ServerResponse, v: unknown, status = 200) => send(res, status, 'application/json', JSON.stringify(v));

const TYPES: Record<string, string> = { '.png': 'image/png', '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.npy': 'application/octet-stream' };

async function handle(req: http.IncomingMessage, res: http.ServerResponse, runDir: string, m: Manifest, load: (f: string) => LoadedOutput | null) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const q = url.searchParams;
  const [ny, nx] = scanShapeOf(m) ?? [1, 1];
  const pos = () => {
    const iy = Number(q.get('iy'));
    const ix = Number(q.get('ix'));
    return Number.isInteger(iy) && Number.isInteger(ix) && iy >= 0 && iy < ny && ix >= 0 && ix < nx ? { iy, ix } : null;
  };
  switch (url.pathname) {
    case '/':
      return send(res, 200, 'text/html; charset=utf-8', explorerPage(m));
    case '/api/run':
      return json(res, {
        run: m.run,
        scan: [ny, nx],
        step: scanStepOf(m),
        outputs: m.outputs.map((o) => {
          const base = { file: o.file, node: o.node, field: o.field, kind: o.kind, unit: o.unit ?? null, shape: o.shape, title: outputTitle(o) };
          if (o.kind !== 'map') return base;
          const style = outputStyle(m, o);
          const l = load(o.file);
          return { ...base, title: style.label ?? base.title, colormap: style.colormap, limits: l ? limitsOf(l.data, style) : null };
        }),
      });
    case '/api/map.png': {
      const l = load(q.get('file') ?? '');
      if (!l || l.out.kind !== 'map') return json(res, { error: 'no such map output' }, 404);
      const style = outputStyle(m, l.out);
      const [lo, hi] = limitsOf(l.data, style);
      return send(res, 200, 'image/png', encodePng({ width: nx, height: ny, data: applyColormap(l.data, style.colormap, lo, hi) }));
    }
    case '/api/position': {
      const p = pos();
      if (!p) return json(res, { error: `iy, ix must be integers inside the ${ny}×${nx} scan` }, 400);
      const maps: Record<string, { value: number | null; unit: string | null }> = {};
      const curves: { file: string; title: string; axisName: string | null; x: number[]; y: number[] }[] = [];
      for (const o of m.outputs) {
        if (o.kind === 'map') {
          const v = load(o.file)!.data[p.iy * nx + p.ix];
          maps[outputTitle(o)] = { value: Number.isFinite(v) ? v : null, unit: o.unit ?? null };
        } else if (o.kind === 'curves') {
          const l = load(o.file)!;
          const y = curveAt(l, p.iy, p.ix);
          curves.push({ file: o.file, title: outputTitle(o), axisName: o.axisName ?? null, x: Array.from(l.axis ?? y.map((_, i) => i)), y: Array.from(y, (v) => (Number.isFinite(v) ? v : Number.NaN)) });
        }
      }
      return json(res, { ...p, maps, curves });
    }
    case '/api/plot.svg': {
      const p = pos();
      const l = load(q.get('file') ?? '');
      if (!p || !l || l.out.kind !== 'curves') return json(res, { error: 'need file= (a curves output) and iy, ix inside the scan' }, 400);
      const y = curveAt(l, p.iy, p.ix);
      const x = l.axis ?? Float64Array.from(y, (_, i) => i);
      const spec = curvePlotSpec({ series: [{ label: `(y ${p.iy}, x ${p.ix})`, x, y }], xTitle: AXIS_TITLES[l.out.axisName ?? ''] ?? 'index', yTitle: yTitleFor(l.out.field, l.out.unit), title: `${outputTitle(l.out)} at (y ${p.iy}, x ${p.ix})`, width: 420, height: 200 });
      return send(res, 200, 'image/svg+xml', await renderSvg(spec));
    }
    default: {
      // Files of the run directory by plain name only (no paths, no dot-files).
      const name = decodeURIComponent(url.pathname.slice(1));
      if (!/^[^/\\]+$/.test(name) || name.startsWith('.')) return send(res, 404, 'text/plain', 'not found');
      const file = path.join(runDir, name);
      if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return send(res, 404, 'text/plain', 'not found');
      return send(res, 200, TYPES[path.extname(name)] ?? 'application/octet-stream', fs.readFileSync(file));
    }
  }
}
