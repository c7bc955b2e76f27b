/** `snem serve RUN_DIR`: the studio's API on a finished run, read-only. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../formats/npy.ts';
import { runGraph } from '../../app/run.ts';
import { ReadonlyRun } from '../../studio/server/readonly.ts';
import { listen, type StudioServer } from '../../studio/server/server.ts';
import { client, decodeFrame, raw } from './client.ts';
import { makeFixture, NX, NY, type StudioFixture } from './fixture.ts';

let fx: StudioFixture;
let srv: StudioServer;
let api: ReturnType<typeof client>;
let runDir: string;

beforeAll(async () => {
  fx = await makeFixture();
  runDir = path.join(fx.dir, 'run');
  await runGraph({
    graphFile: fx.graphFile,
    outDir: runDir,
    cacheDir: fx.cacheDir,
    quiet: true,
    noReport: true,
    workers: 1,
  });
  srv = await listen(await ReadonlyRun.open(runDir), { port: 0 });
  api = client(srv.port);
}, 120_000);

afterAll(async () => {
  await srv?.close();
  fx?.cleanup();
});

describe('read-only studio on a run directory', () => {
  it('session, maps and curves from the run files, patterns from its dataset', async () => {
    const s = (await api.get('/api/session')).json();
    expect(s.mode).toBe('readonly');
    expect(s.scan).toEqual([NY, NX]);
    expect(s.maps.map((m: { node: string; field: string }) => `${m.node}.${m.field}`)).toEqual(
      expect.arrayContaining(['r1.position', 'fit.c1', 'vbf.value']),
    );
    const m = decodeFrame((await api.get('/api/map?node=fit&field=c1')).body);
    expect(m.header).toMatchObject({ style: { colormap: 'viridis', limitsFrom: 'percentiles 1–99' } });
    expect(
      m.bytes.equals(Buffer.from(readNpy(path.join(runDir, 'fit.c1.npy')).data.buffer as ArrayBuffer)),
    ).toBe(true);
    const c = (await api.get('/api/curve?node=pdf&field=G&iy=2&ix=3')).json();
    const G = readNpy(path.join(runDir, 'pdf.G.npy'));
    const n = G.shape[2];
    const want = Buffer.from((G.data as Float32Array).slice((2 * NX + 3) * n, (2 * NX + 4) * n).buffer);
    expect(Buffer.from(c.y.b64, 'base64').equals(want)).toBe(true);
    expect(decodeFrame((await api.get('/api/pattern?iy=1&ix=1')).body).header.shape).toEqual([144, 144]);
  });

  it('refuses every change with 403 and serves only the run directory', async () => {
    for (const p of ['/api/graph/edit', '/api/run', '/api/save', '/api/virtual']) {
      const r = await api.post(p, {});
      expect(r.status, p).toBe(403);
      expect(r.json().error).toMatch(/read-only/);
    }
    expect((await api.get('/api/run-file?name=manifest.json')).status).toBe(200);
    fs.symlinkSync('/etc/passwd', path.join(runDir, 'x.png'));
    expect((await api.get('/api/run-file?name=x.png')).status).toBe(404);
    expect((await api.get('/api/run-file?name=..%2Fgraph.json')).status).toBe(404);
    expect(
      (await raw(srv.port, '/api/map?node=fit&field=c1', { headers: { host: `evil:${srv.port}` } })).status,
    ).toBe(403);
  });
});
