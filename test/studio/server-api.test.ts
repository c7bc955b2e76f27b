/**
 * The studio server through HTTP: session, catalogue, edits with the validator's messages,
 * undo/redo, runs with progress events, maps, the live virtual detector against the stored
 * qoi.virtual values, save → `snem run` giving byte-identical outputs, versions and diff.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGraph } from '../../app/run.ts';
import { decodeFrame } from './client.ts';
import { NX, NY, startStudio, type StudioHarness } from './fixture.ts';

let fx: StudioHarness['fx'];
let studio: StudioHarness['studio'];
let api: StudioHarness['api'];
const events: { event: string; data: Record<string, unknown> }[] = [];

let harness: StudioHarness;

beforeAll(async () => {
  harness = await startStudio();
  ({ fx, studio, api } = harness);
  // Record every event the page would get.
  const emit = studio.events.emit.bind(studio.events);
  studio.events.emit = (event: string, data: unknown) => {
    events.push({ event, data: data as Record<string, unknown> });
    emit(event, data);
  };
}, 120_000);

afterAll(() => harness?.close());

describe('studio server API', () => {
  it('session: graph, scan and frame shape, catalogue from the op declarations', async () => {
    const s = (await api.get('/api/session')).json();
    expect(s.mode).toBe('edit');
    expect(s.scan).toEqual([NY, NX]);
    expect(s.frameShape).toEqual([144, 144]);
    expect(Object.keys(s.graph.nodes)).toContain('automask');
    expect(s.canUndo).toBe(false);
    const ops = (await api.get('/api/ops')).json() as {
      name: string;
      params: Record<string, { unit?: string; default?: unknown }>;
    }[];
    const auto = ops.find((o) => o.name === 'mask.auto')!;
    expect(auto.params.alpha.default).toBe(3.5);
    expect(ops.find((o) => o.name === 'integrate.azimuthal')!.params.qMin.unit).toContain('Å⁻¹');
  });

  it('value: the resolved geometry the pattern overlays use; per-position and unknown nodes refused', async () => {
    const g = (await api.get('/api/value?node=geometry')).json();
    expect(g.op).toBe('calib.geometry');
    const [cx, cy] = g.meta.center as number[];
    // The simulator's beam sits near the middle of the 144 × 144 detector.
    expect(Math.abs(cx - 71.5)).toBeLessThan(8);
    expect(Math.abs(cy - 71.5)).toBeLessThan(8);
    expect(g.meta.qPerPixel).toBeGreaterThan(0);
    expect(g.fields.center.shape).toEqual([2]);
    const frameNode = await api.get('/api/value?node=iq');
    expect(frameNode.status).toBe(400);
    expect(frameNode.json()).toMatchObject({ node: 'iq' });
    expect((await api.get('/api/value?node=nope')).status).toBe(404);
  });

  it('an invalid edit is a 400 naming node and field; nothing changes; the server keeps serving', async () => {
    const before = (await api.get('/api/graph')).json();
    const r = await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'automask', param: 'alpha', value: -1 }],
    });
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({ node: 'automask', field: 'alpha' });
    expect(r.json().error).toMatch(/alpha/);
    const unknownOp = await api.post('/api/graph/edit', {
      edits: [{ op: 'add', node: 'x', def: { op: 'qoi.peek', in: { curve: 'pdf.G' } } }],
    });
    expect(unknownOp.status).toBe(400);
    expect(unknownOp.json().error).toMatch(/did you mean 'qoi.peak'/);
    expect(
      (await api.post('/api/graph/edit', { edits: [{ op: 'set', node: 'nope', param: 'a', value: 1 }] }))
        .status,
    ).toBe(404);
    expect(
      (
        await api.post('/api/graph/edit', {
          edits: [{ op: 'add', node: '__proto__', def: { op: 'qoi.peak' } }],
        })
      ).status,
    ).toBe(400);
    expect(
      (await api.post('/api/graph/edit', { edits: [{ op: 'delete', node: 'iq' }] })).json(),
    ).toMatchObject({ node: 'pdf' });
    const after = (await api.get('/api/graph')).json();
    expect(after.version).toBe(before.version);
    expect(after.graph).toEqual(before.graph);
  });

  it('edits, undo and redo; the plan says what recomputes', async () => {
    const r = await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'automask', param: 'alpha', value: 3 }],
    });
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
    expect((await api.post('/api/preview', { iy: 2, ix: 3, graph: variant })).json()).toMatchObject({
      node: 'pdf',
      field: 'rpoly',
    });
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
    expect(events.filter((e) => e.event === 'node').map((e) => e.data.node)).toEqual(
      expect.arrayContaining(['iq', 'fit', 'vdfSum']),
    );

    const m = decodeFrame((await api.get('/api/map?node=vdfSum')).body);
    expect(m.header.shape).toEqual([NY, NX]);
    expect(m.bytes.length).toBe(NY * NX * 4);
    const params = studio.session.graph.nodes.vdfSum.params!;
    const v = decodeFrame((await api.post('/api/virtual', { ...params, exact: true })).body);
    expect(v.header.shape).toEqual([NY, NX]);
    expect(v.bytes.equals(m.bytes)).toBe(true);
    const other = decodeFrame((await api.post('/api/virtual', { ...params, inner: 1.5, exact: true })).body);
    expect(other.bytes.equals(m.bytes)).toBe(false);
    expect((await api.post('/api/virtual', { ...params, inner: 4, outer: 3 })).json()).toMatchObject({
      field: 'outer',
    });

    // The polar summary (built in the background after the first request): whole cells are exact,
    // cut cells approximate; exact: true still gives the exact values.
    await studio.virtual.summaryReady();
    const fast = decodeFrame((await api.post('/api/virtual', params)).body);
    expect(fast.header.exact).toBe(false);
    const a = new Float32Array(
      fast.bytes.buffer.slice(fast.bytes.byteOffset, fast.bytes.byteOffset + fast.bytes.length),
    );
    const b = new Float32Array(m.bytes.buffer.slice(m.bytes.byteOffset, m.bytes.byteOffset + m.bytes.length));
    const rel = Array.from(a, (x, i) => Math.abs(x - b[i]) / b[i]).sort((x, y) => x - y);
    expect(rel[Math.floor(rel.length / 2)]).toBeLessThan(0.03);
    expect(rel[0]).toBeGreaterThan(0); // approximate indeed (the comparison can fail)
    const all = { shape: 'disc', radius: 500, unit: 'px', stat: 'sum' };
    const wholeFast = decodeFrame((await api.post('/api/virtual', all)).body);
    const wholeExact = decodeFrame((await api.post('/api/virtual', { ...all, exact: true })).body);
    expect(wholeFast.header.exact).toBe(false);
    expect(wholeExact.header.exact).toBe(true);
    expect(wholeFast.bytes.equals(wholeExact.bytes)).toBe(true);

    const maps = (await api.get('/api/maps')).json() as { node: string; field: string }[];
    expect(maps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ node: 'fit', field: 'c1' }),
        expect.objectContaining({ node: 'r1', field: 'position' }),
      ]),
    );
    const c = (await api.get('/api/curve?node=pdf&field=G&iy=1&ix=2')).json();
    expect(c.axisName).toBe('r');
  }, 120_000);

  it('saved graph run by snem run (fresh cache) gives byte-identical outputs to the studio run', async () => {
    const runDir = studio.runs.history[0].runDir!;
    const saved = (await api.post('/api/save', { path: 'saved.json' })).json();
    expect(saved.file).toBe(path.join(fs.realpathSync(fx.dir), 'saved.json'));
    expect((await api.post('/api/save', { path: 'saved.json' })).status).toBe(409);
    const out = path.join(fx.dir, 'cli-run');
    await runGraph({
      graphFile: saved.file,
      outDir: out,
      cacheDir: path.join(fx.dir, 'cache2'),
      quiet: true,
      noReport: true,
      workers: 1,
    });
    const npys = fs.readdirSync(runDir).filter((f) => f.endsWith('.npy'));
    expect(npys.length).toBeGreaterThan(10);
    for (const f of npys)
      expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(runDir, f))), f).toBe(true);
  }, 120_000);

  it('versions: numbered snapshots, diff between them', async () => {
    await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'fit', param: 'range', value: [2.2, 3.9] }],
    });
    expect((await api.post('/api/save', {})).status).toBe(200);
    const vs = (await api.get('/api/versions')).json();
    expect(vs.map((v: { versionId: string }) => v.versionId)).toEqual(['saved@1', 'saved@2']);
    const d = (await api.get('/api/diff?a=saved@1&b=saved@2')).json();
    expect(d.changes).toEqual([expect.objectContaining({ node: 'fit', change: 'params' })]);
    expect(d.recomputes).toContain('fit');
    expect((await api.get('/api/diff?a=saved@9&b=current')).status).toBe(404);
  });

  it('cancel stops a run; finished chunks stay cached', async () => {
    await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'automask', param: 'alpha', value: 2.7 }],
    });
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

  it('exports (float TIFF, CSV) and the difference map of two runs', async () => {
    const tif = await api.get('/api/export?node=fit&field=c1&format=tiff');
    expect(tif.status).toBe(200);
    expect(tif.body.subarray(0, 4).toString('latin1')).toMatch(/^(II\*\0|MM\0\*|II\+\0)/);
    expect(tif.body.toString('latin1')).toContain('snem');
    const csv = await api.get('/api/export?node=r1&field=position&format=csv');
    expect(csv.status).toBe(200);
    expect((await api.get('/api/export?node=r1&format=gif')).status).toBe(400);
    const done = studio.runs.history.filter((r) => r.status === 'done');
    expect(done.length).toBeGreaterThanOrEqual(2);
    const d = decodeFrame(
      (await api.get(`/api/map/diff?a=${done[1].runId}&b=${done[0].runId}&node=automask&field=rejected`))
        .body,
    );
    expect(d.header.shape).toEqual([NY, NX]);
    expect(d.header.maxAbs as number).toBeGreaterThan(0); // alpha 3 vs 2.7 rejects different pixels
  }, 60_000);

  it('a mask drawn on the pattern is saved for mask.static, which reads it by content', async () => {
    const mask = new Uint8Array(144 * 144);
    for (let r = 60; r < 80; r++) for (let c = 100; c < 130; c++) mask[r * 144 + c] = 1;
    const body = {
      name: 'drawn',
      mask: { dtype: 'uint8', shape: [144, 144], b64: Buffer.from(mask).toString('base64') },
    };
    const r = (await api.post('/api/mask', body)).json();
    expect(r.excluded).toBe(600);
    expect(fs.existsSync(r.path)).toBe(true);
    expect((await api.post('/api/mask', { ...body, name: '../x' })).status).toBe(400);
    expect((await api.post('/api/mask', { ...body, mask: { ...body.mask, shape: [10, 10] } })).status).toBe(
      400,
    );
    const before = (await api.get('/api/preview?iy=1&ix=1')).json().nodes.iq.fields.count.b64;
    await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'static', param: 'maskFile', value: r.file }],
    });
    const after = (await api.get('/api/preview?iy=1&ix=1')).json().nodes.iq.fields.count.b64;
    expect(after).not.toBe(before);
    const plan = (await api.get('/api/plan')).json();
    // the preview has computed mask.static with the new file already (a prerequisite); the scan's I(Q) is not
    expect(plan.entries.find((e: { node: string }) => e.node === 'iq').status).toBe('will run');
  }, 60_000);

  it('a one-QoI edit re-runs only that node; the other maps stay available', async () => {
    await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'static', param: 'maskFile', value: null }],
    });
    await api.post('/api/run', {});
    await studio.runs.settle();
    await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'r1r2', param: 'expr', value: 'fit.c1 + 2 * fit.c2' }],
    });
    const from = events.length;
    await api.post('/api/run', {});
    await studio.runs.settle();
    const nodes = events
      .slice(from)
      .filter((e) => e.event === 'node')
      .map((e) => e.data.node);
    expect(nodes).toContain('r1r2');
    expect(nodes).not.toContain('vbf');
    const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    const c1 = f32(decodeFrame((await api.get('/api/map?node=fit&field=c1')).body).bytes);
    const c2 = f32(decodeFrame((await api.get('/api/map?node=fit&field=c2')).body).bytes);
    const r = f32(decodeFrame((await api.get('/api/map?node=r1r2')).body).bytes);
    for (let i = 0; i < r.length; i++)
      if (Number.isFinite(r[i])) expect(r[i]).toBeCloseTo(c1[i] + 2 * c2[i], 4);
    expect((await api.get('/api/map?node=vbf')).status).toBe(200);
    expect((await api.get('/api/maps')).json().length).toBeGreaterThan(10);

    // A per-position node's param (the fit window): that node and its dependants only, on the new
    // window (the map at a position equals the preview there, which runs the op on the new graph).
    const range = studio.session.graph.nodes.fit.params!.range as number[];
    await api.post('/api/graph/edit', {
      edits: [{ op: 'set', node: 'fit', param: 'range', value: [range[0] + 0.15, range[1]] }],
    });
    const at = events.length;
    await api.post('/api/run', {});
    await studio.runs.settle();
    const start = events.slice(at).find((e) => e.event === 'run-start')!.data;
    expect(start.computes).toEqual(['fit', 'r1r2']);
    // Their ancestors are read from the cache; nothing else runs.
    const ran = events.slice(at).filter((e) => e.event === 'node');
    expect(ran.filter((e) => e.data.status === 'computed').map((e) => e.data.node)).toEqual(['fit', 'r1r2']);
    expect(ran.map((e) => e.data.node)).not.toContain('vbf');
    const c1New = f32(decodeFrame((await api.get('/api/map?node=fit&field=c1')).body).bytes);
    expect(Array.from(c1New)).not.toEqual(Array.from(c1));
    const p = (await api.get('/api/preview?iy=2&ix=3')).json();
    const b = Buffer.from(p.nodes.fit.fields.c1.b64, 'base64');
    expect(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + 4))[0]).toBe(c1New[2 * NX + 3]);
    expect(f32(decodeFrame((await api.get('/api/map?node=r1&field=position')).body).bytes).length).toBe(
      NX * NY,
    );
  }, 180_000);
});
