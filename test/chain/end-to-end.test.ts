/** The chain through the real engine: npy frames → geometry (auto centre) → masks → I(Q) → G(r). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nd } from '../../engine/ndarray.ts';
import { runGraph } from '../../app/run.ts';
import { readNpy, writeNpy } from '../../formats/npy.ts';
import { addPoisson, amorphousProfile, renderRings } from './synth.ts';

describe('chain end to end (engine/run.ts)', () => {
  it('runs a 2 × 3 scan of 96 × 96 patterns to G(r), then reuses the cache', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-chain-'));
    try {
      const h = 96;
      const w = 96;
      const clean = renderRings({
        h,
        w,
        cx: 47.3,
        cy: 48.6,
        axisRatio: 1,
        angleDeg: 0,
        profile: amorphousProfile({ beam: 250, bg: 60, ring: 120, ringR: 26, ringSigma: 3 }),
        supersample: 2,
      });
      const frames = new Uint8Array(6 * h * w);
      for (let i = 0; i < 6; i++)
        frames.set(
          Uint8Array.from(addPoisson(clean, i + 1), (v) => Math.min(255, v)),
          i * h * w,
        );
      writeNpy(path.join(dir, 'frames.npy'), nd(frames, [2, 3, h, w]));
      const graph = {
        snem: 1,
        name: 'chain-e2e',
        chunkSize: 4,
        dataset: { path: path.join(dir, 'frames.npy') },
        nodes: {
          frames: { op: 'source.frames' },
          geom: {
            op: 'calib.geometry',
            in: { frames: 'frames' },
            params: { center: 'auto', qPerPixel: 0.2 },
          },
          static: {
            op: 'mask.static',
            in: { frames: 'frames', geometry: 'geom' },
            params: { beamstopRadius: 6 },
          },
          mask: { op: 'mask.auto', in: { frames: 'frames', geometry: 'geom', static: 'static' } },
          iq: {
            op: 'integrate.azimuthal',
            in: { frames: 'frames', geometry: 'geom', mask: 'mask', static: 'static' },
            params: { bins: 200 },
          },
          pdf: {
            op: 'pdf.reduce',
            in: { iq: 'iq' },
            params: { composition: 'Zr65Cu17.5Ni10Al7.5', qmin: 1.5, qmax: 8.1, qmaxinst: 9, rmax: 10 },
          },
        },
        outputs: ['geom', 'iq', 'pdf'],
      };
      const cacheDir = path.join(dir, 'cache');
      const first = await runGraph({
        graph: graph as never,
        cacheDir,
        outDir: path.join(dir, 'run1'),
        quiet: true,
        noReport: true,
        workers: 1,
      });
      expect(first.manifest.nodes.pdf.status).toBe('computed');
      const files = fs.readdirSync(path.join(dir, 'run1'));
      const gFile = files.find((f) => f.startsWith('pdf.G') && f.endsWith('.npy') && !f.includes('axis'))!;
      const G = readNpy(path.join(dir, 'run1', gFile));
      expect(G.shape.slice(0, 2)).toEqual([2, 3]);
      expect(G.shape[2]).toBe(1001);
      expect(Array.from(G.data).every(Number.isFinite)).toBe(true);
      const iFile = files.find((f) => f.startsWith('iq.I') && f.endsWith('.npy') && !f.includes('axis'))!;
      const I = readNpy(path.join(dir, 'run1', iFile));
      expect(I.shape).toEqual([2, 3, 200]);
      // The auto centre lands on the rendered one.
      const c = readNpy(path.join(dir, 'run1', files.find((f) => f.startsWith('geom.center'))!));
      expect(Math.abs(Number(c.data[0]) - 47.3)).toBeLessThan(0.1);
      expect(Math.abs(Number(c.data[1]) - 48.6)).toBeLessThan(0.1);
      const second = await runGraph({
        graph: graph as never,
        cacheDir,
        outDir: path.join(dir, 'run2'),
        quiet: true,
        noReport: true,
        workers: 1,
      });
      expect(Object.values(second.manifest.nodes).every((n) => n.status !== 'computed')).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
