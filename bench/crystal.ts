/**
 * crystal.match on one core: Ni (FCC) templates on a 1° grid over the fundamental zone, 144 × 144
 * simulated patterns (Ni grains, glass, inclusions of the demo specimen), CPU time per pattern
 * (process.cpuUsage: what a loaded machine inflates least) for the WebAssembly SIMD scan and the
 * plain JS scan, the template library build, and the same matching written with numpy
 * (bench/crystal_match_numpy.py, run on the same patterns and tables when python3 with numpy is
 * there; its best templates are checked against snem's).
 * Run alone: node --import tsx bench/crystal.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nd } from '../engine/ndarray.ts';
import { writeNpy } from '../formats/npy.ts';
import { electronWavelength } from '../nodes/calib/electron-optics.ts';
import { Matcher, type MatchResult } from '../nodes/crystal/matcher.ts';
import { builtinPhase } from '../nodes/crystal/phase-model.ts';
import { sampleDirections } from '../nodes/crystal/symmetry.ts';
import { reflectionTable, templateSpots } from '../nodes/crystal/templates.ts';
import { resolveSimParams } from '../sim/presets.ts';
import { Renderer, simGeometry } from '../sim/render.ts';
import type { BenchRow } from './types.ts';

function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

export async function bench(opts: { quick?: boolean } = {}): Promise<BenchRow[]> {
  const runs = opts.quick ? 1 : 5;
  const p = resolveSimParams('demo', { ny: opts.quick ? 4 : 12 });
  const r = new Renderer(p);
  const g = simGeometry(p);
  const n = p.ny * p.nx;
  const frames = r.renderRange(0, n);

  let lib!: ConstructorParameters<typeof Matcher>[0];
  const buildMs = cpuMs(() => {
    const ni = builtinPhase('fcc', 3.524, null, ['Ni'], 0.45);
    const inscribed =
      Math.min(g.center[0], g.center[1], p.size - 1 - g.center[0], p.size - 1 - g.center[1]) *
        Math.sqrt(g.ellipse[0]) -
      2;
    const o = {
      wavelength: electronWavelength(200),
      thicknessA: 400,
      precessionRad: Math.PI / 180,
      qMin: 1.5,
      qMax: inscribed * g.qPerPixel,
      maxSpots: 60,
      minRelative: 0.01,
    };
    const table = reflectionTable(ni, o.qMax + 1);
    const dir: number[] = [];
    const start = [0];
    const q: number[] = [];
    const a: number[] = [];
    const i: number[] = [];
    for (const z of sampleDirections('m-3m', 1)) {
      const s = templateSpots(table, z, o);
      dir.push(...z);
      q.push(...s.q);
      a.push(...s.angle);
      i.push(...s.intensity);
      start.push(q.length);
    }
    const T = start.length - 1;
    lib = {
      direction: Float32Array.from(dir),
      phase: new Int32Array(T),
      spotStart: Int32Array.from(start),
      spotQ: Float32Array.from(q),
      spotAngle: Float32Array.from(a),
      spotIntensity: Float32Array.from(i),
      laue: ['m-3m'],
    };
  });
  const geom = {
    cx: g.center[0],
    cy: g.center[1],
    axisRatio: g.ellipse[0],
    angleDeg: g.ellipse[1],
    h: p.size,
    w: p.size,
  };
  const mo = { qPerPixel: g.qPerPixel, nTheta: 360, power: 0.5, minSepDeg: 5 };
  const T = lib.phase.length;
  const res: MatchResult = { template: 0, inplane: 0, correlation: 0, reliability: 0 };
  const npx = p.size * p.size;
  const timeOf = (m: Matcher, out?: Int32Array) => {
    for (let k = 0; k < Math.min(n, 64); k++) m.match(frames, k * npx, 0, res); // warm-up (JIT)
    const t: number[] = [];
    for (let run = 0; run < runs; run++)
      t.push(
        cpuMs(() => {
          for (let k = 0; k < n; k++) {
            m.match(frames, k * npx, 0, res);
            if (out) out[k] = res.template;
          }
        }) / n,
      );
    return median(t);
  };
  const wasm = new Matcher(lib, geom, { ...mo, wasm: true });
  const ours = new Int32Array(n);
  const wasmMs = timeOf(wasm, ours);
  const jsMs = timeOf(new Matcher(lib, geom, { ...mo, wasm: false }));
  // The polar fold alone: in the kernel (what match() uses on uint8 patterns) and polar.ts fold().
  const folder = wasm as unknown as {
    foldInKernel(f: Uint8Array, off: number, shift: number): number | null;
  };
  const ring = new Float32Array(mo.nTheta);
  const foldOut = new Float32Array(wasm.polar.nRings * mo.nTheta + 4);
  const foldMs = (f: (k: number) => void) =>
    median(
      Array.from(
        { length: runs },
        () =>
          cpuMs(() => {
            for (let k = 0; k < n; k++) f(k);
          }) / n,
      ),
    );
  const foldKernelMs = foldMs((k) => folder.foldInKernel(frames, k * npx, 0));
  const foldJsMs = foldMs((k) => wasm.polar.fold(frames, k * npx, 0, mo.power, ring, foldOut));
  const rows: BenchRow[] = [
    {
      name: `crystal.match, FCC Ni 1° grid (${T} templates), 144² patterns, WebAssembly SIMD scan (per pattern, 1 core, CPU)`,
      value: wasmMs,
      unit: 'ms',
      target: '≤ 2 ms',
      note: `median of ${runs} runs × ${n} patterns; paper scan ≈ ${((wasmMs * 38148) / 2000).toFixed(0)} s on 2 cores`,
    },
    {
      name: 'crystal.match, same, plain JS scan',
      value: jsMs,
      unit: 'ms',
      note: `${(jsMs / wasmMs).toFixed(1)}× the SIMD scan`,
    },
    {
      name: 'crystal.match polar fold of one pattern, WebAssembly kernel (1 core, CPU)',
      value: foldKernelMs,
      unit: 'ms',
      note: `polar.ts fold() in JS: ${foldJsMs.toFixed(3)} ms (${(foldJsMs / foldKernelMs).toFixed(1)}×), same bits`,
    },
    {
      name: 'crystal.templates: Ni, 1° grid, kinematic spots with precession',
      value: buildMs,
      unit: 'ms',
      note: `${T} templates, ${lib.spotQ.length} spots, CPU`,
    },
  ];

  // The numpy reference on the same patterns and tables.
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crystal_match_numpy.py');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-crystal-'));
  try {
    const pt = wasm.polar.table();
    const cells = wasm.cells();
    writeNpy(path.join(dir, 'frames.npy'), nd(frames.subarray(0, n * npx), [n, p.size, p.size]));
    writeNpy(path.join(dir, 'idx.npy'), nd(pt.idx, [pt.idx.length]));
    writeNpy(path.join(dir, 'fx.npy'), nd(pt.fx, [pt.fx.length]));
    writeNpy(path.join(dir, 'fy.npy'), nd(pt.fy, [pt.fy.length]));
    writeNpy(path.join(dir, 'start.npy'), nd(cells.start, [cells.start.length]));
    writeNpy(path.join(dir, 'off.npy'), nd(cells.off, [cells.off.length]));
    writeNpy(path.join(dir, 'wt.npy'), nd(cells.wt, [cells.wt.length]));
    fs.writeFileSync(
      path.join(dir, 'meta.json'),
      JSON.stringify({ nRings: wasm.polar.nRings, nTheta: 360, w: p.size, power: 0.5 }),
    );
    const py = spawnSync('python3', [script, dir], {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    });
    if (py.status === 0) {
      const out = JSON.parse(py.stdout) as { msPerPattern: number; numpy: string; bestTemplate: number[] };
      const same = out.bestTemplate.filter((t, k) => t === ours[k]).length / n;
      rows.push({
        name: 'the same matching in numpy (bench/crystal_match_numpy.py, per pattern, 1 core, CPU)',
        value: out.msPerPattern,
        unit: 'ms',
        note: `numpy ${out.numpy}; ${(out.msPerPattern / wasmMs).toFixed(1)}× snem's; best template identical on ${(100 * same).toFixed(1)} % of patterns`,
      });
    } else
      rows.push({
        name: 'the same matching in numpy',
        value: Number.NaN,
        unit: 'ms',
        note: `not run: ${(py.stderr || String(py.error)).trim().split('\n').pop()}`,
      });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const row of await bench({ quick: process.argv.includes('--quick') }))
    console.log(
      `${row.name}: ${Number.isFinite(row.value) ? row.value.toFixed(3) : 'n/a'} ${row.unit}${row.note ? ` (${row.note})` : ''}`,
    );
}
