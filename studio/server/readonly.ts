/**
 * `snem serve RUN_DIR`: the studio's page on a finished run, read-only. Maps and curves come from
 * the run directory's files, patterns from the run's dataset if it is still there; the run's own
 * files (report.html, PNGs) are served from `/run/…` with real-path containment. Every endpoint
 * that would change something answers 403.
 */
import { engineWiring } from '../../app/wiring.ts';
import { initHash } from '../../engine/hash.ts';
import type { GraphDoc } from '../../engine/graph.ts';
import type { Manifest, WrittenOutput } from '../../engine/run-types.ts';
import type { DatasetHandle } from '../../engine/types.ts';
import { curveAt, loadOutput, readManifest, scanShapeOf, type LoadedOutput } from '../../report/run-data.ts';
import { NpyReader } from '../../formats/npy.ts';
import { catalogue } from './catalogue.ts';
import { statsOverPositions } from './curve-stats.ts';
import { fieldUnit } from './field-units.ts';
import { mapStyle } from './map-style.ts';
import { EventHub } from './events.ts';
import { HttpError } from './http-errors.ts';
import { intParam, ndJson, readJsonBody, send, sendArray, sendJson, strParam } from './http-io.ts';
import { checkPosition, meanPattern, patternAt, roiPositions } from './patterns.ts';
import type { Route } from './routes.ts';
import { containedFile, contentType, decodePath, realDir } from './static-files.ts';
import fs from 'node:fs';

const REFUSAL = 'read-only session (snem serve): open the graph with snem studio to edit or run';

const WRITE_ENDPOINTS = [
  '/api/graph/edit',
  '/api/graph/undo',
  '/api/graph/redo',
  '/api/run',
  '/api/run/cancel',
  '/api/save',
  '/api/mask',
  '/api/virtual',
  '/api/preview',
  '/api/calib/fit',
];

export class ReadonlyRun {
  readonly events = new EventHub();
  private loaded = new Map<string, LoadedOutput>();

  private constructor(
    readonly runDir: string,
    readonly manifest: Manifest,
    readonly dataset: DatasetHandle | null,
  ) {}

  static async open(runDir: string): Promise<ReadonlyRun> {
    await initHash();
    const wiring = await engineWiring();
    const real = realDir(runDir);
    if (!real) throw new HttpError(404, `${runDir}: no such run directory`);
    const m = readManifest(real);
    let ds: DatasetHandle | null = null;
    if (m.dataset?.path && fs.existsSync(m.dataset.path)) {
      const { path: _p, ...options } = ((m.graph as unknown as GraphDoc).dataset ?? {}) as Record<
        string,
        unknown
      >;
      if (Array.isArray(options.scan))
        options.scan = { ny: (options.scan as number[])[0], nx: (options.scan as number[])[1] };
      ds = await wiring.openDataset({ path: m.dataset.path, options: options as never }).catch(() => null);
    }
    return new ReadonlyRun(real, m, ds);
  }

  private scan(): [number, number] {
    return scanShapeOf(this.manifest) ?? [1, 1];
  }

  private output(node: string, field: string | null, kind: WrittenOutput['kind']): LoadedOutput {
    const cands = this.manifest.outputs.filter((o) => o.node === node && o.kind === kind);
    if (!cands.length)
      throw new HttpError(
        404,
        `run ${this.manifest.run} wrote no ${kind === 'map' ? 'map' : 'curves'} for node '${node}'`,
        { node },
      );
    const o = field ? cands.find((c) => c.field === field) : cands.length === 1 ? cands[0] : null;
    if (!o)
      throw new HttpError(
        field ? 404 : 400,
        field
          ? `node '${node}' has no written field '${field}'`
          : `node '${node}' has several fields (${cands.map((c) => c.field).join(', ')}): give field=`,
        { node, field: 'field' },
      );
    let l = this.loaded.get(o.file);
    if (!l) this.loaded.set(o.file, (l = loadOutput(this.runDir, o)));
    return l;
  }

  routes(): Map<string, Route> {
    const t = new Map<string, Route>();
    const m = this.manifest;
    const [ny, nx] = this.scan();
    const graph = m.graph as unknown as GraphDoc;
    // The manifest keeps a field's unit when the op gave it in meta; curve-relative ones resolved from the graph.
    const writtenUnit = (o: WrittenOutput) =>
      fieldUnit(graph, o.node, o.field, o.unit ? { units: { [o.field]: o.unit } } : null);
    const state = { graph, version: 0, canUndo: false, canRedo: false, dirty: false, warnings: [] };
    const maps = () =>
      m.outputs
        .filter((o) => o.kind === 'map')
        .map((o) => ({
          node: o.node,
          field: o.field,
          op: o.op,
          unit: writtenUnit(o),
          status: m.nodes[o.node]?.status ?? 'cached',
        }));
    t.set('/api/session', {
      GET: (_q, res) => {
        const ds = this.dataset;
        sendJson(res, {
          mode: 'readonly',
          graphFile: m.graphFile,
          runDir: this.runDir,
          run: m.run,
          dataset: m.dataset,
          scan: [ny, nx],
          frameShape: ds?.kind === 'frames' ? ds.frameShape : null,
          ...state,
          running: false,
          maps: maps(),
        });
      },
    });
    t.set('/api/ops', { GET: (_q, res) => sendJson(res, catalogue()) });
    t.set('/api/graph', { GET: (_q, res) => sendJson(res, state) });
    t.set('/api/maps', { GET: (_q, res) => sendJson(res, maps()) });
    t.set('/api/runs', {
      GET: (_q, res) =>
        sendJson(res, [
          { runId: m.run, runDir: this.runDir, time: m.created, graphHash: m.graphHash, status: 'done' },
        ]),
    });
    t.set('/api/map', {
      GET: (_q, res, url) => {
        const l = this.output(
          strParam(url.searchParams, 'node')!,
          strParam(url.searchParams, 'field', false),
          'map',
        );
        const display = graph.nodes?.[l.out.node]?.display ?? null;
        const data = Float32Array.from(l.data);
        const style = mapStyle(display, { node: l.out.node, field: l.out.field, op: l.out.op }, data);
        sendArray(
          res,
          {
            node: l.out.node,
            field: l.out.field,
            op: l.out.op,
            unit: writtenUnit(l.out),
            runId: m.run,
            status: m.nodes[l.out.node]?.status ?? null,
            display,
            style,
          },
          { dtype: 'float32', shape: [ny, nx], data },
        );
      },
    });
    t.set('/api/curve', {
      GET: (_q, res, url) => {
        const iy = intParam(url.searchParams, 'iy');
        const ix = intParam(url.searchParams, 'ix');
        checkPosition(iy, ix, ny, nx);
        const l = this.output(
          strParam(url.searchParams, 'node')!,
          strParam(url.searchParams, 'field', false),
          'curves',
        );
        const y = Float32Array.from(curveAt(l, iy, ix));
        sendJson(res, {
          node: l.out.node,
          field: l.out.field,
          unit: l.out.unit ?? null,
          axisName: l.out.axisName ?? null,
          iy,
          ix,
          x: l.axis
            ? ndJson({ dtype: 'float32', shape: [l.axis.length], data: Float32Array.from(l.axis) })
            : null,
          y: ndJson({ dtype: 'float32', shape: [y.length], data: y }),
        });
      },
    });
    t.set('/api/curve/mean', {
      POST: async (req, res) => {
        const body = await readJsonBody(req);
        const positions = roiPositions(body.roi, ny, nx);
        const l = this.output(
          String(body.node ?? ''),
          typeof body.field === 'string' ? body.field : null,
          'curves',
        );
        const bins = l.shape[2];
        const reader = l.data.length ? null : new NpyReader(l.path, 2);
        try {
          const st = statsOverPositions(positions, bins, (start, count) =>
            reader
              ? (reader.readRows(start, count).data as ArrayLike<number>)
              : l.data.subarray(start * bins, (start + count) * bins),
          );
          const r = st.result();
          const f32 = (d: Float32Array) => ndJson({ dtype: 'float32', shape: [d.length], data: d });
          sendJson(res, {
            node: l.out.node,
            field: l.out.field,
            unit: l.out.unit ?? null,
            axisName: l.out.axisName ?? null,
            runId: m.run,
            positions: st.curves,
            failed: st.empty,
            x: l.axis ? f32(Float32Array.from(l.axis)) : null,
            mean: f32(r.mean),
            std: f32(r.std),
            min: f32(r.min),
            max: f32(r.max),
            count: ndJson({ dtype: 'int32', shape: [bins], data: st.count }),
          });
        } finally {
          reader?.close();
        }
      },
    });
    t.set('/api/pattern', {
      GET: (_q, res, url) => {
        const iy = intParam(url.searchParams, 'iy');
        const ix = intParam(url.searchParams, 'ix');
        const p = patternAt(this.dataset, checkPosition(iy, ix, ny, nx));
        sendArray(res, { ...p.header, iy, ix }, p.array);
      },
    });
    t.set('/api/pattern/mean', {
      POST: async (req, res) => {
        const body = await readJsonBody(req);
        const positions = roiPositions(body.roi, ny, nx);
        sendArray(res, { count: positions.length }, meanPattern(this.dataset, positions));
      },
    });
    t.set('/api/events', { GET: (_q, res) => this.events.attach(res, { version: 0, running: false }) });
    // The run's own files: report.html, PNGs, .npy (real paths inside the run directory only).
    t.set('/api/run-file', {
      GET: (_q, res, url) => {
        const name = decodePath(strParam(url.searchParams, 'name')!);
        const file = containedFile(this.runDir, name, [this.runDir]);
        if (!file) throw new HttpError(404, `no file '${name}' in the run directory`);
        send(res, 200, contentType(file), fs.readFileSync(file));
      },
    });
    const refuse = () => {
      throw new HttpError(403, REFUSAL);
    };
    for (const p of WRITE_ENDPOINTS)
      t.set(p, { POST: refuse, ...(p === '/api/preview' ? { GET: refuse } : {}) });
    for (const p of ['/api/plan', '/api/versions', '/api/diff']) t.set(p, { GET: refuse });
    t.set('/api/validate', { POST: refuse });
    return t;
  }

  async close(): Promise<void> {
    this.events.close();
    this.dataset?.close();
  }
}
