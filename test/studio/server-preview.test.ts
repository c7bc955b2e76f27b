/**
 * The chain view's promise: the preview of one position, for the current (edited) graph, is byte
 * for byte what the engine stores for that position when the same graph is run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStore } from '../../cache/store.ts';
import { runGraph } from '../../app/run.ts';
import type { NDArray, TypedArray, Value } from '../../engine/types.ts';
import { Studio } from '../../studio/server/studio.ts';
import { makeFixture, NX, type StudioFixture } from './fixture.ts';

let fx: StudioFixture;
let studio: Studio;

beforeAll(async () => {
  fx = await makeFixture();
  studio = await Studio.open({ target: fx.graphFile, cacheDir: fx.cacheDir });
}, 120_000);

afterAll(async () => {
  await studio?.close();
  fx?.cleanup();
});

const bytes = (a: NDArray) =>
  Buffer.from(
    (a.data as TypedArray).buffer,
    (a.data as TypedArray).byteOffset,
    (a.data as TypedArray).byteLength,
  );

/** Row `offset` of every field of a stored chunk value. */
function row(v: Value, offset: number): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [f, a] of Object.entries(v.fields)) {
    const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
    const b = bytes(a);
    const w = b.length / a.shape[0];
    out[f] = b.subarray(offset * w, (offset + 1) * w);
    expect(w).toBe(per * (a.data as TypedArray).BYTES_PER_ELEMENT);
  }
  return out;
}

async function engineRows(positions: number[]): Promise<Map<number, Record<string, Record<string, Buffer>>>> {
  await runGraph({
    graph: studio.session.graph,
    graphFile: fx.graphFile,
    cacheDir: fx.cacheDir,
    quiet: true,
    noReport: true,
    outDir: `${fx.dir}/run`,
    workers: 1,
  });
  const store = new CacheStore(fx.cacheDir);
  try {
    const rec = store.listRuns()[0];
    const out = new Map<number, Record<string, Record<string, Buffer>>>();
    for (const p of positions) {
      const nodes: Record<string, Record<string, Buffer>> = {};
      for (const [id, n] of Object.entries(rec.nodes)) {
        if (!n.chunkHashes || id === 'frames') continue;
        const v = store.getValue(n.chunkHashes[Math.floor(p / 16)])!;
        nodes[id] = row(v, p % 16);
      }
      out.set(p, nodes);
    }
    return out;
  } finally {
    await store.close();
  }
}

const POSITIONS = [0, 2 * NX + 7, 5 * NX + 9];

describe('studio preview = engine, byte for byte', () => {
  const cases: [string, { node: string; param: string; value: unknown }[]][] = [
    ['the graph as opened', []],
    [
      'mask alpha 2.5, rpoly 1.0, fit window 2.2–3.8 Å',
      [
        { node: 'automask', param: 'alpha', value: 2.5 },
        { node: 'pdf', param: 'rpoly', value: 1.0 },
        { node: 'fit', param: 'range', value: [2.2, 3.8] },
      ],
    ],
    [
      'split none, 300 bins',
      [
        { node: 'iq', param: 'split', value: 'none' },
        { node: 'iq', param: 'bins', value: 300 },
      ],
    ],
  ];
  for (const [label, sets] of cases) {
    it(label, async () => {
      if (sets.length) studio.session.edit(sets.map((s) => ({ op: 'set', ...s })));
      const previews = new Map<number, Map<string, Value>>();
      for (const p of POSITIONS) {
        const pv = await studio.preview.run(studio.session.resolved(), p);
        expect([...pv.errors]).toEqual([]);
        previews.set(p, pv.values);
      }
      const engine = await engineRows(POSITIONS);
      for (const p of POSITIONS) {
        const want = engine.get(p)!;
        const got = previews.get(p)!;
        expect(Object.keys(want).sort()).toEqual([...got.keys()].filter((k) => k !== 'frames').sort());
        for (const [id, fields] of Object.entries(want)) {
          for (const [f, b] of Object.entries(fields)) {
            const mine = bytes(got.get(id)!.fields[f]);
            expect(mine.equals(b), `position ${p}, ${id}.${f}`).toBe(true);
          }
        }
      }
    }, 120_000);
  }

  it('a param edit changes the preview (the comparison above can fail)', async () => {
    const before = await studio.preview.run(studio.session.resolved(), POSITIONS[1]);
    studio.session.edit([{ op: 'set', node: 'automask', param: 'alpha', value: 1.2 }]);
    const after = await studio.preview.run(studio.session.resolved(), POSITIONS[1]);
    expect(bytes(after.values.get('iq')!.fields.I).equals(bytes(before.values.get('iq')!.fields.I))).toBe(
      false,
    );
    studio.session.undo();
    const again = await studio.preview.run(studio.session.resolved(), POSITIONS[1]);
    expect(bytes(again.values.get('iq')!.fields.I).equals(bytes(before.values.get('iq')!.fields.I))).toBe(
      true,
    );
  }, 60_000);
});
