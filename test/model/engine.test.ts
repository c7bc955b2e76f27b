/**
 * model.partials through the engine and the CLI: G(r) profiles mixed from the model's own
 * partials by known pair fractions → source.profiles → decompose.nmf → decompose.assign with the
 * model.partials node as references; the fractions come back, and editing the model file in place
 * recomputes the references (the file's content is part of the key) but not the NMF.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetContext } from '../../engine/types.ts';
import { readNpy, writeNpy } from '../../formats/npy.ts';
import { modelPartialsOp } from '../../nodes/model/partials-op.ts';
import { toExtendedXyz } from '../../nodes/model/structure-file.ts';
import { prng, randomPacking } from './models.ts';

const root = path.resolve(__dirname, '../..');
const snem = path.join(root, 'cli/snem.js');
const NAMES = ['ZrZr', 'ZrX', 'XX'];

describe('model.partials in a graph', () => {
  it('feeds decompose.assign (fractions recovered); a model-file edit recomputes the references and the bonds, not the NMF', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-model-engine-'));
    const model = path.join(work, 'glass.extxyz');
    fs.writeFileSync(model, toExtendedXyz(randomPacking(1200, 34, 0.5, 3)));
    const refParams = {
      file: model,
      format: 'auto',
      cell: null,
      typeMap: null,
      element: 'Zr',
      pairs: null,
      normalize: 'pairFraction',
      shellCut: 3.9,
      rcut: 'auto',
      qmin: 0.1,
      qmax: 8.1,
      window: 'none',
      qResolution: 0,
      formFactors: 'lobato',
      rmin: 1,
      rmax: 8,
      rstep: 0.01,
    };
    const refs = await modelPartialsOp.run!({
      node: 'refs',
      params: refParams,
      inputs: {},
      scan: { ny: 1, nx: 1 },
      dataset: null,
      log: () => {},
      workers: 1,
    } as unknown as DatasetContext<never>);
    const r = refs.axes!.r.data as Float64Array;
    const n = r.length;
    // the data: per position Σ_t P_t G_t with random pair fractions (ΣP = 1: with the NMF's shift, exactly rank 3;
    // HALS needs ≈ 2000 sweeps to reach it, 400 leave 12 pp)
    const ny = 4,
      nx = 5;
    const rand = prng(9);
    const P = Array.from({ length: ny * nx }, () => {
      const v = NAMES.map(() => 0.2 + rand());
      const s = v.reduce((a, b) => a + b, 0);
      return v.map((x) => x / s);
    });
    const G = new Float32Array(ny * nx * n);
    P.forEach((p, i) => {
      NAMES.forEach((nm, t) => {
        refs.fields[nm].data.forEach((v, j) => {
          G[i * n + j] += p[t] * v;
        });
      });
    });
    writeNpy(path.join(work, 'gr.npy'), { dtype: 'float32', shape: [ny, nx, n], data: G });
    writeNpy(path.join(work, 'gr.axis.npy'), { dtype: 'float64', shape: [n], data: r });
    const graph = {
      snem: 1,
      name: 'model-refs',
      dataset: { path: path.join(work, 'gr.npy'), kind: 'profiles' },
      nodes: {
        gr: { op: 'source.profiles', params: { xUnit: 'r' } },
        nmf: {
          op: 'decompose.nmf',
          in: { curves: 'gr' },
          params: { components: 3, range: [1.5, 6], maxIter: 2000, tol: 0, physical: [0, 1, 2] },
        },
        refs: { op: 'model.partials', params: { file: 'glass.extxyz', shellCut: 3.9, rmin: 1, rmax: 8 } },
        bonds: {
          op: 'decompose.assign',
          in: { nmf: 'nmf', references: 'refs' },
          params: { range: [1.5, 6], referencesWeighted: true, baseline: 'linear', composition: null },
        },
      },
      outputs: ['bonds', 'refs'],
    };
    const g = path.join(work, 'graph.json');
    fs.writeFileSync(g, JSON.stringify(graph));
    const run = (tag: string) => {
      const out = path.join(work, tag);
      // the model's relative path resolves against the working directory
      const res = spawnSync(
        process.execPath,
        [
          snem,
          'run',
          g,
          '--out',
          out,
          '--quiet',
          '--no-report',
          '--workers',
          '1',
          '--cache',
          path.join(work, 'cache'),
        ],
        { encoding: 'utf8', cwd: work, env: { ...process.env, CI: 'true' } },
      );
      expect(res.status, res.stderr).toBe(0);
      return { out, manifest: JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) };
    };
    const first = run('first');
    let worst = 0;
    for (const [t, nm] of NAMES.entries()) {
      const map = readNpy(path.join(first.out, `bonds.${nm}.npy`)).data;
      P.forEach((p, i) => {
        worst = Math.max(worst, Math.abs(map[i] - 100 * p[t]));
      });
    }
    expect(worst).toBeLessThan(0.5); // percentage points
    expect(first.manifest.nodes.refs.params['file#content']).toMatch(/^xxh64:/);
    // same path, another model: the references and what reads them are recomputed, the NMF is a hit
    fs.writeFileSync(model, toExtendedXyz(randomPacking(1200, 34, 0.5, 4)));
    const second = run('second');
    expect(second.manifest.nodes.refs.status).toBe('computed');
    expect(second.manifest.nodes.bonds.status).toBe('computed');
    expect(second.manifest.nodes.nmf.status).toBe('cached');
  });
});
