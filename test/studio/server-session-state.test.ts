/**
 * What the studio serves follows the session's present state, not a stale copy: a map's display
 * settings are the edited graph's (not the last run's), a param file rewritten on disk is
 * re-hashed (and the page told), two preview requests share one prerequisite computation, and
 * fit / peak maps carry real units resolved from the curve they read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Executor } from '../../engine/executor.ts';
import { writeNpy } from '../../formats/npy.ts';
import { simplify } from '../../studio/server/field-units.ts';
import { PrerequisiteCache } from '../../studio/server/prerequisites.ts';
import { decodeFrame } from './client.ts';
import { startStudio, type StudioHarness } from './fixture.ts';

let h: StudioHarness;
const events: { event: string; data: Record<string, unknown> }[] = [];

beforeAll(async () => {
  h = await startStudio();
  const emit = h.studio.events.emit.bind(h.studio.events);
  h.studio.events.emit = (event: string, data: unknown) => {
    events.push({ event, data: data as Record<string, unknown> });
    emit(event, data);
  };
  h.studio.runs.start();
  await h.studio.runs.settle();
  expect(h.studio.runs.history[0].status).toBe('done');
}, 180_000);

afterAll(() => h?.close());

/** GET / POST that must succeed: the JSON answer. */
async function ok(r: Promise<{ status: number; json: () => unknown; body: Buffer }>): Promise<unknown> {
  const a = await r;
  if (a.status !== 200) throw new Error(`${a.status}: ${a.body.toString('utf8')}`);
  return a.json();
}
/** A map's array-frame header (what /api/map says besides the values). */
interface MapHead {
  runId: string;
  unit: string | null;
  display: { limits?: number[] } | null;
  style: { limits: number[]; colormap: string };
}
const header = async (p: string) => decodeFrame((await h.api.get(p)).body).header as unknown as MapHead;
const f32 = (a: { b64: string }) => new Float32Array(new Uint8Array(Buffer.from(a.b64, 'base64')).buffer);

describe('studio session state', () => {
  it('a map is drawn with the edited graph’s display settings at once, without a run', async () => {
    const before = await header('/api/map?node=vbf&field=value');
    expect(before.display?.limits).toBeUndefined();
    await ok(
      h.api.post('/api/graph/edit', {
        edits: [{ op: 'display', node: 'vbf', display: { limits: [1, 2], colormap: 'magma' } }],
      }),
    );
    const after = await header('/api/map?node=vbf&field=value');
    expect(after.runId).toBe(before.runId); // still the same run's values …
    expect(after.display?.limits).toEqual([1, 2]); // … drawn as the page now says
    expect(after.style.limits).toEqual([1, 2]);
    expect(after.style.colormap).toBe('magma');
    await ok(h.api.post('/api/graph/undo', {}));
    const undone = await header('/api/map?node=vbf&field=value');
    expect(undone.style.limits).not.toEqual([1, 2]);
  });

  it('fit and peak maps carry real units: the curve G(r) is in Å⁻², r in Å', async () => {
    const maps = (await ok(h.api.get('/api/maps'))) as { node: string; field: string; unit: string | null }[];
    const unit = (node: string, field: string) =>
      maps.find((m) => m.node === node && m.field === field)?.unit;
    expect(unit('fit', 'c1')).toBe('Å');
    expect(unit('fit', 'sigma2')).toBe('Å');
    expect(unit('fit', 'c1_err')).toBe('Å');
    expect(unit('fit', 'A1')).toBe('Å⁻¹'); // area under a G(r) peak: Å⁻² × Å
    expect(unit('fit', 'A2_err')).toBe('Å⁻¹');
    expect(unit('fit', 'height1')).toBe('Å⁻²');
    expect(unit('fit', 'a')).toBe('Å⁻³'); // baseline slope: Å⁻² per Å
    expect(unit('fit', 'a0')).toBe('Å⁻²');
    expect(unit('fit', 'rw')).toBeNull();
    expect(unit('r1', 'position')).toBe('Å');
    expect(unit('r1', 'height')).toBe('Å⁻²');
    for (const m of maps) expect(m.unit ?? '').not.toMatch(/curve/);
    const head = await header('/api/map?node=fit&field=a');
    expect(head.unit).toBe('Å⁻³');
    const pv = (await ok(h.api.get('/api/preview?iy=2&ix=3'))) as {
      nodes: Record<string, { units: Record<string, string | null> }>;
    };
    expect(pv.nodes.fit.units.A1).toBe('Å⁻¹');
    expect(pv.nodes.fit.units.a).toBe('Å⁻³');
    expect(pv.nodes.r1.units.height).toBe('Å⁻²');
  });

  it('unit products and quotients reduce to one product of powers', () => {
    expect(simplify('Å⁻² × Å')).toBe('Å⁻¹');
    expect(simplify('Å⁻² / Å')).toBe('Å⁻³');
    expect(simplify('Å⁻²·Å')).toBe('Å⁻¹');
    expect(simplify('Å⁻¹ (Q = 2π/d) × Å')).toBe('');
    expect(simplify('counts / pixel × Å⁻¹')).toBe('counts·pixel⁻¹·Å⁻¹');
    expect(simplify('1 / Å')).toBe('Å⁻¹');
    expect(simplify('odd{unit} × Å')).toBe('odd{unit} × Å'); // unreadable: as written
  });

  it('a param file rewritten on disk without an edit is re-hashed: the preview follows, the page is told', async () => {
    const [rows, cols] = (h.studio.ctx.dataset as { frameShape: number[] }).frameShape;
    const maskFile = path.join(h.fx.data, 'session-mask.npy');
    const mask = new Uint8Array(rows * cols);
    writeNpy(maskFile, { dtype: 'uint8', shape: [rows, cols], data: mask });
    await ok(
      h.api.post('/api/graph/edit', {
        edits: [{ op: 'set', node: 'static', param: 'maskFile', value: 'session-mask.npy' }],
      }),
    );
    const iq = async () =>
      f32(
        (
          (await ok(h.api.get('/api/preview?iy=2&ix=3'))) as {
            nodes: { iq: { fields: { I: { b64: string } } } };
          }
        ).nodes.iq.fields.I,
      );
    const open = await iq();
    // Mask a band of rows through the pattern: fewer pixels in most Q bins, so I(Q) changes.
    mask.fill(1, Math.floor(rows * 0.55) * cols, Math.floor(rows * 0.7) * cols);
    writeNpy(maskFile, { dtype: 'uint8', shape: [rows, cols], data: mask });
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(maskFile, later, later); // a rewrite within the same mtime tick must still count
    const masked = await iq();
    expect(Buffer.from(masked.buffer).equals(Buffer.from(open.buffer))).toBe(false);
    // The same as a session resolving the graph afresh (the POST with the graph resolves it anew).
    const fresh = (await ok(h.api.post('/api/preview', { iy: 2, ix: 3, graph: h.studio.session.graph }))) as {
      nodes: { iq: { fields: { I: { b64: string } } } };
    };
    expect(Buffer.from(masked.buffer).equals(Buffer.from(f32(fresh.nodes.iq.fields.I).buffer))).toBe(true);
    const told = events.filter((e) => e.event === 'param-files');
    expect(told.length).toBe(1);
    expect(told[0].data.files).toEqual([{ node: 'static', param: 'maskFile', file: maskFile }]);
    // Unchanged since: nothing more to tell.
    await iq();
    h.studio.checkParamFiles();
    expect(events.filter((e) => e.event === 'param-files').length).toBe(1);
  });

  it('two requests for the same prerequisites share one computation', async () => {
    const cache = new PrerequisiteCache(h.studio.ctx);
    const runs = vi.spyOn(Executor.prototype, 'run');
    try {
      const resolved = h.studio.session.resolved();
      const [a, b] = await Promise.all([cache.get(resolved), cache.get(resolved)]);
      expect(a).toBe(b);
      expect(a.hashes.has('geometry')).toBe(true);
      expect(runs).toHaveBeenCalledTimes(1);
      await cache.get(resolved);
      expect(runs).toHaveBeenCalledTimes(1);
    } finally {
      runs.mockRestore();
    }
  });
});
