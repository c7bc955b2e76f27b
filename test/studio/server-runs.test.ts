/**
 * Studio runs' directories: only the newest N of a graph's studio runs stay on disk, besides pinned
 * runs (POST /api/runs/pin) and saved versions' runs; other directories in runs/ are never touched;
 * the diff-map and export endpoints refuse a removed run with a 404 saying so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type StudioServer } from '../../studio/server/server.ts';
import { Studio } from '../../studio/server/studio.ts';
import type { GraphDoc } from '../../engine/graph.ts';
import { client } from './client.ts';
import { makeFixture, type StudioFixture } from './fixture.ts';

let fx: StudioFixture;
let studio: Studio;
let srv: StudioServer;
let api: ReturnType<typeof client>;
let graphFile: string;

beforeAll(async () => {
  fx = await makeFixture();
  // A quick graph (one virtual detector) so that six runs stay cheap.
  const doc: GraphDoc = {
    snem: 1,
    name: 'keep-test',
    dataset: { path: 'data/frames.npy' },
    chunkSize: 16,
    nodes: {
      frames: { op: 'source.frames' },
      vbf: { op: 'qoi.virtual', in: { frames: 'frames' }, params: { shape: 'disc', radius: 10 } },
    },
    outputs: ['vbf'],
  };
  graphFile = path.join(fx.dir, 'keep.json');
  fs.writeFileSync(graphFile, JSON.stringify(doc));
  fs.mkdirSync(path.join(fx.dir, 'runs', 'keep-test-by-hand'), { recursive: true });
  studio = await Studio.open({ target: graphFile, cacheDir: fx.cacheDir, keepRuns: 1 });
  srv = await listen(studio, { port: 0 });
  api = client(srv.port);
}, 120_000);

afterAll(async () => {
  await srv?.close();
  fx?.cleanup();
});

async function runWith(radius: number): Promise<{ runId: string; runDir: string }> {
  expect(
    (
      await api.post('/api/graph/edit', {
        edits: [{ op: 'set', node: 'vbf', param: 'radius', value: radius }],
      })
    ).status,
  ).toBe(200);
  const { runId } = (await api.post('/api/run', {})).json();
  await studio.runs.settle();
  const info = studio.runs.history.find((h) => h.runId === runId)!;
  expect(info.status).toBe('done');
  return { runId, runDir: info.runDir! };
}

describe('studio runs directories', () => {
  it('keeps the newest N, pinned and saved runs; refuses a removed run with a 404', async () => {
    const r1 = await runWith(11);
    expect((await api.post('/api/runs/pin', { runId: r1.runId })).json()).toMatchObject({
      runId: r1.runId,
      pinned: true,
    });
    const r2 = await runWith(12);
    expect((await api.post('/api/save', {})).status).toBe(200); // r2's graph is a saved version
    const r3 = await runWith(13);
    const r4 = await runWith(14);
    const exists = (r: { runDir: string }) => fs.existsSync(r.runDir);
    expect([r1, r2, r3, r4].map(exists)).toEqual([true, true, false, true]);
    expect(fs.existsSync(`${r3.runDir}.graph.json`)).toBe(false);
    expect(fs.existsSync(path.join(fx.dir, 'runs', 'keep-test-by-hand'))).toBe(true);
    const runs = (await api.get('/api/runs')).json() as {
      runId: string;
      removed?: boolean;
      pinned?: boolean;
    }[];
    expect(runs.find((r) => r.runId === r3.runId)).toMatchObject({ removed: true });
    expect(runs.find((r) => r.runId === r1.runId)).toMatchObject({ pinned: true });

    const diff = await api.get(`/api/map/diff?a=${r3.runId}&b=${r4.runId}&node=vbf`);
    expect(diff.status).toBe(404);
    expect(diff.json().error).toContain(`run '${r3.runId}' was removed`);
    const exp = await api.get(`/api/export?node=vbf&format=csv&run=${r3.runId}`);
    expect(exp.status).toBe(404);
    expect(exp.json().error).toContain('was removed');
    expect((await api.get(`/api/map/diff?a=${r1.runId}&b=${r4.runId}&node=vbf`)).status).toBe(200);
    expect((await api.get(`/api/export?node=vbf&format=csv&run=${r2.runId}`)).status).toBe(200);

    // Bad pins: unknown or removed run, bad body.
    expect((await api.post('/api/runs/pin', { runId: 'run-99' })).status).toBe(404);
    expect((await api.post('/api/runs/pin', { runId: r3.runId })).status).toBe(404);
    expect((await api.post('/api/runs/pin', { runId: r1.runId, pinned: 'no' })).json()).toMatchObject({
      field: 'pinned',
    });
    expect((await api.post('/api/runs/pin', {})).status).toBe(400);

    // Unpinned, r1 goes with the next run (as does r4, now beyond the newest one).
    expect((await api.post('/api/runs/pin', { runId: r1.runId, pinned: false })).json()).toMatchObject({
      pinned: false,
    });
    const r5 = await runWith(15);
    expect([r1, r2, r4, r5].map(exists)).toEqual([false, true, false, true]);
    expect(fs.existsSync(`${r1.runDir}.pinned`)).toBe(false);
  }, 180_000);
});
