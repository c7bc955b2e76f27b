/**
 * One noiseless pattern through the real chain (source.frames → calib.geometry with the true
 * geometry → mask.static → integrate.azimuthal → pdf.reduce → qoi.peak on G), for the accuracy
 * tests of issue 6. Returns the run directory.
 */
import path from 'node:path';
import { writeNpy } from '../../formats/npy.ts';
import type { Json } from '../../engine/types.ts';
import type { SimParams } from '../../sim/presets.ts';
import { type Renderer, simGeometry } from '../../sim/render.ts';

export interface NoiselessRun {
  dir: string;
  /** pdf.reduce params besides the composition. */
  pdf: Record<string, Json>;
  composition: Record<string, number>;
  /** qoi.peak window on G(r) (Å). */
  window: [number, number];
  /** integrate.azimuthal pixel splitting (default none). */
  split?: 'none' | 'bbox' | 'full';
}

/** The integration of runNoiselessChain: 400 bins over Q 0–12 Å⁻¹. */
export const NOISELESS_IQ = { bins: 400, qMin: 0, qMax: 12 } as const;

export async function runNoiselessChain(
  p: SimParams,
  r: Renderer,
  iy: number,
  ix: number,
  o: NoiselessRun,
): Promise<string> {
  const g = simGeometry(p);
  const file = path.join(o.dir, 'frame.npy');
  writeNpy(file, {
    dtype: 'float32',
    shape: [1, 1, p.size, p.size],
    data: Float32Array.from(r.renderExpected(iy, ix)),
  });
  const { runGraph } = await import('../../app/run.ts');
  const nodes = {
    frames: { op: 'source.frames' },
    geometry: {
      op: 'calib.geometry',
      in: { frames: 'frames' },
      params: {
        center: g.center,
        qPerPixel: g.qPerPixel,
        ellipse: g.ellipse,
        beamEnergyKeV: p.beamEnergyKeV,
      },
    },
    static: {
      op: 'mask.static',
      in: { frames: 'frames', geometry: 'geometry' },
      params: { beamstopRadius: 6, saturation: 0 },
    },
    iq: {
      op: 'integrate.azimuthal',
      in: { frames: 'frames', geometry: 'geometry', static: 'static' },
      params: { ...NOISELESS_IQ, split: o.split ?? 'none' },
    },
    pdf: { op: 'pdf.reduce', in: { iq: 'iq' }, params: { composition: o.composition, ...o.pdf } },
    r1: { op: 'qoi.peak', in: { curve: 'pdf.G' }, params: { range: o.window } },
  };
  const graph = {
    snem: 1,
    name: 'noiseless-chain',
    dataset: { path: file },
    nodes,
    outputs: ['iq', 'pdf', 'r1'],
  };
  const { runDir } = await runGraph({
    graph: graph as never,
    outDir: path.join(o.dir, 'run'),
    cacheDir: path.join(o.dir, 'cache'),
    quiet: true,
    noReport: true,
    workers: 1,
  });
  return runDir;
}
