/**
 * The studio server through HTTP: session, catalogue, edits with the validator's messages,
 * undo/redo, runs with progress events, maps, the live virtual detector against the stored
 * qoi.virtual values, save → `snem run` giving byte-identical outputs, versions and diff.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGraph } from '../../app/run.ts';
import { listen, type StudioServer } from '../../studio/server/server.ts';
import { Studio } from '../../studio/server/studio.ts';
import { client, decodeFrame } from './client.ts';
import { makeFixture, NX, NY, type StudioFixture } from './fixture.ts';

let fx: StudioFixture;
let studio: Studio;
let srv: StudioServer;
let api: ReturnType<typeof client>;
const events: { event: string; data: Record<string, unknown> }[] = [];

beforeAll(async () => {
  fx = await makeFixture();
  studio = await Studio.open({ target: fx.graphFile, cacheDir: fx.cacheDir });
  srv = await listen(studio, { port: 0 });
  api = client(srv.port);
  // Record every event the page would get.
  const emit = studio.events.emit.bind(studio.events);
  studio.events.emit = (event: string, data: unknown) => {
    events.push({ event, data: data as Record<string, unknown> });
    emit(event, data);
  };
}, 120_000);

afterAll(async () => {
  await srv?.close();
  fx?.cleanup();
});

describe('studio server API', () => {
  it('session: graph, scan and frame shape, catalogue from the op declarations', async () => {
    const s = (await api.get('/api/session')).json();
    expect(s.mode).toBe('edit');
    expect(s.scan).toEqual([NY, NX]);
    expect(s.frameShape).toEqual([144, 144]);
    expect(Object.keys(s.graph.nodes)).toContain('automask');
    expect(s.canUndo).toBe(false);
    const ops = (await api.get('/api/ops')).json() as { name: string; params: Record<string, { unit?: string; default?: unknown }> }[];
    const auto = ops.find((o) => o.name === 'mask.auto')!;
    expect(auto.params.alpha.default).toBe(3.5);
    expect(ops.find((o) => o.name === 'integrate.azimuthal')!.params.qMin.unit).toContain('Å⁻¹');
  });

  it('an invalid edit is a 400 naming node and field; nothing changes; the server keeps serving', async () => {
    const before = (await api.get('/api/graph')).json();
    const r = await api.post('/api/graph/edit', { edits: [{ op: 'set', node: 'automask', param: 'alpha', value: -1 }] });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ node: 'automask', field: 'alpha' });
    expect(r.json().error).toMatch(/alpha/);
    const unknownOp = await api.post('/api/graph/edit', { edits: [{ op: 'add', node: 'x', def: { op: 'qoi.peek', in: { curve: 'pdf.G' } } }] });
    expect(unknownOp.status).toBe(400);
    expect(unknownOp.json().error).toMatch(/did you mean 'qoi.peak'/);
    expect((await api.post('/api/graph/edit', { edits: [{ op: 'set', node: 'nope', param: 'a', value: 1 }] })).status).toBe(404);
    expect((await api.post('/api/graph/edit', { edits: [{ op: 'add', node: '__proto__', def: { op: 'qoi.peak' } }] })).status).toBe(400);
    expect((await api.post('/api/graph/edit', { edits: [{ op: 'delete', node: 'iq' }] })).json()).toMatchObject({ node: 'pdf' });
    const after = (await api.get('/api/graph')).json();
    expect(after.version).toBe(before.version);
    expect(after.graph).toEqual(before.graph);
  });

  it('edits, undo and redo; the plan says what recomputes', async () => {
    const r = await api.post('/api/graph/edit', { edits: [{ op: 'set', node: 'automask', param: 'alpha', value: 3 }] });
    expect(r.status).toBe(200);
    expect(r.json().graph.nodes.automask.params.alpha).toBe(3);
    expect(r.json().canUndo).toBe(true);
    const u = (await api.post('/api/graph/undo', {})).json();
    expect(u.graph.nodes.automask.params.alpha).toBe(3.5);
    expect(u.canRedo).toBe(true);
    const re = (await api.post('/api/graph/redo', {})).json();
    expect(re.graph.nodes.automask.params.alpha).toBe(3);
    expect(events.filter((e) => e.event === 'graph').length).toBeGreaterThanOrEqual(3);
    const plan = (await api.get('/api/plan')).json();
    expect(plan.entries.find((e: { node: string }) => e.node === 'automask').status).toBe('will run');
  });

  it('preview over HTTP: curves with bit-exact arrays, the fit drawn, I(Q) without mask', async () => {
    const p = (await api.get('/api/preview?iy=2&ix=3')).json();
    expect(Object.keys(p.nodes)).toEqual(expect.arrayContaining(['automask', 'iq', 'pdf', 'fit', 'r1']));
    const G = p.nodes.pdf.fields.G;
    expect(G.dtype).toBe('float32');
    expect(G.shape[0]).toBe(1);
    const g = new Float32Array(Uint8Array.from(Buffer.from(G.b64, 'base64')).buffer);
    expect(g.length).toBe(G.shape[1]);
    expect(p.extra.fitCurves.fit.components).toHaveLength(2);
    const masked = Buffer.from(p.nodes.iq.fields.I.b64, 'base64');
    const unmasked = Buffer.from(p.extra.iqUnmasked.iq.fields.I.b64, 'base64');
    expect(masked.equals(unmasked)).toBe(false);
    // An unsaved variant is previewed, not kept.
    const variant = structuredClone(studio.session.graph);
    variant.nodes.pdf.params = { ...variant.nodes.pdf.params, rpoly: 0.9 };
    const pv = (await api.post('/api/preview', { iy: 2, ix: 3, graph: variant })).json();
    expect(pv.nodes.pdf.fields.G.b64).not.toBe(G.b64);
    expect(studio.session.graph.nodes.pdf.params!.rpoly).toBe(1.2);
    variant.nodes.pdf.params.rpoly = -1;
    expect((await api.post('/api/preview', { iy: 2, ix: 3, graph: variant })).json()).toMatchObject({ node: 'pdf', field: 'rpoly' });
  }, 60_000);

  it('run on the scan: progress events, maps, the virtual detector equals the stored qoi.virtual map', async () => {
    expect((await api.get('/api/map?node=vdfSum')).status).toBe(409);
    const r = await api.post('/api/run', {});
    expect(r.status).toBe(202);
    expect((await api.post('/api/run', {})).status).toBe(409);
    await studio.runs.settle();
    const names = events.map((e) => e.event);
    expect(names).toContain('run-start');
    expect(names).toContain('chunk');
    expect(names).toContain('run-done');
    const done = events.find((e) => e.event === 'run-done')!.data;
    expect(fs.existsSync(path.join(done.runDir as string, 'manifest.json'))).toBe(true);
    expect(events.filter((e) => e.event === 'node').map((e) => e.data.node)).toEqual(expect.arrayContaining(['iq', 'fit', 'vdfSum']));

    const m = decodeFrame((await api.get('/api/map?node=vdfSum')).body);
    expect(m.header.shape).toEqual([NY, NX]);
    expect(m.bytes.length).toBe(NY * NX * 4);
    const params = studio.session.graph.nodes.vdfSum.params!;
    const v = decodeFrame((await api.post('/api/virtual', params)).body);
    expect(v.header.shape).toEqual([NY, NX]);
    expect(v.bytes.equals(m.bytes)).toBe(true);
    const other = decodeFrame((await api.post('/api/virtual', { ...params, inner: 1.5 })).body);
    expect(other.bytes.equals(m.bytes)).toBe(false);
    expect((await api.post('/api/virtual', { ...params, inner: 4, outer: 3 })).json()).toMatchObject({ field: 'outer' });

    const maps = (await api.get('/api/maps')).json() as { node: string; field: string }[];
    expect(maps).toEqual(expect.arrayContaining([expect.objectContaining({ node: 'fit', field: 'c1' }), expect.objectContaining({ node: 'r1', field: 'position' })]));
    const c = (await api.get('/api/curve?node=pdf&field=G&iy=1&ix=2')).json();
    expect(c.axisName).toBe('r');
  }, 120_000);

  it('saved graph run by snem run (fresh cache) gives byte-identical outputs to the studio run', async () => {
    const runDir = (studio.runs.history[0].runDir)!;
    const saved = (await api.post('/api/save', { path: 'saved.json' })).json();
    expect(saved.file).toBe(path.join(fs.realpathSync(fx.dir), 'saved.json'));
    expect((await api.post('/api/save', { path: 'saved.json' })).status).toBe(409);
    const out = path.join(fx.dir, 'cli-run');
    await runGraph({ graphFile: saved.file, outDir: out, cacheDir: path.join(fx.dir, 'cache2'), quiet: true, noReport: true, workers: 1 });
    const npys = fs.readdirSync(runDir).filter((f) => f.endsWith('.npy'));
    expect(npys.length).toBeGreaterThan(10);
    for (const f of npys) expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(runDir, f))), f).toBe(true);
  }, 120_000);

  it('versions: numbered snapshots, diff between them', async () => {
    await api.post('/api/graph/edit', { edits: [{ op: 'set', node: 'fit', param: 'range', value: [2.2, 3.9] }] });
    expect((await api.post('/api/save', {})).status).toBe(200);
    const vs = (await api.get('/api/versions')).json();
    expect(vs.map((v: { versionId: string }) => v.versionId)).toEqual(['saved@1', 'saved@2']);
    const d = (await api.get('/api/diff?a=saved@1&b=saved@2')).json();
    expect(d.changes).toEqual([expect.objectContaining({ node: 'fit', change: 'params' })]);
    expect(d.recomputes).toContain('fit');
    expect((await api.get('/api/diff?a=saved@9&b=current')).status).toBe(404);
  });

  it('cancel stops a run; finished chunks stay cached', async () => {
    await api.post('/api/graph/edit', { edits: [{ op: 'set', node: 'automask', param: 'alpha', value: 2.7 }] });
    const n0 = events.length;
    await api.post('/api/run', {});
    await api.post('/api/run/cancel', {});
    await studio.runs.settle();
    expect(events.slice(n0).map((e) => e.event)).toContain('run-cancelled');
    expect(studio.runs.history[0].status).toBe('cancelled');
    await api.post('/api/run', {});
    await studio.runs.settle();
    expect(studio.runs.history[0].status).toBe('done');
  }, 120_000);
});
