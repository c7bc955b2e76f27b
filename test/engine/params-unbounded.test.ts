/**
 * "inf" / "-inf" inside number[] params where the op declares them (fit.gaussians lower/upper),
 * through the CLI: validate and run accept them, the fit uses them as no bound; elsewhere refused.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../formats/npy.ts';

const snem = path.resolve(import.meta.dirname, '../../cli/snem.js');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [snem, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('unbounded array bounds through the CLI', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-inf-'));
  // one G(r) curve: two Gaussians on a line −r + 2 (so a, a0 need the unbounded side)
  const rows = ['r,G'];
  for (let i = 0; i < 400; i++) {
    const r = 1 + i * 0.01;
    const g =
      (1.8 / (Math.sqrt(2 * Math.PI) * 0.15)) * Math.exp(-((r - 2.75) ** 2) / (2 * 0.15 ** 2)) +
      (1.0 / (Math.sqrt(2 * Math.PI) * 0.2)) * Math.exp(-((r - 3.3) ** 2) / (2 * 0.2 ** 2)) -
      r +
      2;
    rows.push(`${r.toFixed(2)},${g.toFixed(6)}`);
  }
  fs.writeFileSync(path.join(work, 'g.csv'), rows.join('\n'));
  const graph = (fit: object) => {
    const f = path.join(work, `graph-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(
      f,
      JSON.stringify({
        snem: 1,
        dataset: { path: 'g.csv' },
        nodes: {
          g: { op: 'source.profiles', params: { xUnit: 'r' } },
          fit: { op: 'fit.gaussians', in: { curve: 'g' }, params: fit },
        },
        outputs: ['fit'],
      }),
    );
    return f;
  };

  it('fit.gaussians lower/upper with "-inf" / "inf" validate, run and fit', () => {
    const f = graph({
      lower: [0.01, 2.4, 0.01, 0.01, 3.0, 0.01, '-inf', '-inf'],
      upper: ['inf', 3.0, 1, 'inf', 4.0, 1, 'inf', 'inf'],
    });
    const v = cli(['validate', f]);
    expect(v.code, v.stderr).toBe(0);
    const out = path.join(work, 'out');
    const r = cli(['run', f, '--out', out, '--cache', path.join(work, 'cache'), '--quiet', '--workers', '1']);
    expect(r.code, r.stderr).toBe(0);
    const c1 = readNpy(path.join(out, 'fit.c1.npy'));
    const a = readNpy(path.join(out, 'fit.a.npy'));
    expect(c1.data[0]).toBeCloseTo(2.75, 3);
    expect(a.data[0]).toBeCloseTo(-1, 2);
  }, 60_000);

  it('"-inf" where the op does not say so is still refused, naming node and param', () => {
    const v = cli(['validate', graph({ range: ['-inf', 4] })]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/node 'fit', param 'range': expected an array of 2 numbers/);
    const w = cli(['validate', graph({ lower: [0.01, 2.4, 0.01, 0.01, 3.0, 0.01, '-inf', 'nope'] })]);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(
      /node 'fit', param 'lower': expected an array of numbers, "inf" \/ "-inf" for none, got/,
    );
  });
});
