/**
 * The engine's promises, through the real CLI in child processes with toy ops (test/fixtures):
 * exact recomputation sets, early cutoff, op-version invalidation, resume after SIGKILL,
 * corruption detection, concurrent runs, and bad graphs.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { open } from 'lmdb';
import { readNpy } from '../../formats/npy.ts';
import type { PlanEntry } from '../../engine/plan.ts';
import type { ManifestNode } from '../../engine/run-types.ts';

const root = path.resolve(__dirname, '../..');
const snem = path.join(root, 'cli/snem.js');
const toyOps = path.join(root, 'test/fixtures/toy-ops.ts');
const toyGraph = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/toy-graph.json'), 'utf8'));

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-engine-'));
});

function writeGraph(name: string, g: object): string {
  const f = path.join(work, `${name}.json`);
  fs.writeFileSync(f, JSON.stringify(g));
  return f;
}

interface Res {
  code: number | null;
  stdout: string;
  stderr: string;
  counts: Record<string, number>;
}

function cli(args: string[], opts: { cache: string; env?: Record<string, string> }): Res {
  const countsFile = path.join(work, `counts-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(process.execPath, [snem, ...args, '--cache', opts.cache], {
    encoding: 'utf8',
    env: { ...process.env, SNEM_OPS: toyOps, SNEM_TOY_COUNTS: countsFile, CI: 'true', ...opts.env },
  });
  const counts: Record<string, number> = {};
  if (fs.existsSync(countsFile))
    for (const l of fs.readFileSync(countsFile, 'utf8').split('\n').filter(Boolean))
      counts[l] = (counts[l] ?? 0) + 1;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, counts };
}

function run(graph: string, cache: string, extra: string[] = [], env?: Record<string, string>) {
  const out = path.join(work, `run-${Math.random().toString(36).slice(2)}`);
  const workers = extra.includes('--workers') ? [] : ['--workers', '1'];
  const r = cli(['run', graph, '--out', out, '--quiet', ...workers, ...extra], { cache, env });
  return {
    ...r,
    out,
    manifest: r.code === 0 ? JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) : null,
  };
}

describe('recomputation and early cutoff', () => {
  it('a downstream param change recomputes exactly that node and its descendants', () => {
    const cache = path.join(work, 'c1');
    const g = writeGraph('g1', toyGraph);
    const first = run(g, cache);
    expect(first.code, first.stderr).toBe(0);
    expect(first.counts).toEqual({ src: 4, scale: 4, sum: 4, mean: 1 });
    const again = run(g, cache);
    expect(again.counts).toEqual({});
    expect(Object.values(again.manifest.nodes).map((n) => (n as ManifestNode).status)).not.toContain(
      'computed',
    );
    const changed = run(g, cache, ['--set', 'sum.offset=1']);
    // src is re-read (uncached source) only to feed nothing: scale is a hit, so src is not even read.
    expect(changed.counts).toEqual({ sum: 4, mean: 1 });
    expect(changed.manifest.nodes.sum.status).toBe('computed');
    expect(changed.manifest.nodes.scale.status).toBe('cached');
    expect(changed.manifest.nodes.sum.overrides).toEqual(['offset']);
    expect(changed.manifest.overrides).toEqual(['sum.offset=1']);
  });

  it('--no-report writes results and manifest but no report; the default writes report.html', () => {
    const cache = path.join(work, 'c-report');
    const g = writeGraph('g-report', toyGraph);
    const bare = run(g, cache, ['--no-report']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(fs.existsSync(path.join(bare.out, 'report.html'))).toBe(false);
    expect(fs.readdirSync(bare.out).some((f) => f.endsWith('.npy'))).toBe(true);
    const full = run(g, cache);
    expect(full.code, full.stderr).toBe(0);
    expect(fs.existsSync(path.join(full.out, 'report.html'))).toBe(true);
  });

  it('an upstream change that reproduces its value stops there (early cutoff)', () => {
    const cache = path.join(work, 'c2');
    const g = writeGraph('g2', toyGraph);
    expect(run(g, cache).code).toBe(0);
    // gain 2 → 2.0001 with quantum 1: every rounded value is unchanged.
    const r = run(g, cache, ['--set', 'scale.gain=2.0001']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.counts).toEqual({ src: 4, scale: 4 });
    expect(r.manifest.nodes.scale.status).toBe('computed');
    expect(r.manifest.nodes.sum.status).toBe('cutoff');
    expect(r.manifest.nodes.mean.status).toBe('cutoff');
  });

  it('a new op version invalidates that op and what depends on it', () => {
    const cache = path.join(work, 'c3');
    const g = writeGraph('g3', toyGraph);
    expect(run(g, cache).code).toBe(0);
    const r = run(g, cache, [], { SNEM_TOY_SCALE_VERSION: '2' });
    expect(r.counts.scale).toBe(4);
    const plan = cli(['plan', g, '--json'], { cache, env: { SNEM_TOY_SCALE_VERSION: '3' } });
    const entry = JSON.parse(plan.stdout).entries.find((e: PlanEntry) => e.node === 'scale');
    expect(entry.status).toBe('will run');
    expect(entry.why).toMatch(/op version 2 → 3/);
  });

  it('a per-position node after a dataset node runs in a second pass over the same source', () => {
    const cache = path.join(work, 'c8');
    const g2 = structuredClone(toyGraph);
    g2.nodes.centred = { op: 'toy.centre', in: { in: 'src', ref: 'mean' } };
    g2.outputs = ['centred', 'mean'];
    const g = writeGraph('g8', g2);
    const r = cli(['run', g, '--out', path.join(work, 'run-c8'), '--quiet', '--workers', '2'], { cache });
    const out = path.join(work, 'run-c8');
    expect(r.code, r.stderr).toBe(0);
    const mean = readNpy(path.join(out, 'mean.npy')).data[0];
    const c = readNpy(path.join(out, 'centred.npy'));
    expect(c.shape).toEqual([8, 8, 4]);
    // position 9, element 2: src = 9·3.
    expect(c.data[9 * 4 + 2]).toBeCloseTo(27 - mean, 4);
    expect(r.counts.centred).toBe(4);
  });

  it('plan names the param that changed and computes nothing', () => {
    const cache = path.join(work, 'c4');
    const g = writeGraph('g4', toyGraph);
    expect(run(g, cache).code).toBe(0);
    const p = cli(['plan', g, '--json', '--set', 'sum.offset=5'], { cache });
    expect(p.code, p.stderr).toBe(0);
    const plan = JSON.parse(p.stdout);
    const by = Object.fromEntries(plan.entries.map((e: PlanEntry) => [e.node, e]));
    expect(by.scale.status).toBe('cached');
    expect(by.sum.status).toBe('will run');
    expect(by.sum.why).toMatch(/param offset: 0 → 5/);
    expect(by.mean.why).toMatch(/input 'sum' will be recomputed/);
    expect(p.counts).toEqual({});
  });
});

describe('files named by params are part of the key', () => {
  function weightsGraph(weightsFile: string) {
    return {
      ...toyGraph,
      nodes: {
        src: toyGraph.nodes.src,
        weighted: { op: 'toy.weights', in: { in: 'src' }, params: { weightsFile } },
        sum: { op: 'toy.sum', in: { in: 'weighted' } },
      },
      outputs: ['sum'],
    };
  }

  it('editing the file recomputes its node and what follows; an unchanged file is a hit, in workers too', () => {
    const cache = path.join(work, 'cf');
    const wf = path.join(work, 'weights.json');
    fs.writeFileSync(wf, '[1, 1, 1, 1]');
    const g = writeGraph('gf', weightsGraph(wf));
    const first = run(g, cache, ['--workers', '2']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.counts).toEqual({ src: 4, weighted: 4, sum: 4 });
    expect(first.manifest.nodes.weighted.params['weightsFile#content']).toMatch(/^xxh64:[0-9a-f]{16}$/);
    expect(run(g, cache, ['--workers', '2']).counts).toEqual({});
    // Same path, new content: the path string alone would have served the stale result.
    fs.writeFileSync(wf, '[1, 2, 1, 1]');
    const p = cli(['plan', g, '--json'], { cache });
    const by = Object.fromEntries(JSON.parse(p.stdout).entries.map((e: PlanEntry) => [e.node, e]));
    expect(by.weighted.status).toBe('will run');
    expect(by.weighted.why).toMatch(/the file named by param weightsFile changed/);
    const second = run(g, cache, ['--workers', '2']);
    expect(second.counts).toEqual({ src: 4, weighted: 4, sum: 4 });
    // Position 5: src = 5·(1, 2, 3, 4), weights (1, 2, 1, 1) → 5 + 20 + 15 + 20.
    expect(readNpy(path.join(second.out, 'sum.npy')).data[5]).toBeCloseTo(60, 4);
    // snem report compares params with the run's: the engine's content hash is not a user param.
    const redraw = spawnSync(process.execPath, [snem, 'report', second.out, '--graph', g], {
      encoding: 'utf8',
      env: { ...process.env, SNEM_OPS: toyOps, CI: 'true' },
    });
    expect(redraw.status, redraw.stderr).toBe(0);
  });

  it('a missing file stops the run naming node, param and where it looked; nothing is computed', () => {
    const cache = path.join(work, 'cf2');
    const g = writeGraph('gf2', weightsGraph('no-such-weights.json'));
    const r = run(g, cache);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /node 'weighted', param 'weightsFile': no such file: no-such-weights.json \(looked in /,
    );
    expect(r.counts).toEqual({});
  });
});

describe('interruption, corruption, concurrency', () => {
  it('a run killed with SIGKILL resumes from its finished chunks with identical results', async () => {
    const cache = path.join(work, 'c5');
    const slow = structuredClone(toyGraph);
    slow.nodes.scale.params.slowMs = 150;
    const g = writeGraph('g5', slow);
    const countsFile = path.join(work, 'kill-counts.txt');
    const child = spawn(
      process.execPath,
      [
        snem,
        'run',
        g,
        '--cache',
        cache,
        '--out',
        path.join(work, 'killed'),
        '--quiet',
        '--workers',
        '1',
        '--chunk-size',
        '4',
      ],
      {
        env: { ...process.env, SNEM_OPS: toyOps, SNEM_TOY_COUNTS: countsFile, CI: 'true' },
        stdio: 'ignore',
      },
    );
    const scaleDone = () =>
      fs.existsSync(countsFile)
        ? fs
            .readFileSync(countsFile, 'utf8')
            .split('\n')
            .filter((l) => l === 'scale').length
        : 0;
    while (scaleDone() < 5) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = scaleDone(); // chunks started; the last one may not have been stored
    expect(before).toBeLessThan(16);
    const resumed = run(g, cache, ['--chunk-size', '4']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.counts.scale).toBeGreaterThanOrEqual(16 - before);
    expect(resumed.counts.scale).toBeLessThanOrEqual(16 - before + 1);
    const clean = run(g, path.join(work, 'c5-clean'), ['--chunk-size', '4']);
    for (const f of ['sum.npy', 'scale.npy', 'mean.npy']) {
      expect(Array.from(readNpy(path.join(resumed.out, f)).data)).toEqual(
        Array.from(readNpy(path.join(clean.out, f)).data),
      );
    }
  });

  it('cache verify finds a corrupted blob and the next run recomputes it', async () => {
    const cache = path.join(work, 'c6');
    const g = writeGraph('g6', toyGraph);
    const first = run(g, cache);
    expect(first.code).toBe(0);
    const sumChunkKeys: string[] = [];
    {
      const env = open({ path: path.join(cache, 'cache.lmdb'), compression: false, maxDbs: 12 });
      const actions = env.openDB<{ node: string; v: string }, string>({
        name: 'actions',
        encoding: 'msgpack',
      });
      const blobs = env.openDB<Buffer, string>({ name: 'blobs', encoding: 'binary' });
      for (const { value } of actions.getRange()) if (value.node === 'sum') sumChunkKeys.push(value.v);
      const victim = sumChunkKeys[1];
      const bytes = Buffer.from(blobs.getBinary(victim)!);
      bytes[bytes.length - 1] ^= 0xff;
      await blobs.put(victim, bytes);
      await env.close();
    }
    const v = cli(['cache', 'verify', '--json'], { cache });
    expect(JSON.parse(v.stdout).corrupt).toEqual([sumChunkKeys[1]]);
    const again = run(g, cache);
    expect(again.code, again.stderr).toBe(0);
    expect(again.counts.sum).toBe(1);
    expect(Array.from(readNpy(path.join(again.out, 'sum.npy')).data)).toEqual(
      Array.from(readNpy(path.join(first.out, 'sum.npy')).data),
    );
    expect(JSON.parse(cli(['cache', 'verify', '--json'], { cache }).stdout).corrupt).toEqual([]);
  });

  it('two concurrent runs on one cache both succeed, agree, and do not duplicate work silently', async () => {
    const cache = path.join(work, 'c7');
    const slow = structuredClone(toyGraph);
    slow.nodes.scale.params.slowMs = 60;
    const g = writeGraph('g7', slow);
    const start = (tag: string) => {
      const countsFile = path.join(work, `conc-${tag}.txt`);
      const out = path.join(work, `conc-${tag}`);
      const p = spawn(
        process.execPath,
        [snem, 'run', g, '--cache', cache, '--out', out, '--quiet', '--workers', '1', '--chunk-size', '4'],
        {
          env: { ...process.env, SNEM_OPS: toyOps, SNEM_TOY_COUNTS: countsFile, CI: 'true' },
          stdio: 'ignore',
        },
      );
      return new Promise<{ code: number | null; out: string; scale: number }>((resolve) =>
        p.once('exit', (code) =>
          resolve({
            code,
            out,
            scale: fs.existsSync(countsFile)
              ? fs
                  .readFileSync(countsFile, 'utf8')
                  .split('\n')
                  .filter((l) => l === 'scale').length
              : 0,
          }),
        ),
      );
    };
    const [a, b] = await Promise.all([start('a'), start('b')]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    // 16 chunks in all: leases make the two runs share them instead of both computing all 16, and a
    // run that gets a chunk's lease after the other stored it takes that result: none is computed twice.
    expect(a.scale + b.scale).toBe(16);
    expect(Array.from(readNpy(path.join(a.out, 'sum.npy')).data)).toEqual(
      Array.from(readNpy(path.join(b.out, 'sum.npy')).data),
    );
  });
});

describe('bad graphs exit 1 with the node and field named', () => {
  const cases: [string, (g: any) => void, RegExp][] = [
    [
      'unknown op',
      (g) => (g.nodes.sum.op = 'toy.summ'),
      /node 'sum', field 'op': unknown op 'toy.summ' \(did you mean 'toy.sum'\?\)/,
    ],
    [
      'unknown input port',
      (g) => (g.nodes.sum.in = { inp: 'scale' }),
      /node 'sum', field 'in.inp': op 'toy.sum' has no input port 'inp'/,
    ],
    ['missing input', (g) => delete g.nodes.sum.in, /node 'sum', field 'in.in': missing input/],
    [
      'input naming no node',
      (g) => (g.nodes.sum.in = { in: 'scal' }),
      /node 'sum', field 'in.in': no node 'scal'/,
    ],
    [
      'wrong param type',
      (g) => (g.nodes.scale.params.gain = 'two'),
      /node 'scale', param 'gain': expected a number, got "two"/,
    ],
    [
      'out-of-range value',
      (g) => (g.nodes.scale.params.quantum = 0),
      /node 'scale', param 'quantum': expected a number > 0/,
    ],
    [
      'unknown param',
      (g) => (g.nodes.scale.params.gian = 1),
      /node 'scale', param 'gian': op 'toy.scale' has no such param/,
    ],
    [
      'cycle',
      (g) => (g.nodes.scale.in = { in: 'sum' }),
      /'scale' → 'sum' → 'scale'|'sum' → 'scale' → 'sum'.*cycle/,
    ],
    ['dangling output', (g) => g.outputs.push('nothere'), /field 'outputs\[3\]': no node 'nothere'/],
    [
      'scope mismatch',
      (g) => (g.nodes.sum.in = { in: 'mean' }),
      /node 'sum', field 'in.in': expects a per-position \(frame\) result, but 'mean' \(toy.mean\) is dataset-level/,
    ],
    [
      'schema violation',
      (g) => (g.nodes.sum.extra = 1),
      /node 'sum', field '\(node\)': unknown field 'extra'|unknown field 'extra'/,
    ],
  ];
  for (const [name, mutate, re] of cases) {
    it(name, () => {
      const g = structuredClone(toyGraph);
      mutate(g);
      const f = writeGraph(`bad-${name.replace(/\W/g, '_')}`, g);
      const cache = path.join(work, 'bad-cache');
      const v = cli(['validate', f], { cache });
      expect(v.code).toBe(1);
      expect(v.stderr).toMatch(re);
      const r = cli(['run', f, '--quiet', '--out', path.join(work, 'bad-out')], { cache });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.counts).toEqual({});
    });
  }

  it('an unparseable graph file and a missing one are named', () => {
    const f = path.join(work, 'broken.json');
    fs.writeFileSync(f, '{"snem": 1, "nodes": {');
    const r = cli(['validate', f], { cache: path.join(work, 'bad-cache') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.json: not valid JSON/);
    const m = cli(['validate', path.join(work, 'nope.json')], { cache: path.join(work, 'bad-cache') });
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/nope\.json: no such graph file/);
  });
});
