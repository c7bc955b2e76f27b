/**
 * Size-like params and flags are bounded before anything is allocated (issue #17: `bins: 1e9` grew a
 * run to 24 GB; `--chunk-size 0` looped forever; `rstep: 1e-12` was an internal error after
 * `snem validate` said fine). Refusals name node/param (or flag) and the memory it would take.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DatasetHandle } from '../../engine/types.ts';
import { chunkSizeFlag } from '../../cli/options.ts';
import { makeChunks } from '../../engine/executor.ts';
import { integrateAzimuthal } from '../../nodes/integrate/azimuthal.ts';
import { modelPartialsOp } from '../../nodes/model/partials-op.ts';
import { pdfReduce } from '../../nodes/pdf/reduce-op.ts';
import { maxBins } from '../../nodes/size-limits.ts';
import { params } from '../chain/harness.ts';
import { npyBytes, tmpDir } from '../formats/fixtures.ts';

const snem = path.resolve(import.meta.dirname, '../../cli/snem.js');
const paper = {
  kind: 'frames',
  frameShape: [144, 144],
  scan: { ny: 289, nx: 132 },
} as unknown as DatasetHandle;

function cli(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [snem, ...args], { env: { ...process.env, CI: 'true' } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, err }));
  });
}

describe('size limits', () => {
  it('integrate.azimuthal bins: at most 4 per pixel of the detector diagonal (or 1024), refused with the memory it needs', () => {
    expect(maxBins(144, 144)).toBe(1024);
    expect(maxBins(512, 512)).toBe(4 * 725);
    expect(maxBins(64, 64)).toBe(1024); // the default 400 fits the tiny preset's detector
    const ok = params(integrateAzimuthal, { bins: 1024 });
    expect(() => integrateAzimuthal.check!(ok, { node: 'iq', dataset: paper })).not.toThrow();
    const big = params(integrateAzimuthal, { bins: 100_000 });
    expect(() => integrateAzimuthal.check!(big, { node: 'iq', dataset: paper })).toThrow(
      /node 'iq', param 'bins': 100000 bins would need 1\.20 MB per position \(I, sigma, count as float32\), 45\.8 GB for the 38,148 positions; a 144×144 detector has at most 204 px along any radius: at most 1024 bins \(4 per pixel of that, never fewer than 1024\)/,
    );
    // 1e9 is refused by the declared bound even without the data file
    expect(() => params(integrateAzimuthal, { bins: 1e9 })).toThrow(
      /param 'bins': expected an integer ≥ 1 and ≤ 1000000/,
    );
  });

  it('r grids: at most 10⁶ points (rstep 1e-12, rmax 1e9 were "Invalid typed array length")', () => {
    expect(() => params(pdfReduce, { composition: 'SiO2', rstep: 1e-12 })).toThrow(
      /param 'rstep': the r grid 0…20 Å in steps of 1e-12 Å has 2\.000e\+13 points, which would need 80\.0 TB per position for G\(r\) \(float32\); at most 1,000,000 points/,
    );
    expect(() => params(pdfReduce, { composition: 'SiO2', rmax: 1e9 })).toThrow(
      /param 'rmax': the r grid 0…1000000000 Å .* would need 400 GB per position/,
    );
    expect(() => params(pdfReduce, { composition: 'SiO2', rmax: 100, rstep: 0.001 })).not.toThrow();
    expect(() => params(modelPartialsOp, { file: 'x.xyz', rstep: 1e-9 })).toThrow(
      /param 'rstep': the r grid .* per partial \(float64\)/,
    );
  });

  it('--chunk-size: an integer 1 … 65536, else one message (0 / −1 looped forever, 0.5 was an internal error)', () => {
    expect(chunkSizeFlag(undefined)).toBeUndefined();
    expect(chunkSizeFlag('64')).toBe(64);
    for (const bad of ['0', '-1', '0.5', 'abc', '', '1e9']) {
      expect(() => chunkSizeFlag(bad)).toThrow(
        new RegExp(
          `--chunk-size: expected an integer from 1 to 65536 \\(scan positions per chunk\\), got ${JSON.stringify(bad).replace(/[.]/g, '\\.')}`,
        ),
      );
    }
    expect(() => makeChunks(10, 0)).toThrow(/chunk size must be a positive integer, got 0/);
    expect(makeChunks(10, 4).map((c) => c.count)).toEqual([4, 4, 2]);
  });

  it('through the CLI: validate with the data refuses bins beyond the detector, run refuses --chunk-size 0', async () => {
    const dir = tmpDir('snem-size-');
    fs.writeFileSync(
      path.join(dir, 'scan.npy'),
      npyBytes('|u1', [2, 3, 32, 32], new Uint8Array(2 * 3 * 32 * 32)),
    );
    const g = path.join(dir, 'g.json');
    fs.writeFileSync(
      g,
      JSON.stringify({
        snem: 1,
        dataset: { path: 'scan.npy' },
        nodes: {
          frames: { op: 'source.frames' },
          geom: {
            op: 'calib.geometry',
            in: { frames: 'frames' },
            params: { qPerPixel: 0.2, beamEnergyKeV: 200, center: [16, 16] },
          },
          iq: {
            op: 'integrate.azimuthal',
            in: { frames: 'frames', geometry: 'geom' },
            params: { bins: 1_000_000 },
          },
        },
        outputs: ['iq'],
      }),
    );
    const [v, r] = await Promise.all([
      cli(['validate', g]),
      cli([
        'run',
        g,
        '--chunk-size',
        '0',
        '--out',
        path.join(dir, 'out'),
        '--cache',
        path.join(dir, 'cache'),
      ]),
    ]);
    expect(v.code, v.err).toBe(1);
    expect(v.err).toMatch(
      /node 'iq', param 'bins': 1000000 bins would need 12\.0 MB per position .* at most 1024 bins/,
    );
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/--chunk-size: expected an integer from 1 to 65536/);
    expect(fs.existsSync(path.join(dir, 'cache'))).toBe(false);
  }, 60_000);
});
