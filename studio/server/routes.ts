/** The API table (studio/API.md): path → method → handler. */
import type http from 'node:http';
import { planGraph } from '../../app/plan.ts';
import { catalogue } from './catalogue.ts';
import { HttpError, badRequestFrom } from './http-errors.ts';
import { intParam, ndJson, readJsonBody, send, sendArray, sendJson, strParam } from './http-io.ts';
import { checkPosition, meanPattern, patternAt, roiPositions } from './patterns.ts';
import type { Studio } from './studio.ts';
import { previewResponse } from './preview-route.ts';
import { curveMean } from './curve-mean.ts';
import { exportFile, mapDifference, saveMask } from './files-route.ts';
import type { GraphDoc } from '../../engine/graph.ts';
import { resultScope } from '../../engine/types.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> | void;
export type Route = Partial<Record<'GET' | 'POST', Handler>>;

export function routes(s: Studio): Map<string, Route> {
  const scan = () => s.session.resolved().scan;
  const t = new Map<string, Route>();
  const graphEvent = () => {
    const st = s.session.state();
    s.events.emit('graph', st);
    return st;
  };

  t.set('/api/session', {
    GET: async (_q, res) => {
      const ds = s.ctx.dataset;
      const sc = scan();
      sendJson(res, {
        mode: s.mode,
        graphFile: s.graphFile,
        dataset: ds
          ? {
              path: ds.path,
              format: ds.format,
              scan: [ds.scan.ny, ds.scan.nx],
              frameShape: ds.frameShape,
              dtype: ds.dtype,
              meta: ds.meta,
            }
          : null,
        scan: [sc.ny, sc.nx],
        frameShape: ds?.kind === 'frames' ? ds.frameShape : null,
        ...s.session.state(),
        running: s.runs.running,
        runDir: s.runs.history.find((r) => r.runDir)?.runDir ?? null,
        maps: await s.runs.maps(),
      });
    },
  });
  t.set('/api/ops', { GET: (_q, res) => sendJson(res, catalogue()) });
  t.set('/api/graph', { GET: (_q, res) => sendJson(res, s.session.state()) });
  t.set('/api/graph/edit', {
    POST: async (req, res) => {
      const body = await readJsonBody(req);
      s.session.edit(body.edits, typeof body.label === 'string' ? body.label : 'edit');
      sendJson(res, graphEvent());
    },
  });
  t.set('/api/graph/undo', {
    POST: async (req, res) => {
      await readJsonBody(req);
      s.session.undo();
      sendJson(res, graphEvent());
    },
  });
  t.set('/api/graph/redo', {
    POST: async (req, res) => {
      await readJsonBody(req);
      s.session.redo();
      sendJson(res, graphEvent());
    },
  });
  t.set('/api/validate', {
    POST: async (req, res) => {
      const body = await readJsonBody(req);
      try {
        const r = s.session.resolve(body.graph as GraphDoc);
        sendJson(res, { ok: true, warnings: r.graph.warnings });
      } catch (e) {
        const err = badRequestFrom(e);
        sendJson(res, {
          ok: false,
          error: err.message,
          problems: err.extra.problems ?? [{ error: err.message }],
        });
      }
    },
  });
  t.set('/api/plan', {
    GET: async (_q, res) => {
      const r = await planGraph({
        graph: s.session.graph,
        graphFile: s.ctx.graphFile ?? undefined,
        cacheDir: s.ctx.cacheDir,
      });
      sendJson(res, { entries: r.entries, warnings: r.warnings });
    },
  });
  t.set('/api/pattern', {
    GET: (_q, res, url) => {
      const iy = intParam(url.searchParams, 'iy');
      const ix = intParam(url.searchParams, 'ix');
      const sc = scan();
      const p = patternAt(s.ctx.dataset, checkPosition(iy, ix, sc.ny, sc.nx));
      sendArray(res, { ...p.header, iy, ix }, p.array);
    },
  });
  t.set('/api/pattern/mean', {
    POST: async (req, res) => {
      const body = await readJsonBody(req);
      const sc = scan();
      const positions = roiPositions(body.roi, sc.ny, sc.nx);
      sendArray(res, { count: positions.length }, meanPattern(s.ctx.dataset, positions));
    },
  });
  t.set('/api/preview', {
    GET: async (_q, res, url) => {
      const iy = intParam(url.searchParams, 'iy');
      const ix = intParam(url.searchParams, 'ix');
      const sc = scan();
      checkPosition(iy, ix, sc.ny, sc.nx);
      sendJson(res, await previewResponse(s, iy, ix));
    },
    POST: async (req, res) => {
      const body = await readJsonBody(req);
      const { iy, ix } = body as { iy: unknown; ix: unknown };
      if (!Number.isInteger(iy) || !Number.isInteger(ix) || (iy as number) < 0 || (ix as number) < 0)
        throw new HttpError(400, 'body: iy and ix must be non-negative integers', {
          field: Number.isInteger(iy) ? 'ix' : 'iy',
        });
      const sc = scan();
      checkPosition(iy as number, ix as number, sc.ny, sc.nx);
      const roi = body.roi === undefined ? undefined : roiPositions(body.roi, sc.ny, sc.nx);
      sendJson(
        res,
        await previewResponse(
          s,
          iy as number,
          ix as number,
          body.graph === undefined ? undefined : (body.graph as GraphDoc),
          roi,
        ),
      );
    },
  });
  // A dataset-level result the per-position chain stands on (the resolved geometry: centre, ellipse,
  // Q/px with "auto" resolved; the static mask), computed once through the cache like preview's.
  t.set('/api/value', {
    GET: async (_q, res, url) => {
      const id = strParam(url.searchParams, 'node')!;
      const resolved = s.session.resolved();
      const n = resolved.graph.nodes.get(id);
      if (!n) throw new HttpError(404, `no node '${id}' in the graph`, { node: id });
      if (resultScope(n.op) !== 'dataset')
        throw new HttpError(
          400,
          `node '${id}' (${n.op.name}) has a value per position: read it with /api/preview or /api/map`,
          { node: id },
        );
      const pre = await s.preview.prereqs.get(resolved);
      if (!pre.hashes.has(id)) {
        throw new HttpError(
          404,
          `node '${id}' is not an input of the per-position chain (or needs the whole scan's results): run the graph and read it with /api/map`,
          { node: id },
        );
      }
      const v = s.preview.prereqs.value(pre, { node: id });
      sendJson(res, {
        node: id,
        op: n.op.name,
        meta: v.meta ?? {},
        fields: Object.fromEntries(Object.entries(v.fields).map(([k, a]) => [k, ndJson(a)])),
      });
    },
  });
  t.set('/api/run', {
    POST: async (req, res) => {
      const body = await readJsonBody(req);
      const info = s.runs.start({ report: body.report === true });
      sendJson(res, { runId: info.runId }, 202);
    },
  });
  t.set('/api/run/cancel', {
    POST: async (req, res) => {
      await readJsonBody(req);
      sendJson(res, { cancelled: s.runs.cancel() });
    },
  });
  t.set('/api/runs', { GET: (_q, res) => sendJson(res, s.runs.history) });
  t.set('/api/runs/pin', {
    POST: async (req, res) => {
      const body = await readJsonBody(req);
      sendJson(res, s.runs.pin(body.runId, body.pinned ?? true));
    },
  });
  t.set('/api/maps', { GET: async (_q, res) => sendJson(res, await s.runs.maps()) });
  t.set('/api/map', {
    GET: async (_q, res, url) => {
      const m = await s.runs.map(
        strParam(url.searchParams, 'node')!,
        strParam(url.searchParams, 'field', false),
      );
      sendArray(res, m.header, m.array);
    },
  });
  t.set('/api/curve', {
    GET: async (_q, res, url) => {
      const iy = intParam(url.searchParams, 'iy');
      const ix = intParam(url.searchParams, 'ix');
      const sc = scan();
      const c = await s.runs.curve(
        strParam(url.searchParams, 'node')!,
        strParam(url.searchParams, 'field', false),
        checkPosition(iy, ix, sc.ny, sc.nx),
      );
      sendJson(res, { ...c, iy, ix, x: c.x ? ndJson(c.x) : null, y: ndJson(c.y) });
    },
  });
  t.set('/api/curve/mean', {
    POST: async (req, res) => sendJson(res, await curveMean(s, await readJsonBody(req))),
  });
  t.set('/api/virtual', {
    POST: async (req, res) => {
      const v = await s.virtual.image(await readJsonBody(req));
      sendArray(res, v.header, v.array);
    },
  });
  t.set('/api/save', {
    POST: async (req, res) => {
      const v = s.versions.save(await readJsonBody(req));
      s.events.emit('graph', s.session.state());
      sendJson(res, v);
    },
  });
  t.set('/api/versions', { GET: (_q, res) => sendJson(res, s.versions.list()) });
  t.set('/api/diff', {
    GET: (_q, res, url) =>
      sendJson(res, s.versions.diff(strParam(url.searchParams, 'a')!, strParam(url.searchParams, 'b')!)),
  });
  t.set('/api/mask', {
    POST: async (req, res) => {
      const body = await readJsonBody(req);
      const ds = s.ctx.dataset;
      sendJson(res, saveMask(body, ds?.kind === 'frames' ? ds.frameShape : null, ds?.path ?? null));
    },
  });
  const runDirOf = (id: string) => s.runs.runDir(id);
  t.set('/api/export', {
    GET: async (_q, res, url) => {
      const q = url.searchParams;
      const run = strParam(q, 'run', false);
      const dir = run ? runDirOf(run) : (s.runs.history.find((h) => h.runDir)?.runDir ?? null);
      const f = await exportFile(
        dir,
        s.ctx.cacheDir,
        strParam(q, 'node')!,
        strParam(q, 'field', false),
        strParam(q, 'format')!,
      );
      send(res, 200, f.type, f.body, { 'content-disposition': `attachment; filename="${f.name}"` });
    },
  });
  t.set('/api/map/diff', {
    GET: (_q, res, url) => {
      const q = url.searchParams;
      const d = mapDifference(
        runDirOf(strParam(q, 'a')!),
        runDirOf(strParam(q, 'b')!),
        strParam(q, 'node')!,
        strParam(q, 'field', false),
      );
      sendArray(res, d.header, d.array);
    },
  });
  t.set('/api/events', {
    GET: (_q, res) => s.events.attach(res, { version: s.session.version, running: s.runs.running }),
  });
  return t;
}

export function readonlyRefusal(): HttpError {
  return new HttpError(403, 'read-only session (snem serve): open the graph with snem studio to edit');
}
