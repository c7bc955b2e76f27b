import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataset } from '../../formats/open.ts';
import { writeNpy } from '../../formats/npy.ts';
import { nd } from '../../engine/ndarray.ts';
import { sourceProfiles } from '../../nodes/source/profiles.ts';
import type { DatasetHandle, Value } from '../../engine/types.ts';
import { tmpDir } from './fixtures.ts';

function runOp(dataset: DatasetHandle, xUnit: 'q' | 'g' | 'r', start = 0, count = 1): Value {
  const base = { node: 'prof', params: { xUnit }, scan: dataset.scan, dataset, log: () => {} };
  sourceProfiles.check!(base.params, { node: 'prof', dataset });
  const state = sourceProfiles.prepare!({ ...base, inputs: {} }) as never;
  return sourceProfiles.process!({ ...base, inputs: {}, state, chunk: { index: 0, start, count } }) as Value;
}

describe('1-D profiles', () => {
  it('reads a CSV x,I profile as a 1×1 scan and converts g to Q', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'iq.csv');
    fs.writeFileSync(f, '# integrated elsewhere\ng,I\n0.1, 10\n0.2, 12.5\n0.3, 9\n');
    const h = openDataset(f);
    expect(h.kind).toBe('profiles');
    expect(h.scan).toEqual({ ny: 1, nx: 1 });
    expect(h.frameShape).toEqual([3]);
    const v = runOp(h, 'g');
    expect(v.fields.I.shape).toEqual([1, 3]);
    expect(Array.from(v.fields.I.data)).toEqual([10, 12.5, 9]);
    expect(v.axes!.q.data[1]).toBeCloseTo(0.2 * 2 * Math.PI, 12);
    expect(v.meta!.axisOf).toEqual({ I: 'q' });
  });

  it('reads npy [ny, nx, n] profiles with NAME.axis.npy; r gives G on axes.r', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'gr.npy');
    writeNpy(
      f,
      nd(
        Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i),
        [2, 3, 4],
      ),
    );
    writeNpy(path.join(dir, 'gr.axis.npy'), nd(Float64Array.from([1, 2, 3, 4]), [4]));
    const h = openDataset(f, { kind: 'profiles' });
    expect(h.kind).toBe('profiles');
    expect(h.scan).toEqual({ ny: 2, nx: 3 });
    const v = runOp(h, 'r', 4, 2);
    expect(v.fields.G.shape).toEqual([2, 4]);
    expect(Array.from(v.fields.G.data)).toEqual([16, 17, 18, 19, 20, 21, 22, 23]);
    expect(Array.from(v.axes!.r.data)).toEqual([1, 2, 3, 4]);
    expect(v.meta!.axisOf).toEqual({ G: 'r' });
    // The axis sibling alone marks an npy as profiles.
    expect(openDataset(f).kind).toBe('profiles');
    h.close();
  });

  it('refuses malformed CSVs, a missing or mismatched axis, and frames given to source.profiles', () => {
    const dir = tmpDir();
    const f = path.join(dir, 'bad.csv');
    fs.writeFileSync(f, 'q,I\n0.1,1\n0.2,oops\n');
    expect(() => openDataset(f)).toThrow(
      /bad\.csv: CSV profile row 3: expected two numbers "x,I", found "0\.2,oops"/,
    );
    fs.writeFileSync(f, 'q,I\n0.2,1\n0.1,2\n');
    expect(() => openDataset(f)).toThrow(/bad\.csv: CSV profile: x must increase/);
    fs.writeFileSync(f, 'q,I\n');
    expect(() => openDataset(f)).toThrow(/bad\.csv: CSV profile holds no data rows/);
    const n = path.join(dir, 'p.npy');
    writeNpy(n, nd(new Float32Array(8), [2, 4]));
    expect(() => openDataset(n, { profiles: true })).toThrow(
      /p\.npy: profiles \.npy needs its x axis in .*p\.axis\.npy/,
    );
    writeNpy(path.join(dir, 'p.axis.npy'), nd(new Float32Array(5), [5]));
    expect(() => openDataset(n)).toThrow(/p\.axis\.npy: expected a 1-D axis of 4 values/);
    const frames = path.join(dir, 'frames.npy');
    writeNpy(frames, nd(new Uint8Array(2 * 4 * 4), [2, 4, 4]));
    const fh = openDataset(frames);
    expect(() => sourceProfiles.check!({ xUnit: 'q' }, { node: 'prof', dataset: fh })).toThrow(
      /node 'prof': .*frames\.npy holds frames, not 1-D profiles/,
    );
    fh.close();
  });
});
