/**
 * Work proportional to the change (issue 13): outputs whose value is unchanged are hard links into
 * the output store beside the cache, changed ones are new files, a later run never alters an
 * earlier run's file, links fall back to copies across filesystems, and figures are redrawn only
 * when their data or display changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run, type GraphDoc } from 'snem';
import { OutputStore } from '../../cache/output-store.ts';
import { FigureCache } from '../../report/figure-cache.ts';
import { renderRun } from '../../report/index.ts';
import { readManifest } from '../../report/run-data.ts';
import { readNpy, writeNpy } from '../../formats/npy.ts';

const root = path.resolve(__dirname, '../..');

/** Two independent branches: editing scale2's gain changes scale2 and sum2, not scale and sum. */
const graph: GraphDoc = {
  snem: 1,
  name: 'edit',
  chunkSize: 16,
  nodes: {
    src: { op: 'toy.source', params: { ny: 8, nx: 8 } },
    scale: { op: 'toy.scale', in: { in: 'src' }, params: { gain: 2 } },
    sum: { op: 'toy.sum', in: { in: 'scale' } },
    scale2: { op: 'toy.scale', in: { in: 'src' }, params: { gain: 3 } },
    sum2: { op: 'toy.sum', in: { in: 'scale2' } },
  },
  outputs: ['sum', 'scale', 'sum2', 'scale2'],
} as unknown as GraphDoc;

let work: string;
beforeAll(() => {
  process.env.SNEM_OPS = path.join(root, 'test/fixtures/toy-ops.ts');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-edit-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const npyFiles = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.npy'))
    .sort();
const snapshot = (dir: string) =>
  Object.fromEntries(npyFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
const ino = (dir: string, f: string) => fs.statSync(path.join(dir, f)).ino;
const runTo = (cache: string, out: string, sets: string[] = []) =>
  run(structuredClone(graph), { cache, out, sets, workers: 1, quiet: true, noReport: true });

describe('run directories share unchanged outputs', () => {
  it('links unchanged outputs, writes changed ones, and never alters an earlier run', async () => {
    const cache = path.join(work, 'cache-links');
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    await runTo(cache, a);
    const before = snapshot(a);
    expect(Object.keys(before)).toEqual([
      'scale.axis.npy',
      'scale.npy',
      'scale2.axis.npy',
      'scale2.npy',
      'sum.npy',
      'sum2.npy',
    ]);

    await runTo(cache, b, ['scale2.gain=5']);
    for (const f of ['scale.npy', 'scale.axis.npy', 'sum.npy']) expect(ino(b, f), f).toBe(ino(a, f));
    for (const f of ['scale2.npy', 'sum2.npy']) {
      expect(ino(b, f), f).not.toBe(ino(a, f));
      expect(fs.readFileSync(path.join(b, f)).equals(before[f]), f).toBe(false);
    }
    // stored files are read-only, so a tool writing into one in place fails instead of changing both runs
    expect(fs.statSync(path.join(b, 'sum.npy')).mode & 0o222).toBe(0);

    // a third run into a's own directory, changing the other branch: b keeps its bytes
    const bBefore = snapshot(b);
    await runTo(cache, a, ['scale.gain=7']);
    expect(snapshot(b)).toEqual(bBefore);
    expect(fs.readFileSync(path.join(a, 'sum.npy')).equals(before['sum.npy'])).toBe(false);
    // and deleting a run directory breaks no other
    fs.rmSync(a, { recursive: true });
    expect(snapshot(b)).toEqual(bBefore);

    // the manifest describes linked outputs as written ones
    const m = readManifest(b);
    expect(m.outputs.map((o) => o.file)).toEqual(['sum.npy', 'scale.npy', 'sum2.npy', 'scale2.npy']);
    expect(m.outputs.find((o) => o.node === 'scale')).toMatchObject({
      axisFile: 'scale.axis.npy',
      axisName: 'q',
      kind: 'curves',
      shape: [8, 8, 4],
    });
  });

  it('copies where hard links cannot be made (another filesystem)', async () => {
    const cache = path.join(work, 'cache-exdev');
    const a = path.join(work, 'x1');
    const b = path.join(work, 'x2');
    const link = vi.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
    });
    await runTo(cache, a);
    await runTo(cache, b, ['scale2.gain=5']);
    expect(link).toHaveBeenCalled();
    const bytes = snapshot(b);
    for (const f of ['scale.npy', 'sum.npy']) {
      expect(ino(b, f)).not.toBe(ino(a, f));
      expect(bytes[f].equals(fs.readFileSync(path.join(a, f))), f).toBe(true);
    }
    expect(fs.readFileSync(path.join(b, 'sum2.npy')).equals(fs.readFileSync(path.join(a, 'sum2.npy')))).toBe(
      false,
    );
  });

  it('a store entry with a missing or truncated file is rewritten, not linked', async () => {
    const cache = path.join(work, 'cache-damaged');
    const a = path.join(work, 'd1');
    const b = path.join(work, 'd2');
    await runTo(cache, a);
    const store = OutputStore.beside(cache);
    // truncate every stored file of one entry (through a fresh inode: a's files keep their bytes)
    const entries = fs
      .readdirSync(store.dir)
      .flatMap((s) => fs.readdirSync(path.join(store.dir, s)).map((id) => path.join(store.dir, s, id)));
    expect(entries.length).toBe(4);
    for (const e of entries)
      for (const f of fs.readdirSync(e).filter((f) => f.endsWith('.npy'))) {
        fs.rmSync(path.join(e, f));
        fs.writeFileSync(path.join(e, f), 'x');
      }
    await runTo(cache, b);
    expect(snapshot(b)).toEqual(snapshot(a));
    expect(ino(b, 'sum.npy')).not.toBe(ino(a, 'sum.npy'));
  });

  it('gc prunes store entries no run directory links to', async () => {
    const cache = path.join(work, 'cache-prune');
    const a = path.join(work, 'p1');
    await runTo(cache, a);
    const store = OutputStore.beside(cache);
    expect(store.prune().entries).toBe(0);
    fs.rmSync(a, { recursive: true });
    const pruned = store.prune();
    expect(pruned.entries).toBe(4);
    expect(pruned.bytes).toBeGreaterThan(0);
    expect(fs.readdirSync(store.dir)).toEqual([]);
  });
});

describe('figure cache', () => {
  it('redraws only figures whose data or display changed, with the same bytes as drawing anew', async () => {
    const cache = path.join(work, 'cache-fig');
    const dir = path.join(work, 'fig');
    await runTo(cache, dir);
    const m = readManifest(dir);
    const plain = await renderRun(dir, m);
    const pngs = () =>
      Object.fromEntries(
        fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.png'))
          .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
      );
    const uncached = pngs();

    const figs = new FigureCache(path.join(work, 'figures'));
    await renderRun(dir, m, { figureCache: figs });
    const drawn = figs.misses;
    expect(drawn).toBeGreaterThan(3);
    expect(figs.hits).toBe(0);
    expect(pngs()).toEqual(uncached);

    const again = new FigureCache(figs.dir);
    const second = await renderRun(dir, m, { figureCache: again });
    expect([again.hits, again.misses]).toEqual([drawn, 0]);
    expect(pngs()).toEqual(uncached);
    expect(second.figures).toEqual(plain.figures);

    // one map's colormap changes: that map and the all-maps overview are drawn, nothing else
    const edited = structuredClone(m);
    (edited.graph as { nodes: Record<string, { display?: object }> }).nodes.sum.display = {
      colormap: 'magma',
    };
    const third = new FigureCache(figs.dir);
    const r = await renderRun(dir, edited, { figureCache: third });
    expect([third.hits, third.misses]).toEqual([drawn - 2, 2]);
    expect(r.figures.find((f) => f.file === 'sum.png')?.colormap).toBe('magma');
    expect(fs.readFileSync(path.join(dir, 'sum.png')).equals(uncached['sum.png'])).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'sum2.png')).equals(uncached['sum2.png'])).toBe(true);
  });

  it("looks a run's map figures up by the outputs' identity, without reading their files", async () => {
    const cache = path.join(work, 'cache-fig-id');
    const dir = path.join(work, 'fig-id');
    await runTo(cache, dir);
    const m = readManifest(dir);
    const contentId = (o: { valueHash: string; field: string }) => `${o.valueHash}/${o.field}`;
    const figs = new FigureCache(path.join(work, 'figures-id'));
    await renderRun(dir, m, { figureCache: figs, contentId });
    const drawn = figs.misses;
    // sum2: not the first map, whose values the line cut and the plots' positions are drawn from
    const sumPng = fs.readFileSync(path.join(dir, 'sum2.png'));

    // other values under the same identity: a lookup that read the file would miss and redraw
    const sumNpy = path.join(dir, 'sum2.npy');
    const { data, shape } = readNpy(sumNpy);
    const tmp = `${sumNpy}.other`;
    writeNpy(tmp, { dtype: 'float32', shape, data: Float32Array.from(data as Float32Array, (v) => v + 1) });
    fs.renameSync(tmp, sumNpy);
    const again = new FigureCache(figs.dir);
    await renderRun(dir, m, { figureCache: again, contentId });
    expect([again.hits, again.misses]).toEqual([drawn, 0]);
    expect(fs.readFileSync(path.join(dir, 'sum2.png')).equals(sumPng)).toBe(true);

    // without identities the values are hashed: the changed map and the overview are drawn anew
    const byData = new FigureCache(figs.dir);
    await renderRun(dir, m, { figureCache: byData });
    expect(byData.misses).toBeGreaterThanOrEqual(2);
    expect(fs.readFileSync(path.join(dir, 'sum2.png')).equals(sumPng)).toBe(false);
  });
});
