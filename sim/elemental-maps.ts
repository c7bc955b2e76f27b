/**
 * Synthetic elemental maps, as an EELS (or EDX) spectrum image of the same specimen would give
 * them: Zr, Ni, Cu and Al in at.%, on the map's own grid — its own pixel size, shifted and rotated
 * a few degrees against the 4D-STEM scan — averaged over each pixel, blurred by the probe and
 * delocalisation, with quantification noise. They exercise source.map → map.register →
 * map.correlate against the truth: the transform is written beside them.
 *
 * Composition per point: glass at its Zr fraction c with the X elements in nominal proportions;
 * Ni: pure Ni; an inclusion: its own Zr fraction over its crystal fraction of the beam path, the
 * glass around it over the rest (a projected composition, as EELS measures through the foil).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeNpy } from '../formats/npy.ts';
import { f32 } from '../engine/ndarray.ts';
import { parseComposition, xMix } from './composition.ts';
import type { SimParams } from './presets.ts';
import { Rng } from './rng.ts';
import { newLocalState, REGION, Specimen } from './specimen.ts';

/** Random stream of the maps' noise (the simulator's own streams are 1–5). */
const STREAM_MAPS = 11;

export const MAP_ELEMENTS = ['Zr', 'Ni', 'Cu', 'Al'] as const;

/** How the elemental maps are acquired relative to the scan. */
export const ELEMENTAL_MAP_GEOMETRY = {
  /** Map pixel / scan step. */
  pixelRatio: 0.8,
  /** Rotation of the scan in the map, degrees from +column towards +row. */
  rotationDeg: 3.5,
  /** Scan position under the map's centre, relative to the scan's centre (scan px, [x, y]). */
  centreShift: [2.3, -1.6] as [number, number],
  /** Field of view as fractions of the scan's width and height. */
  coverage: [0.9, 0.9] as [number, number],
  /** Gaussian blur σ in map px (probe size and delocalisation). */
  blurPx: 1.0,
  /** Quantification noise σ, at.% (Gaussian). */
  noisePct: 1.5,
  /** Sub-samples per map pixel side (the pixel's area average). */
  subSamples: 3,
} as const;

export interface ElementalMaps {
  ny: number;
  nx: number;
  pixelSizeNm: number;
  scanStepNm: number;
  /** [u, v] (map col, row) = matrix · [x, y, 1] (scan col, row). */
  matrix: [[number, number, number], [number, number, number]];
  maps: Record<(typeof MAP_ELEMENTS)[number], Float32Array>;
}

/** Separable Gaussian blur of a [ny, nx] image, edges clamped. */
function blur(img: Float64Array, ny: number, nx: number, sigma: number): Float64Array {
  if (sigma <= 0) return img;
  const R = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * R + 1 }, (_, i) => Math.exp(-((i - R) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const tmp = new Float64Array(ny * nx);
  const out = new Float64Array(ny * nx);
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) {
      let s = 0;
      for (let i = -R; i <= R; i++) s += k[i + R] * img[y * nx + Math.min(nx - 1, Math.max(0, x + i))];
      tmp[y * nx + x] = s / ks;
    }
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) {
      let s = 0;
      for (let i = -R; i <= R; i++) s += k[i + R] * tmp[Math.min(ny - 1, Math.max(0, y + i)) * nx + x];
      out[y * nx + x] = s / ks;
    }
  return out;
}

export function elementalMaps(p: SimParams, scanStepNm: number): ElementalMaps {
  const g = ELEMENTAL_MAP_GEOMETRY;
  const specimen = new Specimen(p);
  const mix = xMix(parseComposition(p.composition));
  const nx = Math.round((p.nx * g.coverage[0]) / g.pixelRatio);
  const ny = Math.round((p.ny * g.coverage[1]) / g.pixelRatio);
  const th = (g.rotationDeg * Math.PI) / 180;
  const c = Math.cos(th) / g.pixelRatio, s = Math.sin(th) / g.pixelRatio;
  // Scan → map: [u, v] = (1/ratio)·R(θ)·([x, y] − centre) + map centre.
  const cx = (p.nx - 1) / 2 + g.centreShift[0], cy = (p.ny - 1) / 2 + g.centreShift[1];
  const tu = (nx - 1) / 2 - (c * cx - s * cy), tv = (ny - 1) / 2 - (s * cx + c * cy);
  const det = c * c + s * s;
  const st = newLocalState();
  const sums = Object.fromEntries(MAP_ELEMENTS.map((e) => [e, new Float64Array(ny * nx)])) as Record<(typeof MAP_ELEMENTS)[number], Float64Array>;
  const m = g.subSamples;
  for (let v = 0; v < ny; v++)
    for (let u = 0; u < nx; u++) {
      for (let j = 0; j < m; j++)
        for (let i = 0; i < m; i++) {
          const du = u + (i + 0.5) / m - 0.5 - tu, dv = v + (j + 0.5) / m - 0.5 - tv;
          const x = (c * du + s * dv) / det, y = (-s * du + c * dv) / det;
          specimen.describe(y, x, st);
          let zr = 0, ni = 0;
          if (st.region === REGION.ni) ni = 1;
          else {
            zr = st.c;
            if (st.region === REGION.inclusion) {
              const inc = specimen.inclusions[st.inclusion];
              zr = inc.crystalFraction * inc.c + (1 - inc.crystalFraction) * st.c;
            }
          }
          const k = v * nx + u;
          const x1 = 1 - zr - ni;
          sums.Zr[k] += zr;
          sums.Ni[k] += ni + x1 * (mix.Ni ?? 0);
          sums.Cu[k] += x1 * (mix.Cu ?? 0);
          sums.Al[k] += x1 * (mix.Al ?? 0);
        }
    }
  const rng = new Rng(p.seed, STREAM_MAPS);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
  const maps = {} as ElementalMaps['maps'];
  for (const e of MAP_ELEMENTS) {
    const b = blur(Float64Array.from(sums[e], (x) => (100 * x) / (m * m)), ny, nx, g.blurPx);
    maps[e] = Float32Array.from(b, (x) => x + g.noisePct * gauss());
  }
  return { ny, nx, pixelSizeNm: scanStepNm * g.pixelRatio, scanStepNm, matrix: [[c, -s, tu], [s, c, tv]], maps };
}

/** truth/eels_<El>.npy per element and truth/eels.json (grid, pixel size, the true transform, how they were made). */
export function writeElementalMaps(outDir: string, p: SimParams, scanStepNm: number): ElementalMaps {
  const em = elementalMaps(p, scanStepNm);
  const dir = path.join(outDir, 'truth');
  for (const e of MAP_ELEMENTS) writeNpy(path.join(dir, `eels_${e}.npy`), f32([em.ny, em.nx], em.maps[e]));
  const g = ELEMENTAL_MAP_GEOMETRY;
  const info = {
    files: Object.fromEntries(MAP_ELEMENTS.map((e) => [e, `truth/eels_${e}.npy`])),
    unit: 'at.%',
    shape: [em.ny, em.nx],
    pixelSizeNm: em.pixelSizeNm,
    scanStepNm: em.scanStepNm,
    matrix: em.matrix,
    matrixMeaning: '[u, v] (map col, row) = matrix · [x, y, 1] (scan col, row); pixel centres at integers',
    rotationDeg: g.rotationDeg,
    blurSigmaPx: g.blurPx,
    noiseSigmaPct: g.noisePct,
    note: 'pixel-area average of the specimen composition (inclusions: crystal fraction at their own Zr fraction, the rest glass), Gaussian blur, Gaussian noise',
  };
  fs.writeFileSync(path.join(dir, 'eels.json'), `${JSON.stringify(info, null, 1)}\n`);
  return em;
}

/**
 * The graph the simulator writes also imports its Zr map (source.map), registers it against the
 * annulus-sum VDF (brighter where Zr raises ⟨f²⟩, dark over Ni; map.register estimating offset and
 * rotation) and correlates it with r₁max in the glass along the middle row (map.correlate).
 * Only when the graph has those upstream nodes (snem-bmg's vdfSum, r1, glass).
 */
export function addElementalMapNodes(graph: Record<string, unknown>, p: SimParams, scanStepNm: number): string[] {
  const nodes = graph.nodes as Record<string, { op: string; in?: Record<string, string>; params?: Record<string, unknown>; description?: string }>;
  if (!nodes?.vdfSum || !nodes.r1 || !nodes.glass || nodes.eelsZr) return [];
  nodes.eelsZr = {
    op: 'source.map',
    params: { file: 'truth/eels_Zr.npy', pixelSizeNm: [Number((scanStepNm * ELEMENTAL_MAP_GEOMETRY.pixelRatio).toPrecision(6))], label: 'Zr (EELS)', unit: 'at.%' },
    description: "The simulator's synthetic EELS Zr map (its own grid, rotated and shifted against the scan; truth/eels.json holds the true transform).",
  };
  nodes.eelsZrOnScan = { op: 'map.register', in: { map: 'eelsZr', reference: 'vdfSum' }, params: { estimate: ['offset', 'rotation'], contrast: 'positive' } };
  nodes.eelsZrVsR1 = { op: 'map.correlate', in: { a: 'eelsZrOnScan.map', b: 'r1.position', mask: 'glass' }, params: { cuts: [{ row: Math.floor(p.ny / 2) }] } };
  const outputs = graph.outputs as string[];
  for (const id of ['eelsZrOnScan', 'eelsZrVsR1']) if (!outputs.includes(id)) outputs.push(id);
  return ['eelsZr', 'eelsZrOnScan', 'eelsZrVsR1'];
}
