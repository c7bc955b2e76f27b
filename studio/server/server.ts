/**
 * `snem studio`'s HTTP server (studio/API.md): node:http, same-origin only, serving the built page
 * from studio/web/dist and the JSON/binary API of one session. Every request passes the guard
 * (Host, Origin, token) first; every failure is a JSON error with a 4xx status and leaves the
 * session as it was; the server keeps serving.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { checkRequest, newToken, type GuardConfig } from './guard.ts';
import { HttpError } from './http-errors.ts';
import { send, sendError } from './http-io.ts';
import {
  containedFile,
  contentType,
  decodePath,
  distMissingPage,
  realDir,
  WEB_DIST,
} from './static-files.ts';
import type { Route } from './routes.ts';
import fs from 'node:fs';

/** What the server serves: an edit session (studio.ts) or a finished run read-only (readonly.ts). */
export interface StudioApp {
  routes(): Map<string, Route>;
  close(): Promise<void>;
}

export interface StudioServer {
  url: string;
  port: number;
  token: string | null;
  /** Stop listening and close the session (cancels a run, closes the cache). */
  close(): Promise<void>;
  /** Stop listening only (the session stays open). */
  stopListening(): Promise<void>;
}

export interface ListenOptions {
  port?: number;
  /** Listen beyond loopback: a token becomes required. */
  host?: string;
}

export async function listen(studio: StudioApp, opts: ListenOptions = {}): Promise<StudioServer> {
  const host = opts.host ?? '127.0.0.1';
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  const guard: GuardConfig = {
    hosts: loopback ? ['127.0.0.1', 'localhost'] : [host],
    port: 0,
    token: loopback ? null : newToken(),
  };
  const table = studio.routes();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    handle(req, res, table, guard).catch((e) => {
      const err =
        e instanceof HttpError
          ? e
          : new HttpError(500, `internal error: ${(e as Error)?.message ?? String(e)}`);
      if (!(e instanceof HttpError)) process.stderr.write(`snem studio: ${(e as Error)?.stack ?? e}\n`);
      sendError(res, err);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A request line the parser cannot read (bad URL bytes …) gets a 400, the server carries on.
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  guard.port = port;
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/${guard.token ? `?token=${guard.token}` : ''}`;
  return {
    url,
    port,
    token: guard.token,
    close: async () => {
      await stop();
      await studio.close();
    },
    stopListening: stop,
  };
}

async function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  table: Map<string, Route>,
  guard: GuardConfig,
) {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    throw new HttpError(400, 'malformed request URL');
  }
  checkRequest(req, url, guard);
  const method = req.method ?? 'GET';
  if (url.pathname.startsWith('/api/')) {
    const route = table.get(url.pathname);
    if (!route) throw new HttpError(404, `no such API endpoint: ${url.pathname}`);
    const allowed = Object.keys(route);
    const fn = route[method as keyof Route];
    if (!fn)
      throw new HttpError(405, `${url.pathname} accepts ${allowed.join(', ')}, not ${method}`, {
        allow: allowed.join(', '),
      });
    await fn(req, res, url);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD')
    throw new HttpError(405, `static files accept GET, not ${method}`, { allow: 'GET, HEAD' });
  serveStatic(res, url, method === 'HEAD');
}

function serveStatic(res: http.ServerResponse, url: URL, headOnly: boolean) {
  const rel = decodePath(url.pathname);
  const dist = realDir(WEB_DIST);
  if (!dist || !fs.existsSync(path.join(dist, 'index.html'))) {
    if (rel === '/' || rel === '/index.html')
      return send(res, 503, 'text/html; charset=utf-8', distMissingPage());
    throw new HttpError(404, 'not found (the studio page is not built)');
  }
  const file = containedFile(dist, rel === '/' ? 'index.html' : rel, [dist]);
  if (!file) throw new HttpError(404, `not found: ${rel}`);
  const body = fs.readFileSync(file);
  send(res, 200, contentType(file), headOnly ? new Uint8Array(0) : body);
}
