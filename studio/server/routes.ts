/** The API table (studio/API.md): path → method → handler. */
import type http from 'node:http';
import { planGraph } from '../../engine/plan.ts';
import { catalogue } from './catalogue.ts';
import { HttpError, badRequestFrom } from './http-errors.ts';
import { intParam, readJsonBody, sendArray, sendJson } from './http-io.ts';
import { checkPosition, meanPattern, patternAt, roiPositions } from './patterns.ts';
import type { Studio } from './studio.ts';
import { previewResponse } from './preview-route.ts';
import type { GraphDoc } from '../../engine/graph.ts';

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
    GET: (_q, res) => {
      const ds = s.ctx.dataset;
      const sc = scan();
      sendJson(res, {
        mode: s.mode,
        graphFile: s.graphFile,
        runDir: null,
        dataset: ds ? { path: ds.path, format: ds.format, scan: [ds.scan.ny, ds.scan.nx], frameShape: ds.frameShape, dtype: ds.dtype, meta: ds.meta } : null,
        scan: [sc.ny, sc.nx],
        frameShape: ds?.kind === 'frames' ? ds.frameShape : null,
        ...s.session.state(),
        running: false,
        maps: [],
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
        sendJson(res, { ok: false, error: err.message, problems: err.extra.problems ?? [{ error: err.message }] });
      }
    },
  });
  t.set('/api/plan', {
    GET: async (_q, res) => {
      const r = await planGraph({ graph: s.session.graph, graphFile: s.ctx.graphFile ?? undefined, cacheDir: s.ctx.cacheDir });
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
      if (!Number.isInteger(iy) || !Number.isInteger(ix) || (iy as number) < 0 || (ix as number) < 0) throw new HttpError(400, 'body: iy and ix must be non-negative integers', { field: Number.isInteger(iy) ? 'ix' : 'iy' });
      const sc = scan();
      checkPosition(iy as number, ix as number, sc.ny, sc.nx);
      sendJson(res, await previewResponse(s, iy as number, ix as number, body.graph === undefined ? undefined : (body.graph as GraphDoc)));
    },
  });
  t.set('/api/events', {
    GET: (_q, res) => s.events.attach(res, { version: s.session.version, running: false }),
  });
  return t;
}

export function readonlyRefusal(): HttpError {
  return new HttpError(403, 'read-only session (snem serve): open the graph with snem studio to edit');
}
