/**
 * Node `display` settings: validated like every other field (one message naming node and field),
 * never part of a node key (a display-only edit plans all cached and computes nothing, while the
 * figures follow it), and `snem report` redraws a run with new settings, refusing a graph whose
 * results would differ. Toy ops (test/fixtures) through the real CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveGraph, type GraphDoc } from '../../engine/graph.ts';
import type { ManifestNode } from '../../engine/run-types.ts';
import { buildRegistry, registerOps, registry } from '../../nodes/registry.ts';
import { rerenderRun } from '../../app/rerender.ts';
import { displayCheck } from '../../viz/display-check.ts';
import { readPngText } from '../../viz/png.ts';
import { ops as toyOps } from '../fixtures/toy-ops.ts';

const root = path.resolve(__dirname, '../..');
const snem = path.join(root, 'cli/snem.js');
const toyOpsFile = path.join(root, 'test/fixtures/toy-ops.ts');
const toyGraph: GraphDoc = JSON.parse(
  fs.readFileSync(path.join(root, 'test/fixtures/toy-graph.json'), 'utf8'),
);
const reg = buildRegistry([...registry().values(), ...toyOps]);

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-display-'));
});

function graphWith(display: Record<string, unknown>): GraphDoc {
  const g = structuredClone(toyGraph);
  for (const [node, d] of Object.entries(display)) (g.nodes[node] as Record<string, unknown>).display = d;
  return g;
}

function write(name: string, g: object): string {
  const f = path.join(work, `${name}.json`);
  fs.writeFileSync(f, JSON.stringify(g));
  return f;
}

function cli(args: string[], cache?: string) {
  const counts = path.join(work, `counts-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(process.execPath, [snem, ...args, ...(cache ? ['--cache', cache] : [])], {
    encoding: 'utf8',
    cwd: work,
    env: { ...process.env, SNEM_OPS: toyOpsFile, SNEM_TOY_COUNTS: counts, CI: 'true' },
  });
  const computed = fs.existsSync(counts) ? fs.readFileSync(counts, 'utf8').split('\n').filter(Boolean) : [];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, computed };
}

const manifestOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const pngFigure = (file: string) => JSON.parse(readPngText(fs.readFileSync(file))['snem:provenance']).figure;

describe('validation of display settings', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      'unknown colormap, with a suggestion',
      { sum: { colormap: 'magam' } },
      /node 'sum', field 'display.colormap': unknown colormap 'magam' \(did you mean 'magma'\?\); expected one of viridis, magma/,
    ],
    [
      'limits not increasing',
      { sum: { limits: [3.1, 2.8] } },
      /node 'sum', field 'display.limits': expected \[lo, hi\] with lo < hi .*got \[3.1, 2.8\]/,
    ],
    [
      'limits of the wrong length',
      { sum: { limits: [1] } },
      /node 'sum', field 'display.limits': must NOT have fewer than 2 items/,
    ],
    [
      'limits of the wrong type',
      { sum: { limits: ['low', 2] } },
      /node 'sum', field 'display.limits.0': must be number/,
    ],
    [
      'percentiles out of order',
      { sum: { percentiles: [99, 1] } },
      /node 'sum', field 'display.percentiles': expected \[plo, phi\] with 0 ≤ plo < phi ≤ 100/,
    ],
    [
      'percentiles above 100',
      { sum: { fields: { s: { percentiles: [1, 101] } } } },
      /node 'sum', field 'display.fields.s.percentiles.1': must be <= 100/,
    ],
    [
      'symmetric with off-centre limits',
      { sum: { symmetric: true, limits: [0, 2] } },
      /node 'sum', field 'display.limits': \[0, 2\] is not centred on 0 but symmetric is true/,
    ],
    [
      'symmetric of the wrong type',
      { sum: { symmetric: 'yes' } },
      /node 'sum', field 'display.symmetric': must be boolean/,
    ],
    [
      'unknown field name',
      { sum: { fields: { total: { colormap: 'gray' } } } },
      /node 'sum', field 'display.fields.total': op 'toy.sum' has no field 'total'; its fields: s/,
    ],
    [
      'unknown display key',
      { sum: { colour: 'gray' } },
      /node 'sum', field 'display': unknown field 'colour'/,
    ],
    [
      'bad colormap of a field',
      { scale: { fields: { y: { colormap: 'rdbu' } } } },
      /node 'scale', field 'display.fields.y.colormap': unknown colormap 'rdbu' \(did you mean 'RdBu'\?\)/,
    ],
  ];
  for (const [name, display, re] of cases) {
    it(name, () => {
      expect(() => resolveGraph(graphWith(display), { registry: reg, nodeChecks: [displayCheck] })).toThrow(
        re,
      );
    });
  }

  it('good settings pass; settings on a node that is not an output get a note', () => {
    const g = resolveGraph(
      graphWith({
        sum: {
          colormap: 'RdBu',
          limits: [-1, 1],
          symmetric: true,
          label: 'Σ',
          fields: { s: { percentiles: [2, 98] } },
        },
        src: { colormap: 'gray' },
      }),
      { registry: reg },
    );
    expect(g.warnings).toContain(
      `node 'src' has display settings but is not in "outputs": no figure shows it`,
    );
  });

  it('snem validate and snem run exit 1 with the message, computing nothing', () => {
    const f = write('bad-display', graphWith({ sum: { colormap: 'viridus' } }));
    for (const args of [
      ['validate', f],
      ['run', f, '--quiet', '--out', path.join(work, 'bad-out')],
    ]) {
      const r = cli(args, path.join(work, 'bad-cache'));
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr).toMatch(
        /node 'sum', field 'display.colormap': unknown colormap 'viridus' \(did you mean 'viridis'\?\)/,
      );
      expect(r.computed).toEqual([]);
    }
  });
});

describe('display settings are presentation only', () => {
  let cache: string;
  let first: string;
  beforeAll(() => {
    cache = path.join(work, 'cache');
    first = path.join(work, 'run1');
    const r = cli(['run', write('plain', toyGraph), '--out', first, '--quiet', '--workers', '1'], cache);
    expect(r.code, r.stderr).toBe(0);
  });

  it('a display-only edit plans everything cached, recomputes nothing, and the figures follow it', () => {
    const g = write(
      'styled',
      graphWith({ sum: { colormap: 'magma', limits: [10, 200], label: 'Sum of x' } }),
    );
    const plan = cli(['plan', g, '--json'], cache);
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).entries.map((e: { status: string }) => e.status)).toEqual([
      'cached',
      'cached',
      'cached',
      'cached',
    ]);
    const out = path.join(work, 'run2');
    const r = cli(['run', g, '--out', out, '--quiet', '--workers', '1'], cache);
    expect(r.code, r.stderr).toBe(0);
    expect(r.computed).toEqual([]);
    const m = manifestOf(out);
    const m1 = manifestOf(first);
    expect(Object.values(m.nodes).map((n) => (n as ManifestNode).status)).not.toContain('computed');
    for (const id of Object.keys(m1.nodes)) expect(m.nodes[id].key, id).toBe(m1.nodes[id].key);
    expect(m.graphHash).toBe(m1.graphHash);
    expect(m.figures).toEqual([
      expect.objectContaining({
        file: 'sum.png',
        node: 'sum',
        field: 's',
        colormap: 'magma',
        limits: [10, 200],
        limitsFrom: 'display.limits',
        label: 'Sum of x',
      }),
    ]);
    expect(m.graph.nodes.sum.display).toEqual({ colormap: 'magma', limits: [10, 200], label: 'Sum of x' });
    expect(pngFigure(path.join(out, 'sum.png'))).toMatchObject({ colormap: 'magma', limits: [10, 200] });
    expect(pngFigure(path.join(first, 'sum.png'))).toMatchObject({
      colormap: 'viridis',
      limitsFrom: 'percentiles 1–99',
    });
  });

  it('snem report redraws a run with the new limits, with no cache, and refuses a graph with other params', async () => {
    const dir = path.join(work, 'run-copy');
    fs.cpSync(first, dir, { recursive: true });
    const before = fs.readFileSync(path.join(dir, 'sum.npy'));
    const g = write('styled2', graphWith({ sum: { colormap: 'cividis', limits: [0, 100] } }));
    const r = cli(['report', dir, '--graph', g]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sum\.png +sum\.s: cividis, 0 … 100 \(display\.limits\)/);
    expect(r.computed).toEqual([]);
    expect(fs.existsSync(path.join(work, '.snem-cache'))).toBe(false); // no cache opened or created
    expect(pngFigure(path.join(dir, 'sum.png'))).toMatchObject({ colormap: 'cividis', limits: [0, 100] });
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('limits <code>0 … 100</code>');
    const m = manifestOf(dir);
    expect(m.figures[0]).toMatchObject({ colormap: 'cividis', limits: [0, 100] });
    expect(m.rendered).toMatchObject({ by: 'report', graphFile: g });
    expect(m.graph.nodes.sum.display).toEqual({ colormap: 'cividis', limits: [0, 100] });
    expect(fs.readFileSync(path.join(dir, 'sum.npy')).equals(before)).toBe(true);

    // The rest in-process (same code as the command): again from the run's own, now updated, graph.
    registerOps(toyOps);
    await rerenderRun(dir);
    expect(pngFigure(path.join(dir, 'sum.png'))).toMatchObject({ colormap: 'cividis', limits: [0, 100] });

    const changed = graphWith({ sum: { colormap: 'gray' } }) as GraphDoc & { nodes: Record<string, any> };
    changed.nodes.scale.params.gain = 3;
    const changedFile = write('changed', changed);
    await expect(rerenderRun(dir, { graphFile: changedFile })).rejects.toThrow(
      /describes other results than run .*node 'scale', param 'gain': 2 in the run, 3 in .*only "display" settings may differ/,
    );
    expect(pngFigure(path.join(dir, 'sum.png'))).toMatchObject({ colormap: 'cividis' });
    const extra = structuredClone(changed);
    extra.outputs = ['sum'];
    await expect(
      rerenderRun(dir, { graphFile: write('fewer-outputs', extra), sets: ['scale.gain=2'] }),
    ).rejects.toThrow(/outputs \["mean","scale","sum"\] in the run, \["sum"\]/);
    // The run's --set overrides make the params match; a param the op gained after the run, at its default, is no difference.
    const m2 = manifestOf(dir);
    delete m2.nodes.sum.params.offset;
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m2));
    await rerenderRun(dir, { graphFile: changedFile, sets: ['scale.gain=2'] });
    expect(pngFigure(path.join(dir, 'sum.png'))).toMatchObject({ colormap: 'gray' });
    await expect(
      rerenderRun(dir, { graphFile: changedFile, sets: ['scale.gain=2', 'sum.offset=1'] }),
    ).rejects.toThrow(/node 'sum', param 'offset': \(not set\) in the run, 1 in/);
  });
});
