/**
 * crystal.phase → crystal.templates → crystal.match through the engine on simulated patterns (the
 * issue's graph fragment as written, geometry from the simulator's meta.json), scored against the
 * simulator's orientation truth; and the bad-input messages.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGraph } from '../../app/run.ts';
import { readNpy } from '../../formats/npy.ts';
import {
  bungeEuler,
  bungeMatrix,
  misorientation,
  mul,
  orientationMatrix,
  rotationGroup,
  transpose,
} from '../../nodes/crystal/symmetry.ts';
import { compareCrystal } from '../../sim/crystal-compare.ts';
import { resolveSimParams } from '../../sim/presets.ts';
import { simulateToDir } from '../../sim/write.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-crystal-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const data = path.join(tmp, 'data');

/** The fragment, verbatim, plus source and outputs. */
function fragmentGraph(dataset: string, extra: Record<string, unknown> = {}) {
  return {
    snem: 1,
    name: 'crystal-fragment',
    dataset: { path: dataset },
    nodes: {
      frames: { op: 'source.frames' },
      geom: { op: 'calib.geometry', in: { frames: 'frames' } },
      phase: { op: 'crystal.phase', params: { lattice: 'fcc', a: 3.524, elements: ['Ni'] } },
      templates: { op: 'crystal.templates', in: { phase: 'phase', geometry: 'geom' }, params: { step: 1 } },
      match: { op: 'crystal.match', in: { frames: 'frames', geometry: 'geom', templates: 'templates' } },
      ...extra,
    },
    outputs: ['match', ...Object.keys(extra)],
  };
}

describe('crystal.match on simulated Ni / glass patterns', () => {
  let runDir = '';
  beforeAll(async () => {
    // 6 × 48 positions of the demo specimen: Ni grains at both edges, glass and an inclusion between.
    await simulateToDir({ outDir: data, params: resolveSimParams('demo', { ny: 6 }), workers: 2 });
    ({ runDir } = await runGraph({
      graph: fragmentGraph(path.join(data, 'frames.npy'), {
        orientation: { op: 'map.orientation', in: { match: 'match' } },
        notNi: { op: 'map.threshold', in: { map: 'orientation.glass' }, params: { above: 0.5 } },
      }) as never,
      outDir: path.join(tmp, 'run'),
      cacheDir: path.join(tmp, 'cache'),
      quiet: true,
      noReport: true,
      workers: 2,
    }));
  }, 240_000);

  it('writes match.zoneAxis, match.phase, match.reliability as the issue names them', () => {
    const z = readNpy(path.join(runDir, 'match.zoneAxis.npy'));
    expect(z.shape).toEqual([6, 48, 3]);
    expect(readNpy(path.join(runDir, 'match.phase.npy')).shape).toEqual([6, 48]);
    expect(readNpy(path.join(runDir, 'match.reliability.npy')).shape).toEqual([6, 48]);
    expect(readNpy(path.join(runDir, 'match.euler.npy')).shape).toEqual([6, 48, 3]);
  });

  it('recovers beam direction and in-plane angle of ≥ 90 % of Ni positions, and the Ni phase map', () => {
    const rows = compareCrystal(runDir, data);
    const v = (n: string) => rows.find((r) => r.name.startsWith(n))!.value;
    expect(v('Ni beam direction')).toBeGreaterThanOrEqual(0.9);
    expect(v('Ni orientation')).toBeGreaterThanOrEqual(0.9);
    expect(v('Ni phase map IoU')).toBeGreaterThanOrEqual(0.95);
  });

  it('map.orientation: IPF colours in [0, 1] on crystals, a glass mask that map.threshold accepts and that matches the truth', () => {
    const ipf = readNpy(path.join(runDir, 'orientation.ipf.npy'));
    expect(ipf.shape).toEqual([6, 48, 3]);
    const phase = readNpy(path.join(runDir, 'match.phase.npy')).data as Float32Array;
    const truth = readNpy(path.join(data, 'truth', 'phase.npy')).data as Float32Array;
    const kept = readNpy(path.join(runDir, 'notNi.npy')).data as Uint8Array;
    let agree = 0;
    for (let i = 0; i < phase.length; i++) {
      const rgb = [0, 1, 2].map((k) => ipf.data[3 * i + k]);
      if (phase[i] >= 0)
        for (const v of rgb) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
      else for (const v of rgb) expect(Number.isNaN(v)).toBe(true);
      if (!!kept[i] === (truth[i] !== 0)) agree++;
    }
    expect(agree / phase.length).toBeGreaterThan(0.97);
  });

  it('Euler angles describe the same orientation as zoneAxis + inplaneDeg', () => {
    const e = readNpy(path.join(runDir, 'match.euler.npy')).data as Float32Array;
    const z = readNpy(path.join(runDir, 'match.zoneAxis.npy')).data as Float32Array;
    const a = readNpy(path.join(runDir, 'match.inplaneDeg.npy')).data as Float32Array;
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) continue;
      n++;
      const r = orientationMatrix([z[3 * i], z[3 * i + 1], z[3 * i + 2]], (a[i] * Math.PI) / 180);
      const g = bungeMatrix(
        ...([0, 1, 2].map((k) => (e[3 * i + k] * Math.PI) / 180) as [number, number, number]),
      );
      // g = Rᵀ: g·R = identity (within float32 rounding of the stored angles).
      const id = mul(g, r);
      for (let k = 0; k < 9; k++) expect(id[k]).toBeCloseTo(k % 4 === 0 ? 1 : 0, 4);
    }
    expect(n).toBeGreaterThan(30);
  });
});

describe('crystal.match refine', () => {
  it('moves beam directions towards the true zone axes (median error down) and keeps the accuracy', async () => {
    const { directionAngle, rotationGroup } = await import('../../nodes/crystal/symmetry.ts');
    const g = fragmentGraph(path.join(data, 'frames.npy'));
    const coarse = await runGraph({
      graph: g as never,
      outDir: path.join(tmp, 'run-coarse'),
      cacheDir: path.join(tmp, 'cache'),
      quiet: true,
      noReport: true,
      workers: 2,
    });
    (g.nodes.match as { params?: unknown }).params = { refine: true };
    const fine = await runGraph({
      graph: g as never,
      outDir: path.join(tmp, 'run-refine'),
      cacheDir: path.join(tmp, 'cache'),
      quiet: true,
      noReport: true,
      workers: 2,
    });
    const truth = readNpy(path.join(data, 'truth', 'zone_axis.npy')).data as Float32Array;
    const phase = readNpy(path.join(data, 'truth', 'phase.npy')).data as Float32Array;
    const group = rotationGroup('m-3m');
    const medianError = (runDir: string) => {
      const z = readNpy(path.join(runDir, 'match.zoneAxis.npy')).data as Float32Array;
      const e: number[] = [];
      for (let i = 0; i < phase.length; i++) {
        if (phase[i] !== 0 || !Number.isFinite(z[3 * i])) continue;
        e.push(
          (directionAngle(
            [truth[3 * i], truth[3 * i + 1], truth[3 * i + 2]],
            [z[3 * i], z[3 * i + 1], z[3 * i + 2]],
            group,
          ) *
            180) /
            Math.PI,
        );
      }
      return e.sort((a, b) => a - b)[e.length >> 1];
    };
    const before = medianError(coarse.runDir);
    const after = medianError(fine.runDir);
    expect(after).toBeLessThan(before);
    const rows = compareCrystal(fine.runDir, data);
    expect(rows.find((r) => r.name.startsWith('Ni orientation'))!.value).toBeGreaterThanOrEqual(0.9);
  }, 240_000);
});

describe('calib.fromCrystal on simulated Ni patterns', () => {
  it('recovers qPerPixel within 0.3 % and the ellipse ratio within 0.5 % from a 1.5 % wrong, round start; calib.geometry takes it', async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(data, 'meta.json'), 'utf8')) as {
      qPerPixel: number;
      ellipse: [number, number];
      center: [number, number];
    };
    const g = fragmentGraph(path.join(data, 'frames.npy'), {
      calib: {
        op: 'calib.fromCrystal',
        in: { frames: 'frames', geometry: 'geom', templates: 'templates', match: 'match' },
      },
      geom2: { op: 'calib.geometry', in: { frames: 'frames', calibration: 'calib' } },
    });
    (g.nodes.geom as { params?: unknown }).params = { qPerPixel: meta.qPerPixel * 1.015, ellipse: 'none' };
    const { runDir } = await runGraph({
      graph: g as never,
      outDir: path.join(tmp, 'run-calib'),
      cacheDir: path.join(tmp, 'cache'),
      quiet: true,
      noReport: true,
      workers: 2,
    });
    const q = (readNpy(path.join(runDir, 'geom2.qPerPixel.npy')).data as Float64Array)[0];
    const e = readNpy(path.join(runDir, 'geom2.ellipse.npy')).data as Float64Array;
    expect(Math.abs(q / meta.qPerPixel - 1)).toBeLessThan(0.003);
    expect(Math.abs(e[0] / meta.ellipse[0] - 1)).toBeLessThan(0.005);
    expect(Math.abs(e[1] - meta.ellipse[1])).toBeLessThan(5);
    const spots = readNpy(path.join(runDir, 'calib.spots.npy'));
    expect(spots.shape[1]).toBe(6);
    expect(spots.shape[0]).toBeGreaterThan(100);
  }, 240_000);
});

describe('correlation kernel', () => {
  it('the WebAssembly SIMD scan picks the same template and angle as the plain JS scan, with the same scores', async () => {
    const { builtinPhase } = await import('../../nodes/crystal/phase-model.ts');
    const { reflectionTable, templateSpots } = await import('../../nodes/crystal/templates.ts');
    const { sampleDirections } = await import('../../nodes/crystal/symmetry.ts');
    const { Matcher } = await import('../../nodes/crystal/matcher.ts');
    const meta = JSON.parse(fs.readFileSync(path.join(data, 'meta.json'), 'utf8')) as {
      qPerPixel: number;
      ellipse: [number, number];
      center: [number, number];
    };
    const table = reflectionTable(builtinPhase('fcc', 3.524, null, ['Ni'], 0.45), 14);
    const lib = {
      direction: [] as number[],
      start: [0],
      q: [] as number[],
      a: [] as number[],
      i: [] as number[],
    };
    for (const z of sampleDirections('m-3m', 2)) {
      const s = templateSpots(table, z, {
        wavelength: 0.02508,
        thicknessA: 400,
        precessionRad: Math.PI / 180,
        qMin: 1.5,
        qMax: 12,
        maxSpots: 60,
        minRelative: 0.01,
      });
      lib.direction.push(...z);
      lib.q.push(...s.q);
      lib.a.push(...s.angle);
      lib.i.push(...s.intensity);
      lib.start.push(lib.q.length);
    }
    const T = lib.start.length - 1;
    const tl = {
      direction: Float32Array.from(lib.direction),
      phase: new Int32Array(T),
      spotStart: Int32Array.from(lib.start),
      spotQ: Float32Array.from(lib.q),
      spotAngle: Float32Array.from(lib.a),
      spotIntensity: Float32Array.from(lib.i),
      laue: ['m-3m' as const],
    };
    const geom = {
      cx: meta.center[0],
      cy: meta.center[1],
      axisRatio: meta.ellipse[0],
      angleDeg: meta.ellipse[1],
      h: 144,
      w: 144,
    };
    // nTheta 180 (2° steps): half = 90 is not a multiple of 4, so the kernel's padded lanes are exercised too.
    for (const nTheta of [360, 180]) {
      const o = { qPerPixel: meta.qPerPixel, nTheta, power: 0.5, minSepDeg: 5 };
      const a = new Matcher(tl, geom, { ...o, wasm: true });
      const b = new Matcher(tl, geom, { ...o, wasm: false });
      const frames = readNpy(path.join(data, 'frames.npy'));
      const ra = { template: 0, inplane: 0, correlation: 0, reliability: 0 };
      const rb = { ...ra };
      for (let i = 0; i < 288; i += 7) {
        a.match(frames.data as Uint8Array, i * 144 * 144, 0, ra);
        b.match(frames.data as Uint8Array, i * 144 * 144, 0, rb);
        expect(ra.template).toBe(rb.template);
        expect(ra.inplane).toBeCloseTo(rb.inplane, 5);
        expect(ra.correlation).toBeCloseTo(rb.correlation, 5);
        expect(ra.reliability).toBeCloseTo(rb.reliability, 3);
      }
      // The kernel's polar fold gives the bits of polar.ts fold() (power 0.5 and 1, descan shifts);
      // a shift that reads outside the frames array falls back to fold() itself.
      for (const power of [0.5, 1]) {
        const k = new Matcher(tl, geom, { ...o, power, wasm: true }) as unknown as {
          foldInKernel(f: Uint8Array, off: number, shift: number): number | null;
          folded: Float32Array;
          polar: InstanceType<typeof Matcher>['polar'];
        };
        const f = frames.data as Uint8Array;
        const ring = new Float32Array(nTheta);
        const want = new Float32Array(k.folded.length);
        for (const [i, shift] of [
          [3, 0],
          [40, 145],
          [101, -290],
        ]) {
          const norm = k.foldInKernel(f, i * 144 * 144, shift);
          expect(norm).not.toBeNull();
          expect(norm).toBe(k.polar.fold(f, i * 144 * 144, shift, power, ring, want));
          expect(Buffer.from(k.folded.buffer, k.folded.byteOffset, 4 * (want.length - 4))).toEqual(
            Buffer.from(want.buffer, 0, 4 * (want.length - 4)),
          );
        }
        expect(k.foldInKernel(f, 0, -10_000)).toBeNull();
      }
    }
  });
});

describe('orientation maths', () => {
  it('Bunge Euler round trip and symmetry-equivalent orientations have zero misorientation', () => {
    const r = orientationMatrix([0.2, 0.5, 0.84], 1.1);
    const [p1, P, p2] = bungeEuler(r);
    const g = bungeMatrix(p1, P, p2);
    const gt = transpose(r);
    for (let k = 0; k < 9; k++) expect(g[k]).toBeCloseTo(gt[k], 10);
    const group = rotationGroup('m-3m');
    for (const s of group) expect(misorientation(r, mul(r, s), group, false)).toBeLessThan(1e-6);
    // A 3° turn about the beam is a 3° misorientation.
    expect(
      (misorientation(r, orientationMatrix([0.2, 0.5, 0.84], 1.1 + (3 * Math.PI) / 180), group) * 180) /
        Math.PI,
    ).toBeCloseTo(3, 6);
  });
});

describe('crystal ops: bad input', () => {
  const run = (nodes: Record<string, unknown>, outputs: string[]) =>
    runGraph({
      graph: {
        snem: 1,
        name: 'bad',
        dataset: { path: path.join(data, 'frames.npy') },
        nodes: {
          frames: { op: 'source.frames' },
          geom: { op: 'calib.geometry', in: { frames: 'frames' } },
          ...nodes,
        },
        outputs,
      } as never,
      outDir: path.join(tmp, `bad-${Math.random()}`),
      cacheDir: path.join(tmp, 'cache'),
      quiet: true,
      noReport: true,
      workers: 1,
    });

  it('an unknown phase names the node and param', async () => {
    await expect(
      run({ phase: { op: 'crystal.phase', params: { lattice: 'fcx', a: 3.5, elements: ['Ni'] } } }, [
        'phase',
      ]),
    ).rejects.toThrow(/node 'phase', param 'lattice': unknown phase lattice 'fcx'/);
  });

  it('a CIF that does not parse names the file and line', async () => {
    const f = path.join(tmp, 'broken.cif');
    fs.writeFileSync(f, 'data_x\n_cell_length_a 3.5\n_cell_length_b oops\n');
    await expect(run({ phase: { op: 'crystal.phase', params: { file: f } } }, ['phase'])).rejects.toThrow(
      /node 'phase', param 'file': .*broken\.cif, line 3: _cell_length_b: expected a number/,
    );
  });

  it('an absurdly small step states the template count and memory and is refused', async () => {
    const nodes = {
      phase: { op: 'crystal.phase', params: { lattice: 'fcc', a: 3.524, elements: ['Ni'] } },
      templates: {
        op: 'crystal.templates',
        in: { phase: 'phase', geometry: 'geom' },
        params: { step: 0.01 },
      },
    };
    await expect(run(nodes, ['templates'])).rejects.toThrow(
      /node 'templates', param 'step': 0\.01° would need about 8,594,\d{3} templates \(≈ \d+ MB of spots.*limit is 250,000/,
    );
  });

  it('a step ≤ 0 is refused before anything runs', async () => {
    const nodes = {
      phase: { op: 'crystal.phase', params: { lattice: 'fcc', a: 3.524, elements: ['Ni'] } },
      templates: { op: 'crystal.templates', in: { phase: 'phase', geometry: 'geom' }, params: { step: 0 } },
    };
    await expect(run(nodes, ['templates'])).rejects.toThrow(/templates.*step/);
  });

  it('a geometry without a Q calibration is refused naming the node', async () => {
    const { crystalTemplates } = await import('../../nodes/crystal/templates-op.ts');
    const phase = {
      scope: 'dataset',
      value: {
        fields: {},
        meta: {
          phase: {
            name: 'Ni',
            cell: [3.524, 3.524, 3.524, 90, 90, 90],
            laue: 'm-3m',
            bIso: 0.45,
            atoms: [{ element: 'Ni', xyz: [0, 0, 0], occupancy: 1 }],
          },
        },
      },
    };
    const geom = {
      scope: 'dataset',
      value: {
        fields: {
          center: { dtype: 'float64', shape: [2], data: Float64Array.of(71, 71) },
          detectorShape: { dtype: 'float64', shape: [2], data: Float64Array.of(144, 144) },
        },
      },
    };
    await expect(
      Promise.resolve().then(() =>
        crystalTemplates.run!({
          node: 'templates',
          params: {
            step: 1,
            thickness: 40,
            precessionDeg: 1,
            qMin: 1.5,
            qMax: 'auto',
            maxSpots: 60,
            minRelative: 0.01,
          },
          inputs: { phase, geometry: geom } as never,
          scan: { ny: 1, nx: 1 },
          dataset: null,
          log: () => {},
          workers: 1,
        }),
      ),
    ).rejects.toThrow(/node 'templates', input 'geometry': .*qPerPixel/);
  });
});
