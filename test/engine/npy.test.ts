import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NpyReader, NpyStreamWriter, readNpy, writeNpy } from '../../formats/npy.ts';
import { nd } from '../../engine/ndarray.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'snem-npy-'));

describe('npy', () => {
  it('round-trips float32 and uint8 arrays', () => {
    const dir = tmp();
    const a = nd(
      Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3),
      [2, 3, 4],
    );
    writeNpy(path.join(dir, 'a.npy'), a);
    const b = readNpy(path.join(dir, 'a.npy'));
    expect(b.shape).toEqual([2, 3, 4]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });

  it('streams rows of a 4-D array as positions', () => {
    const dir = tmp();
    const f = path.join(dir, 'f.npy');
    const w = new NpyStreamWriter(f, 'uint8', [2, 3, 4, 4], 2);
    w.writeRows(
      3,
      new Uint8Array(3 * 16).map((_, i) => i),
    );
    w.close();
    const r = new NpyReader(f, 2);
    expect(r.rows).toBe(6);
    const rows = r.readRows(3, 2);
    expect(rows.shape).toEqual([2, 4, 4]);
    expect(rows.data[17]).toBe(17);
    r.close();
  });

  it('refuses a truncated file with a message naming it', () => {
    const dir = tmp();
    const f = path.join(dir, 't.npy');
    writeNpy(f, nd(new Float64Array(100), [10, 10]));
    fs.truncateSync(f, 300);
    expect(() => readNpy(f)).toThrow(/t\.npy: truncated \.npy file/);
  });
});
