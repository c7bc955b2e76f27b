/**
 * A small fabricated run directory (what the engine writes): maps, curves with axes, a Gaussian
 * fit's parameter maps, NMF components and fractions, and a manifest tying them to a graph.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Json } from '../../engine/types.ts';
import type { Manifest, ManifestNode, WrittenOutput } from '../../engine/run-types.ts';
import { writeNpy } from '../../formats/npy.ts';

export const NY = 6;
export const NX = 8;
export const NQ = 50;
export const NR = 120;

export interface FabricatedRun {
  dir: string;
  manifest: Manifest;
  /** Known source arrays by file name. */
  arrays: Record<string, { shape: number[]; data: Float32Array }>;
}

const fitTruth = (iy: number, ix: number) => ({
  A1: 0.8 + 0.02 * ix,
  c1: 2.6 + 0.01 * iy,
  sigma1: 0.12,
  A2: 0.5,
  c2: 3.3 + 0.005 * ix,
  sigma2: 0.2,
  a: -0.1,
  a0: 0.4,
});

function gauss(x: number, A: number, c: number, s: number) {
  return (A / (Math.sqrt(2 * Math.PI) * s)) * Math.exp(-0.5 * ((x - c) / s) ** 2);
}

export function makeRun(dir: string, opts: { step?: Json } = {}): FabricatedRun {
  fs.mkdirSync(dir, { recursive: true });
  const arrays: FabricatedRun['arrays'] = {};
  const outputs: WrittenOutput[] = [];
  const put = (file: string, shape: number[], data: Float32Array) => {
    writeNpy(path.join(dir, file), { dtype: 'float32', shape, data });
    arrays[file] = { shape, data };
  };
  const out = (o: Omit<WrittenOutput, 'key' | 'valueHash'>) =>
    outputs.push({ ...o, key: `key-${o.node}`, valueHash: `vh-${o.node}` });

  // peak: a smooth map with one NaN (a failed position) and a known maximum.
  const peak = new Float32Array(NY * NX);
  for (let y = 0; y < NY; y++) for (let x = 0; x < NX; x++) peak[y * NX + x] = 2.5 + 0.01 * (y * NX + x);
  peak[1 * NX + 2] = Number.NaN;
  put('peak.npy', [NY, NX], peak);
  out({
    node: 'peak',
    op: 'qoi.peak',
    field: 'rmax',
    file: 'peak.npy',
    kind: 'map',
    shape: [NY, NX],
    unit: 'Å',
  });

  const alpha = new Float32Array(NY * NX).map((_, i) => Math.sin(i / 5) * 0.3);
  put('sro.npy', [NY, NX], alpha);
  out({ node: 'sro', op: 'qoi.sro', field: 'alpha', file: 'sro.npy', kind: 'map', shape: [NY, NX] });

  // I(Q) per position.
  const q = new Float32Array(NQ).map((_, i) => 0.5 + i * 0.2);
  const iq = new Float32Array(NY * NX * NQ);
  for (let p = 0; p < NY * NX; p++)
    for (let i = 0; i < NQ; i++)
      iq[p * NQ + i] = 100 * Math.exp(-q[i] / 3) * (1 + 0.1 * Math.sin(q[i] * 2 + p / 7));
  put('iq.npy', [NY, NX, NQ], iq);
  put('iq.axis.npy', [NQ], q);
  out({
    node: 'iq',
    op: 'integrate.azimuthal',
    field: 'I',
    file: 'iq.npy',
    kind: 'curves',
    shape: [NY, NX, NQ],
    axisFile: 'iq.axis.npy',
    axisName: 'q',
  });

  // G(r) made from the fit model at each position, so the fit plot matches.
  const r = new Float32Array(NR).map((_, i) => 1.5 + i * 0.025);
  const G = new Float32Array(NY * NX * NR);
  const fitFields: Record<string, Float32Array> = {};
  for (const k of Object.keys(fitTruth(0, 0))) fitFields[k] = new Float32Array(NY * NX);
  for (let y = 0; y < NY; y++)
    for (let x = 0; x < NX; x++) {
      const t = fitTruth(y, x);
      const p = y * NX + x;
      for (const [k, v] of Object.entries(t)) fitFields[k][p] = v;
      for (let i = 0; i < NR; i++)
        G[p * NR + i] =
          gauss(r[i], t.A1, t.c1, t.sigma1) +
          gauss(r[i], t.A2, t.c2, t.sigma2) +
          t.a * r[i] +
          t.a0 +
          0.01 * Math.sin(i);
    }
  put('pdf.G.npy', [NY, NX, NR], G);
  put('pdf.G.axis.npy', [NR], r);
  out({
    node: 'pdf',
    op: 'pdf.reduce',
    field: 'G',
    file: 'pdf.G.npy',
    kind: 'curves',
    shape: [NY, NX, NR],
    unit: 'Å⁻²',
    axisFile: 'pdf.G.axis.npy',
    axisName: 'r',
  });
  for (const [k, v] of Object.entries(fitFields)) {
    put(`fit.${k}.npy`, [NY, NX], v);
    out({
      node: 'fit',
      op: 'fit.gaussians',
      field: k,
      file: `fit.${k}.npy`,
      kind: 'map',
      shape: [NY, NX],
      unit: k.startsWith('c') || k.startsWith('sigma') ? 'Å' : undefined,
    });
  }

  // NMF: components [k, n] over r, fractions [ny, nx, k].
  const K = 3;
  const comps = new Float32Array(K * NR);
  for (let j = 0; j < K; j++)
    for (let i = 0; i < NR; i++) comps[j * NR + i] = gauss(r[i], 1, 2.4 + 0.4 * j, 0.15) + 0.1;
  put('nmf.components.npy', [K, NR], comps);
  put('nmf.components.axis.npy', [NR], r);
  out({
    node: 'nmf',
    op: 'decompose.nmf',
    field: 'components',
    file: 'nmf.components.npy',
    kind: 'array',
    shape: [K, NR],
    axisFile: 'nmf.components.axis.npy',
    axisName: 'r',
  });
  const frac = new Float32Array(NY * NX * K);
  for (let p = 0; p < NY * NX; p++) {
    const w = [1 + (p % NX), 1 + Math.floor(p / NX), 3];
    const s = w[0] + w[1] + w[2];
    for (let j = 0; j < K; j++) frac[p * K + j] = (100 * w[j]) / s;
  }
  put('nmf.fractions.npy', [NY, NX, K], frac);
  out({
    node: 'nmf',
    op: 'decompose.nmf',
    field: 'fractions',
    file: 'nmf.fractions.npy',
    kind: 'maps',
    shape: [NY, NX, K],
    unit: '%',
  });

  const node = (
    op: string,
    params: Record<string, Json>,
    inputNodes: Record<string, string>,
    status: ManifestNode['status'] = 'computed',
  ): ManifestNode => ({
    op,
    opVersion: 1,
    scope: op.startsWith('decompose') || op.startsWith('qoi.sro') ? 'dataset' : 'frame',
    params,
    key: `key-${op}-${Object.keys(params).join('')}`.padEnd(32, '0'),
    valueHash: `vh-${op}`.padEnd(32, '0'),
    status,
    seconds: 0.123,
    inputs: Object.fromEntries(Object.keys(inputNodes).map((p) => [p, `vh-in-${p}`.padEnd(32, '0')])),
    inputNodes,
    chunks: { total: 4, computed: status === 'computed' ? 4 : 0, cached: status === 'cached' ? 4 : 0 },
  });
  const nodes: Record<string, ManifestNode> = {
    frames: node('source.frames', {}, {}, 'cached'),
    geom: node('calib.geometry', { center: 'auto', qPerPixel: 0.02 }, { frames: 'frames' }, 'cached'),
    iq: node('integrate.azimuthal', { bins: NQ }, { frames: 'frames', geometry: 'geom' }, 'cached'),
    pdf: node('pdf.reduce', { composition: 'Zr50Cu50', qmax: 14 }, { iq: 'iq' }, 'cutoff'),
    peak: node('qoi.peak', { range: [2.2, 3.0] }, { curve: 'pdf.G' }),
    fit: node('fit.gaussians', { n: 2, range: [2.1, 4.0] }, { curve: 'pdf.G' }),
    nmf: node('decompose.nmf', { components: K }, { curves: 'pdf.G' }),
    sro: node('qoi.sro', {}, { fractions: 'nmf.fractions' }),
  };
  const manifest: Manifest = {
    run: 'run-20250101-abcdef',
    created: '2025-01-01T00:00:00.000Z',
    graph: {
      snem: 1,
      name: 'fabricated',
      dataset: { path: 'frames.npy' },
      nodes: {},
      outputs: ['peak', 'sro', 'iq', 'pdf', 'fit', 'nmf'],
    },
    graphFile: 'graph.json',
    graphHash: 'g'.repeat(32),
    datasetHash: 'd'.repeat(32),
    dataset: {
      path: 'frames.npy',
      format: 'npy',
      scan: [NY, NX],
      frameShape: [64, 64],
      dtype: 'uint8',
      meta: { scanStepNm: opts.step ?? [2, 1.5], beamEnergyKeV: 300 },
    },
    engineVersion: '0.1.0',
    overrides: [],
    workers: 2,
    chunkSize: 16,
    seconds: 1.5,
    nodes,
    outputs,
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, manifest, arrays };
}
