/**
 * The studio inherits the explorer's security findings (issue 17): own Host only, no foreign
 * Origin, 405 for wrong methods, 400 for missing / malformed numbers and bad percent-encoding,
 * nothing served or written outside the graph's and dataset's directories (symlinks included),
 * a token when listening beyond loopback, and no code evaluated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../studio/server/server.ts';
import { containedFile, realDir } from '../../studio/server/static-files.ts';
import { raw } from './client.ts';
import { startStudio, type StudioHarness } from './fixture.ts';

let fx: StudioHarness['fx'];
let studio: StudioHarness['studio'];
let srv: StudioHarness['srv'];
let api: StudioHarness['api'];

let harness: StudioHarness;

beforeAll(async () => {
  harness = await startStudio();
  ({ fx, studio, srv, api } = harness);
}, 120_000);

afterAll(() => harness?.close());

describe('studio server: who may ask', () => {
  it('answers its own Host only (DNS rebinding) and refuses foreign origins', async () => {
    expect((await raw(srv.port, '/api/session')).status).toBe(200);
    expect((await raw(srv.port, '/api/session', { headers: { host: `localhost:${srv.port}` } })).status).toBe(
      200,
    );
    expect(
      (await raw(srv.port, '/api/session', { headers: { host: `evil.example:${srv.port}` } })).status,
    ).toBe(403);
    expect((await raw(srv.port, '/api/session', { headers: { host: '127.0.0.1:1' } })).status).toBe(403);
    expect((await raw(srv.port, '/api/session', { headers: { origin: 'http://evil.example' } })).status).toBe(
      403,
    );
    expect(
      (await raw(srv.port, '/api/session', { headers: { origin: `http://127.0.0.1:${srv.port}` } })).status,
    ).toBe(200);
    const edit = JSON.stringify({ edits: [{ op: 'set', node: 'automask', param: 'alpha', value: 3 }] });
    const r = await raw(srv.port, '/api/graph/edit', {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
      body: edit,
    });
    expect(r.status).toBe(403);
    expect(studio.session.version).toBe(0);
  });

  it('405 with Allow for wrong methods, 415 for a form post', async () => {
    for (const m of ['DELETE', 'PUT', 'TRACE', 'POST']) {
      const r = await raw(srv.port, '/api/session', { method: m });
      expect(r.status, m).toBe(405);
      expect(r.headers.allow).toBe('GET');
    }
    expect((await raw(srv.port, '/api/graph/edit')).status).toBe(405);
    expect((await raw(srv.port, '/index.html', { method: 'POST' })).status).toBe(405);
    const form = await raw(srv.port, '/api/graph/edit', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'edits=1',
    });
    expect(form.status).toBe(415);
  });

  it('400 for missing or malformed numbers and positions outside the scan', async () => {
    for (const q of [
      '',
      'iy=1',
      'iy=0x1&ix=1',
      'iy=1e0&ix=1',
      'iy=1.0&ix=1',
      'iy=-1&ix=1',
      'iy=&ix=1',
      'iy=%201&ix=1',
      'iy=99&ix=0',
    ]) {
      const r = await api.get(`/api/pattern?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.json().error).toBeTruthy();
    }
    expect((await api.get('/api/pattern?iy=1&ix=1')).status).toBe(200);
    expect((await api.post('/api/preview', { iy: '1', ix: 1 })).status).toBe(400);
    const bad = await raw(srv.port, '/api/graph/edit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"edits": [',
    });
    expect(bad.status).toBe(400);
  });

  it('bad percent-encoding is a 400, traversal and symlinks find nothing', async () => {
    expect((await raw(srv.port, '/%E0%A4%A')).status).toBe(400);
    expect((await raw(srv.port, '/..%2f..%2f..%2fetc%2fpasswd')).status).toBe(404);
    expect((await raw(srv.port, '/../../etc/passwd')).status).toBe(404);
    // Containment on real paths: a symlink inside the root that points out is not served.
    const root = path.join(fx.dir, 'root');
    fs.mkdirSync(root);
    fs.writeFileSync(path.join(root, 'ok.txt'), 'ok');
    fs.symlinkSync('/etc/passwd', path.join(root, 'x.png'));
    fs.symlinkSync(fx.data, path.join(root, 'data'));
    const r = realDir(root)!;
    expect(containedFile(r, 'ok.txt', [r])).toBe(path.join(r, 'ok.txt'));
    expect(containedFile(r, 'x.png', [r])).toBeNull();
    expect(containedFile(r, 'data/meta.json', [r])).toBeNull();
    expect(containedFile(r, '../graph.json', [r])).toBeNull();
  });

  it('saves only inside the graph and dataset directories, never through a symlink', async () => {
    const outside = await api.post('/api/save', { path: '/tmp/evil-studio-save.json' });
    expect(outside.status).toBe(403);
    expect(fs.existsSync('/tmp/evil-studio-save.json')).toBe(false);
    expect((await api.post('/api/save', { path: '../escape.json' })).status).toBe(403);
    expect((await api.post('/api/save', { path: 'graph.txt' })).status).toBe(400);
    fs.symlinkSync('/tmp/evil-studio-link-target.json', path.join(fx.dir, 'link.json'));
    expect((await api.post('/api/save', { path: 'link.json', overwrite: true })).status).toBe(403);
    expect(fs.existsSync('/tmp/evil-studio-link-target.json')).toBe(false);
    expect((await api.get('/api/session')).status).toBe(200);
  });

  it('evaluates no code: an expression is parsed by qoi.expr, not run as JavaScript', async () => {
    const r = await api.post('/api/graph/edit', {
      edits: [
        {
          op: 'add',
          node: 'evil',
          def: { op: 'qoi.expr', in: { fit: 'fit' }, params: { expr: 'process.exit(1)' } },
        },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.json().node).toBe('evil');
    expect((await api.get('/api/session')).status).toBe(200);
  });

  it('beyond loopback a token is required', async () => {
    const s2 = await listen(studio, { port: 0, host: '127.0.0.2' });
    try {
      expect(s2.token).toBeTruthy();
      expect(s2.url).toContain(`token=${s2.token}`);
      const get = (p: string, headers: Record<string, string> = {}) =>
        new Promise<number>((resolve, reject) => {
          import('node:http').then(({ request }) => {
            const req = request(
              {
                host: '127.0.0.2',
                port: s2.port,
                path: p,
                headers: { host: `127.0.0.2:${s2.port}`, ...headers },
              },
              (res) => {
                res.resume();
                resolve(res.statusCode!);
              },
            );
            req.on('error', reject);
            req.end();
          });
        });
      expect(await get('/api/session')).toBe(403);
      expect(await get('/api/session?token=wrong')).toBe(403);
      expect(await get(`/api/session?token=${s2.token}`)).toBe(200);
      expect(await get('/api/session', { 'x-snem-token': s2.token! })).toBe(200);
    } finally {
      await s2.stopListening();
    }
  });
});
