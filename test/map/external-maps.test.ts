/**
 * External maps: reading them in every format (source.map / formats/map-file.ts), the masked
 * cross-correlation and the registration against synthetic scenes with a known transform,
 * Pearson / Spearman, and the ops through the engine with their bad-input messages.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../engine/errors.ts';
import { runGraph } from '../../app/run.ts';
import { loadHdf5 } from '../../formats/hdf5.ts';
import { readMapFile } from '../../formats/map-file.ts';
import { readNpy, writeNpy } from '../../formats/npy.ts';
import { writeTiff } from '../../formats/tiff.ts';
import { maskedNcc, shiftOf } from '../../nodes/map/masked-ncc.ts';
import { ranks, spearman } from '../../nodes/map/rank-stats.ts';
import { registerFromIdentity, registrationPair, worstCornerError } from '../../sim/registration-pair.ts';
import { linearOf, type Frame, type Pose } from '../../nodes/map/register-core.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'snem-maps-'));

/** A smooth scene in nm: two soft-edged strips (a laminate), a gradient and a few blobs. */
function scene(X: number, Y: number): number {
  let v =
    (60 + 10 * Math.tanh((X - 180) / 50)) *
    0.25 *
    (1 + Math.tanh((X - 30) / 8)) *
    (1 + Math.tanh((330 - X) / 8));
  for (const [bx, by, r] of [
    [100, 80, 15],
    [250, 200, 20],
    [180, 40, 12],
    [60, 220, 18],
    [300, 120, 14],
  ])
    v += 25 * Math.exp(-((X - bx) ** 2 + (Y - by) ** 2) / (2 * r * r));
  return v;
}

/** Deterministic noise in [−a, a]. */
function noise(seed: number) {
  let s = seed >>> 0;
  return (a: number) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return a * (2 * (s / 2 ** 32) - 1);
  };
}

/** The scene on the scan grid (step nm) and, at half contrast plus 3, as a map of H × W pixels through pose/frame. */
function pair(
  ny: number,
  nx: number,
  step: number,
  H: number,
  W: number,
  truth: Pose,
  frame: Frame,
  seed = 1,
) {
  return registrationPair(scene, {
    ny,
    nx,
    step,
    H,
    W,
    truth,
    frame,
    noise: noise(seed),
    refNoise: 1.5,
    mapNoise: 2,
    gain: 0.5,
    offset: 3,
  });
}

describe('map files', () => {
  const ny = 5,
    nx = 7;
  const values = Float32Array.from({ length: ny * nx }, (_, i) => Math.sin(i) * 10 + i);
  let h5: Awaited<ReturnType<typeof loadHdf5>>;
  beforeAll(async () => {
    h5 = await loadHdf5();
  });

  it('reads npy, a CSV grid, a float TIFF, an HDF5 dataset with EMD dims and a HyperSpy signal alike, with the pixel size the file carries', async () => {
    const dir = tmp();
    writeNpy(path.join(dir, 'm.npy'), { dtype: 'float32', shape: [1, ny, nx], data: values });
    const rows = Array.from({ length: ny }, (_, y) =>
      Array.from(values.subarray(y * nx, (y + 1) * nx), (v) => String(v)).join(','),
    );
    fs.writeFileSync(path.join(dir, 'm.csv'), `# an EELS map\n${rows.join('\n')}\n`);
    writeTiff(path.join(dir, 'm.tif'), { dtype: 'float32', shape: [ny, nx], data: values });
    const f = new h5.File(path.join(dir, 'm.emd'), 'w');
    const g = f.create_group('data').create_group('eels');
    g.create_dataset({ name: 'data', data: values, shape: [ny, nx] });
    g.create_dataset({
      name: 'dim1',
      data: Float64Array.from({ length: ny }, (_, i) => i * 25),
    }).create_attribute('units', 'Å');
    g.create_dataset({
      name: 'dim2',
      data: Float64Array.from({ length: nx }, (_, i) => i * 2.5),
    }).create_attribute('units', 'nm');
    f.close();
    const hs = new h5.File(path.join(dir, 'm.hspy'), 'w');
    const e = hs.create_group('Experiments').create_group('Zr map');
    e.create_dataset({ name: 'data', data: values, shape: [ny, nx] });
    for (const [i, scale, units] of [
      [0, 0.004, 'µm'],
      [1, 4, 'nm'],
    ] as const) {
      const ax = e.create_group(`axis-${i}`);
      ax.create_attribute('scale', scale);
      ax.create_attribute('units', units);
    }
    hs.close();
    const expected = { npy: null, csv: null, tiff: null, hdf5: [2.5, 2.5], hspy: [4, 4] } as Record<
      string,
      number[] | null
    >;
    for (const [name, fmt] of [
      ['m.npy', 'npy'],
      ['m.csv', 'csv'],
      ['m.tif', 'tiff'],
      ['m.emd', 'hdf5'],
      ['m.hspy', 'hspy'],
    ]) {
      const m = await readMapFile(path.join(dir, name));
      expect(m.format, name).toBe(fmt);
      expect([m.ny, m.nx], name).toEqual([ny, nx]);
      for (let i = 0; i < values.length; i++)
        expect(m.data[i], `${name} value ${i}`).toBeCloseTo(values[i], 4);
      if (expected[fmt]) {
        expect(m.pixelSizeNm![0], name).toBeCloseTo(expected[fmt]![0], 9);
        expect(m.pixelSizeNm![1], name).toBeCloseTo(expected[fmt]![1], 9);
      } else expect(m.pixelSizeNm, name).toBeNull();
    }
  });

  it('refuses a stack, a 1-D array, a ragged CSV and an all-NaN map, naming the file and what it found', async () => {
    const dir = tmp();
    const cases: [string, () => void, RegExp][] = [
      [
        'stack.npy',
        () =>
          writeNpy(path.join(dir, 'stack.npy'), {
            dtype: 'float32',
            shape: [2, 3, 4],
            data: new Float32Array(24),
          }),
        /stack\.npy: expected a 2-D map \[ny, nx\].*found shape \(2, 3, 4\)/,
      ],
      [
        'line.npy',
        () =>
          writeNpy(path.join(dir, 'line.npy'), { dtype: 'float32', shape: [9], data: new Float32Array(9) }),
        /line\.npy: expected a 2-D map.*found shape \(9\)/,
      ],
      [
        'ragged.csv',
        () => fs.writeFileSync(path.join(dir, 'ragged.csv'), '1,2,3\n4,5\n'),
        /ragged\.csv: row 2: expected 3 numbers/,
      ],
      [
        'stack.tif',
        () =>
          writeTiff(path.join(dir, 'stack.tif'), {
            dtype: 'float32',
            shape: [2, 3, 3],
            data: new Float32Array(18),
          }),
        /stack\.tif: expected one 2-D image, found a stack of 2 pages/,
      ],
      [
        'nan.npy',
        () =>
          writeNpy(path.join(dir, 'nan.npy'), {
            dtype: 'float32',
            shape: [3, 3],
            data: new Float32Array(9).fill(NaN),
          }),
        /nan\.npy: the map holds 0 finite value/,
      ],
      [
        'text.bin',
        () => fs.writeFileSync(path.join(dir, 'text.bin'), 'hello'),
        /text\.bin: not a map file snem reads/,
      ],
    ];
    for (const [name, make, msg] of cases) {
      make();
      await expect(readMapFile(path.join(dir, name)), name).rejects.toThrow(msg);
    }
  });
});

describe('masked normalised cross-correlation', () => {
  it('equals the brute-force Pearson r over the overlap at every shift, with NaN holes', () => {
    const rnd = noise(7);
    const f = { ny: 6, nx: 7, data: Float64Array.from({ length: 42 }, () => rnd(1)) };
    const g = {
      ny: 5,
      nx: 9,
      data: Float64Array.from({ length: 45 }, (_, i) => (i % 11 === 3 ? NaN : rnd(1))),
    };
    f.data[8] = NaN;
    const m = maskedNcc(f, g, 4);
    let checked = 0;
    for (let k = 0; k < m.r.length; k++) {
      const [dy, dx] = shiftOf(k, m);
      const a: number[] = [],
        b: number[] = [];
      for (let y = 0; y < f.ny; y++)
        for (let x = 0; x < f.nx; x++) {
          const yy = y + dy,
            xx = x + dx;
          if (yy < 0 || xx < 0 || yy >= g.ny || xx >= g.nx) continue;
          const u = f.data[y * f.nx + x],
            v = g.data[yy * g.nx + xx];
          if (Number.isFinite(u) && Number.isFinite(v)) a.push(u), b.push(v);
        }
      expect(m.n[k]).toBe(a.length);
      if (a.length < 4) {
        expect(Number.isNaN(m.r[k])).toBe(true);
        continue;
      }
      const ma = a.reduce((s, x) => s + x, 0) / a.length,
        mb = b.reduce((s, x) => s + x, 0) / b.length;
      let sab = 0,
        saa = 0,
        sbb = 0;
      a.forEach((x, i) => {
        sab += (x - ma) * (b[i] - mb);
        saa += (x - ma) ** 2;
        sbb += (b[i] - mb) ** 2;
      });
      expect(m.r[k]).toBeCloseTo(sab / Math.sqrt(saa * sbb), 9);
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
  });
});

describe('registration', () => {
  const ny = 40,
    nx = 56,
    step = 7;
  it('recovers offset and rotation of a finer, rotated, partly overlapping map within 0.1 scan px', () => {
    const fr = { stepX: step, stepY: step, pixX: 5, pixY: 5 };
    const truth: Pose = { s: 1, thetaDeg: 4.2, tu: 6.3, tv: -3.7 };
    const { ref, map, a } = pair(ny, nx, step, 66, 80, truth, fr);
    const res = registerFromIdentity(ref, map, { ny, nx, H: 66, W: 80, frame: fr });
    expect(res.failure).toBeNull();
    expect(res.r).toBeGreaterThan(0.99);
    expect(
      worstCornerError(linearOf(res.pose, fr), [res.pose.tu, res.pose.tv], a, [truth.tu, truth.tv], ny, nx),
    ).toBeLessThan(0.1);
    expect(Math.abs(res.pose.thetaDeg - truth.thetaDeg)).toBeLessThan(0.1);
  });

  it('also estimates a scale 7 % off the nominal, and a map that falls as the reference rises', () => {
    const fr = { stepX: step, stepY: step, pixX: 8, pixY: 8 };
    const truth: Pose = { s: 1.07, thetaDeg: -2.5, tu: 2.1, tv: 4.4 };
    const { ref, map, a } = pair(ny, nx, step, 50, 60, truth, fr, 3);
    const neg = Float64Array.from(map, (v) => -v);
    const res = registerFromIdentity(
      ref,
      neg,
      { ny, nx, H: 50, W: 60, frame: fr },
      {
        estimate: { offset: true, rotation: true, scale: true },
        maxRotationDeg: 6,
        scaleRange: [0.85, 1.2],
        sign: -1,
      },
    );
    expect(res.failure).toBeNull();
    expect(res.r).toBeLessThan(-0.99);
    expect(Math.abs(res.pose.s - 1.07)).toBeLessThan(0.005);
    expect(
      worstCornerError(linearOf(res.pose, fr), [res.pose.tu, res.pose.tv], a, [truth.tu, truth.tv], ny, nx),
    ).toBeLessThan(0.15);
  });

  it('reports a rotation outside the search range as a failure instead of a wrong answer', () => {
    const fr = { stepX: step, stepY: step, pixX: 5, pixY: 5 };
    const truth: Pose = { s: 1, thetaDeg: 12, tu: 9, tv: -6 };
    const { ref, map } = pair(ny, nx, step, 66, 80, truth, fr);
    const res = registerFromIdentity(
      ref,
      map,
      { ny, nx, H: 66, W: 80, frame: fr },
      { maxRotationDeg: 5, sign: 1 },
    );
    expect(res.failure).toMatch(/edge of the search range/);
  });
});

describe('rank statistics', () => {
  it('ranks ties by their mean rank; Spearman is 1 for a monotonic, non-linear relation where Pearson is not', () => {
    expect(Array.from(ranks([10, 20, 20, 5, 30]))).toEqual([2, 3.5, 3.5, 1, 5]);
    const x = Array.from({ length: 30 }, (_, i) => i / 3);
    const y = x.map((v) => Math.exp(v));
    expect(spearman(x, y)).toBeCloseTo(1, 12);
    expect(
      spearman(
        x,
        y.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
  });
});

describe('source.map → map.register → map.correlate through the engine', () => {
  const ny = 24,
    nx = 36,
    step = 9;
  const fr = { stepX: step, stepY: step, pixX: 7, pixY: 7 };
  const truth: Pose = { s: 1, thetaDeg: 3, tu: 4.5, tv: 2.5 };
  let dir: string;
  let trueA: number[];
  const graph = (extra: Record<string, unknown> = {}, nodes: Record<string, unknown> = {}) => ({
    snem: 1,
    name: 'maps',
    dataset: { path: path.join(dir, 'frames.npy') },
    nodes: {
      frames: { op: 'source.frames' },
      ref: {
        op: 'qoi.virtual',
        in: { frames: 'frames' },
        params: { shape: 'disc', radius: 10, stat: 'mean' },
      },
      eels: { op: 'source.map', params: { file: path.join(dir, 'zr.npy'), pixelSizeNm: [7], unit: 'at.%' } },
      onScan: {
        op: 'map.register',
        in: { map: 'eels', reference: 'ref' },
        params: { contrast: 'positive', ...extra },
      },
      corr: {
        op: 'map.correlate',
        in: { a: 'onScan.map', b: 'ref' },
        params: { cuts: [{ row: 12 }, { from: [2, 2], to: [30, 20] }] },
      },
      ...nodes,
    },
    outputs: ['onScan', 'corr'],
  });

  beforeAll(() => {
    dir = tmp();
    const { ref, map, a } = pair(ny, nx, step, 36, 52, truth, fr, 5);
    trueA = a;
    // Frames whose every pixel is the scene value: the disc mean gives the reference map back.
    const frames = new Float32Array(ny * nx * 16);
    for (let i = 0; i < ny * nx; i++) frames.fill(ref[i], i * 16, (i + 1) * 16);
    writeNpy(path.join(dir, 'frames.npy'), { dtype: 'float32', shape: [ny, nx, 4, 4], data: frames });
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ scanStepNm: step }));
    writeNpy(path.join(dir, 'zr.npy'), { dtype: 'float32', shape: [36, 52], data: Float32Array.from(map) });
  });

  const run = (g: unknown, name: string) =>
    runGraph({
      graph: g as never,
      cacheDir: path.join(dir, 'cache'),
      outDir: path.join(dir, name),
      quiet: true,
      noReport: true,
      workers: 1,
    });

  it('registers with the pixel sizes from the dataset and the map node, and correlates along cuts', async () => {
    const { runDir } = await run(graph(), 'run');
    const T = readNpy(path.join(runDir, 'onScan.transform.npy')).data as Float32Array;
    expect(
      worstCornerError([T[0], T[1], T[3], T[4]], [T[2], T[5]], trueA, [truth.tu, truth.tv], ny, nx),
    ).toBeLessThan(0.15);
    const r = (readNpy(path.join(runDir, 'corr.pearson.npy')).data as Float32Array)[0];
    expect(r).toBeGreaterThan(0.98);
    const cuts = readNpy(path.join(runDir, 'corr.cutPearson.npy'));
    expect(cuts.shape).toEqual([2]);
    for (const v of cuts.data as Float32Array) expect(v).toBeGreaterThan(0.95);
    expect(readNpy(path.join(runDir, 'corr.histogram.npy')).shape).toEqual([32, 32]);
    // The given transform, applied as is, lands on the same map.
    const given = { estimate: [], rotationDeg: truth.thetaDeg, offset: [truth.tu, truth.tv] };
    const second = await run(graph(given), 'given');
    const Tg = readNpy(path.join(second.runDir, 'onScan.transform.npy')).data as Float32Array;
    expect(
      worstCornerError([Tg[0], Tg[1], Tg[3], Tg[4]], [Tg[2], Tg[5]], trueA, [truth.tu, truth.tv], ny, nx),
    ).toBeLessThan(1e-4);
  });

  const failsWith = async (g: unknown, name: string, msg: RegExp) => {
    let err: unknown = null;
    try {
      await run(g, name);
    } catch (e) {
      err = e;
    }
    expect(err, name).not.toBeNull();
    expect(isUserError(err), `${name}: ${String(err)}`).toBe(true);
    expect(String((err as Error).message), name).toMatch(msg);
  };

  it('bad input: one message naming node, param and file, and nothing cached', async () => {
    // A transform that leaves the map off the scan.
    await failsWith(
      graph({ estimate: [], offset: [500, 500] }),
      'far',
      /node 'onScan', param 'offset': .*zr\.npy: no scan position falls inside the 36 × 52 map/,
    );
    // A reference unrelated to the map: no transform explains it.
    const rnd = noise(11);
    writeNpy(path.join(dir, 'junk.npy'), {
      dtype: 'float32',
      shape: [36, 52],
      data: Float32Array.from({ length: 36 * 52 }, () => rnd(1)),
    });
    await failsWith(
      graph(
        {},
        { eels: { op: 'source.map', params: { file: path.join(dir, 'junk.npy'), pixelSizeNm: [7] } } },
      ),
      'junk',
      /node 'onScan', param 'estimate': .*junk\.npy: the registration did not converge/,
    );
    // A mask that keeps fewer than 3 positions.
    await failsWith(
      graph(
        {},
        {
          few: { op: 'map.threshold', in: { map: 'ref' }, params: { above: 1e6 } },
          corr: { op: 'map.correlate', in: { a: 'onScan.map', b: 'ref', mask: 'few' } },
        },
      ),
      'mask',
      /node 'corr', param 'mask': .*zr\.npy: 0 position\(s\) have both maps finite inside the mask; a correlation needs at least 3/,
    );
    // A map file of the wrong shape.
    writeNpy(path.join(dir, 'cube.npy'), { dtype: 'float32', shape: [2, 3, 4], data: new Float32Array(24) });
    await failsWith(
      graph(
        {},
        { eels: { op: 'source.map', params: { file: path.join(dir, 'cube.npy'), pixelSizeNm: [7] } } },
      ),
      'cube',
      /node 'eels', param 'file': .*cube\.npy: expected a 2-D map/,
    );
    // Nothing of a failed run is published, and the error is not cached: the same graph fails again.
    expect(fs.existsSync(path.join(dir, 'far', 'manifest.json'))).toBe(false);
    await failsWith(graph({ estimate: [], offset: [500, 500] }), 'far2', /no scan position falls inside/);
  });
});
