/**
 * Outputs declared as data (issue 12): every registered op's declaration is well formed; the
 * engine rejects a result that disagrees with its op's declaration, naming node, op and field;
 * and on a tiny simulated scan every op of the reference graph (plus the ops it does not use,
 * wired onto the same data where they can be) returns exactly what it declares, with the
 * declared units and axes in meta.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  declarationFormProblems,
  declarationProblems,
  declaredOutputs,
  fieldDecl,
} from '../../engine/declared-outputs.ts';
import { checkDeclaredOutputs, OutputDeclarationError } from '../../engine/output-check.ts';
import { loadNodeValue } from '../../engine/results.ts';
import type { Manifest } from '../../engine/run-types.ts';
import { defineOp, type Value } from '../../engine/types.ts';
import { registry } from '../../nodes/registry.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { simulateToDir } from '../../sim/write.ts';

const root = path.resolve(import.meta.dirname, '../..');
const f32 = (shape: number[]) => ({
  dtype: 'float32' as const,
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)),
});

describe('every registered op declares its outputs as data', () => {
  for (const op of registry().values())
    it(op.name, () => {
      expect(declarationFormProblems(op)).toEqual([]);
    });
});

describe("the engine's check of a result against the declaration", () => {
  const op = defineOp({
    name: 'test.declared',
    version: 1,
    scope: 'frame',
    title: 'test',
    description: 'test',
    inputs: {},
    params: {},
    outputs: {
      fields: {
        a: { dims: ['positions'], unit: 'Å', description: 'a' },
        b: { dims: ['positions', 'n'], axis: 'r', description: 'b' },
      },
      axes: { r: { unit: 'Å', description: 'r' } },
    },
    process: () => ({ fields: {} }),
  });
  const node = { id: 'n1', op, params: {} };
  const scan = { ny: 2, nx: 3 };
  const chunk = { index: 0, start: 0, count: 4 };
  const good = (): Value => ({
    fields: { a: f32([4]), b: f32([4, 5]) },
    axes: { r: f32([5]) },
    meta: { units: { a: 'Å', r: 'Å' }, axisOf: { b: 'r' } },
  });
  const problem = (v: Value) => {
    try {
      checkDeclaredOutputs(node, v, scan, chunk);
    } catch (e) {
      expect(e).toBeInstanceOf(OutputDeclarationError);
      expect((e as Error).message).toContain("node 'n1' (op 'test.declared')");
      return (e as Error).message;
    }
    return null;
  };

  it('accepts a result as declared', () => {
    expect(problem(good())).toBeNull();
  });
  it('names an undeclared field', () => {
    const v = good();
    v.fields.c = f32([4]);
    expect(problem(v)).toContain("field 'c' is not declared");
  });
  it('names a missing declared field', () => {
    const v = good();
    delete v.fields.b;
    expect(problem(v)).toContain("declared field 'b' is missing");
  });
  it("names a field whose leading dim is not the chunk's positions", () => {
    const v = good();
    v.fields.a = f32([3]);
    expect(problem(v)).toContain("field 'a': dim 0 (positions) is 3, expected 4");
  });
  it('names a unit other than the declared one', () => {
    const v = good();
    (v.meta!.units as Record<string, string>).a = 'nm';
    expect(problem(v)).toContain(`field 'a': meta unit "nm", declared 'Å'`);
  });
  it('fills meta.units and axisOf from the declaration where the op leaves them out', async () => {
    const filling = defineOp({
      name: 'test.filling',
      version: 1,
      scope: 'frame',
      title: 'test',
      description: 'test',
      inputs: {},
      params: {},
      outputs: op.outputs,
      process: () => ({ fields: { a: f32([4]), b: f32([4, 5]) }, axes: { r: f32([5]) } }),
    });
    const v = await filling.process!({} as never);
    expect(v.meta).toEqual({ units: { a: 'Å', r: 'Å' }, axisOf: { b: 'r' } });
    expect(problem(v)).toBeNull();
  });

  it('a run whose op returns an undeclared field exits 1 naming node, op and field; a clean re-run works', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-declared-'));
    try {
      const graph = path.join(work, 'toy.json');
      fs.copyFileSync(path.join(root, 'test/fixtures/toy-graph.json'), graph);
      const cli = (env: Record<string, string>) =>
        spawnSync(
          process.execPath,
          [
            path.join(root, 'cli/snem.js'),
            'run',
            graph,
            '--quiet',
            '--workers',
            '1',
            '--cache',
            path.join(work, 'cache'),
            '--out',
            path.join(work, 'out'),
          ],
          {
            encoding: 'utf8',
            env: {
              ...process.env,
              SNEM_OPS: path.join(root, 'test/fixtures/toy-ops.ts'),
              CI: 'true',
              ...env,
            },
          },
        );
      const bad = cli({ SNEM_TOY_UNDECLARED: 'scale' });
      expect(bad.status, bad.stderr).toBe(1);
      expect(bad.stderr).toMatch(/node 'scale' \(op 'toy\.scale'\).*field 'z' is not declared/);
      const ok = cli({});
      expect(ok.status, ok.stderr).toBe(0);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * The reference graph on the tiny simulated scan, with nodes added for the ops it does not use
 * (summary.polar, qoi.integral, map.correlate, fit.structure, model.response, calib.fromCrystal).
 */
function extendedGraph(graph: { nodes: Record<string, object>; outputs?: string[] }) {
  graph.nodes.polar = { op: 'summary.polar', in: { frames: 'frames' }, params: { center: [32, 32] } };
  graph.nodes.area = { op: 'qoi.integral', in: { curve: 'pdf.G' }, params: { range: [2.2, 3.2] } };
  graph.nodes.corr = {
    op: 'map.correlate',
    in: { a: 'r1.position', b: 'vdfSum' },
    params: { bins: 8, cuts: [{ row: 3 }] },
  };
  graph.nodes.structure = { op: 'fit.structure', in: { g: 'pdf' }, params: { maxEval: 40 } };
  graph.nodes.response = { op: 'model.response', in: { references: 'modelPartials' }, params: { steps: 3 } };
  graph.nodes.refined = {
    op: 'calib.fromCrystal',
    in: { frames: 'frames', geometry: 'geometry', templates: 'templates', match: 'match' },
    params: { minReliability: 0, minPeak: 1, rounds: 1 },
  };
  graph.outputs = [...(graph.outputs ?? []), 'polar', 'area', 'corr', 'structure', 'response', 'refined'];
  return graph;
}

describe('tiny simulated scan → reference graph: every op returns what it declares', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-declared-run-'));
  let manifest: Manifest;
  let runDir: string;
  const cacheDir = path.join(tmp, 'cache');
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  beforeAll(async () => {
    const data = path.join(tmp, 'data');
    await simulateToDir({ outDir: data, params: resolveSimParams('tiny'), workers: 2 });
    const graphFile = path.join(data, 'graph.json');
    const graph = extendedGraph(JSON.parse(fs.readFileSync(graphFile, 'utf8')));
    fs.writeFileSync(graphFile, JSON.stringify(graph));
    const { runGraph } = await import('../../app/run.ts');
    ({ runDir } = await runGraph({
      graphFile,
      outDir: path.join(tmp, 'run'),
      cacheDir,
      quiet: true,
      noReport: true,
      workers: 2,
    }));
    manifest = JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8'));
  }, 240_000);

  it('covers every registered op but those needing files of their own', () => {
    const ran = new Set(Object.values(manifest.nodes).map((n) => n.op));
    const notRun = [...registry().keys()].filter((o) => !ran.has(o)).sort();
    // model.partials needs an atomic model file, source.profiles a profiles file, source.simulated
    // is a dataset of its own: their declarations are checked above.
    expect(notRun).toEqual(['model.partials', 'source.profiles', 'source.simulated']);
  });

  it('each stored result agrees with its op declaration, read back from the cache', async () => {
    const { ny, nx } = { ny: 8, nx: 16 };
    const problems: string[] = [];
    for (const [id, n] of Object.entries(manifest.nodes)) {
      const op = registry().get(n.op)!;
      if (op.cached === false) continue;
      const decl = declaredOutputs(op, n.params);
      const v = await loadNodeValue(runDir, id, { cacheDir });
      // frame results come back as [ny, nx, ...]: the check wants them stacked along positions
      const value: Value =
        op.scope === 'frame'
          ? {
              ...v,
              fields: Object.fromEntries(
                Object.entries(v.fields).map(([k, a]) => [
                  k,
                  { ...a, shape: [ny * nx, ...a.shape.slice(2)] },
                ]),
              ),
            }
          : v;
      const where = { positions: op.scope === 'frame' ? ny * nx : undefined, ny, nx };
      for (const p of declarationProblems(decl, value, where)) problems.push(`${id} (${n.op}): ${p}`);
      const units = (v.meta?.units ?? {}) as Record<string, string>;
      for (const f of Object.keys(v.fields)) {
        const unit = fieldDecl(decl, f)?.unit;
        if (unit !== undefined && units[f] !== unit) problems.push(`${id}.${f}: unit ${units[f]} ≠ ${unit}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
