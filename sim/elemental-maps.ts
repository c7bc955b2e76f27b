/**
 * Synthetic elemental maps, as an EELS (or EDX) spectrum image of the same specimen would give
 * them: Zr, Ni, Cu and Al in at.%, on the map's own grid — its own pixel size, shifted and rotated
 * a few degrees against the 4D-STEM scan — averaged over each pixel, blurred by the probe and
 * delocalisation, with quantification noise. They exercise source.map → map.register →
 * map.correlate against the truth: the transform is written beside them.
 *
 * An EELS spectrum image comes with a simultaneous annular dark-field (ADF) survey signal on the
 * same grid; it carries thickness, composition and diffraction contrast (Ni grains, inclusions)
 * where the elemental maps of this specimen have almost no structure along the laminate, so it is
 * what registers them (map.register on `eels_ADF`, its transform applied to the elemental maps).
 * Here it is the simulator's own expected pattern (diffuse rings, Bragg spots, direct beam) summed
 * over the annulus ADF_Q at each map pixel, relative to its mean, blurred and noisy like the maps.
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
import { simGeometry, type Renderer } from './render.ts';
import { newLocalState, REGION } from './specimen.ts';

/** Random stream of the maps' noise (the simulator's own streams are 1–5). */
const STREAM_MAPS = 11;

export const MAP_ELEMENTS = ['Zr', 'Ni', 'Cu', 'Al'] as const;
export const MAP_CHANNELS = [...MAP_ELEMENTS, 'ADF'] as const;
type Channel = (typeof MAP_CHANNELS)[number];

/**
 * Collection annulus of the survey ADF signal (Å⁻¹, Q = 2π/d): 18–40 mrad at 200 kV, a medium-angle
 * ADF. It starts beyond the low-order Bragg spots (Ni 111, 200 at 3.1, 3.6 Å⁻¹) that saturate the
 * 8-bit 4D-STEM camera: over 1.5–6 Å⁻¹ the scan's virtual ADF clips them and the ADF does not, a
 * non-linear difference in Ni that moved the registration's optimum by up to 0.5 scan px.
 */
export const ADF_Q = [4.5, 10] as const;

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
  /** Noise σ of the ADF signal, relative to the nominal glass's. */
  adfNoise: 0.005,
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
  maps: Record<Channel, Float32Array>;
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

/** Detector pixels whose Q (Å⁻¹) falls in the ADF annulus. */
function adfPixels(r: Renderer, p: SimParams): Int32Array {
  const qPerPixel = simGeometry(p).qPerPixel;
  const out: number[] = [];
  for (let row = 0; row < p.size; row++)
    for (let col = 0; col < p.size; col++) {
      const q = r.geometry.rho(col, row, 0, 0) * qPerPixel;
      if (q >= ADF_Q[0] && q <= ADF_Q[1]) out.push(row * p.size + col);
    }
  return Int32Array.from(out);
}

export function elementalMaps(p: SimParams, scanStepNm: number, r: Renderer): ElementalMaps {
  const g = ELEMENTAL_MAP_GEOMETRY;
  const specimen = r.specimen;
  const ring = adfPixels(r, p);
  // The expected pattern (diffuse rings, Bragg spots, direct beam) summed over the annulus: what
  // an ADF detector there would collect, at the map pixel's centre (the blur below is the probe's).
  const adfAt = (x: number, y: number) => {
    const img = r.renderExpected(y, x);
    let v = 0;
    for (let i = 0; i < ring.length; i++) v += img[ring[i]];
    return v;
  };
  const mix = xMix(parseComposition(p.composition));
  const nx = Math.round((p.nx * g.coverage[0]) / g.pixelRatio);
  const ny = Math.round((p.ny * g.coverage[1]) / g.pixelRatio);
  const th = (g.rotationDeg * Math.PI) / 180;
  const c = Math.cos(th) / g.pixelRatio,
    s = Math.sin(th) / g.pixelRatio;
  // Scan → map: [u, v] = (1/ratio)·R(θ)·([x, y] − centre) + map centre.
  const cx = (p.nx - 1) / 2 + g.centreShift[0],
    cy = (p.ny - 1) / 2 + g.centreShift[1];
  const tu = (nx - 1) / 2 - (c * cx - s * cy),
    tv = (ny - 1) / 2 - (s * cx + c * cy);
  const det = c * c + s * s;
  const st = newLocalState();
  const sums = Object.fromEntries(MAP_CHANNELS.map((e) => [e, new Float64Array(ny * nx)])) as Record<
    Channel,
    Float64Array
  >;
  const m = g.subSamples;
  for (let v = 0; v < ny; v++)
    for (let u = 0; u < nx; u++) {
      for (let j = 0; j < m; j++)
        for (let i = 0; i < m; i++) {
          const du = u + (i + 0.5) / m - 0.5 - tu,
            dv = v + (j + 0.5) / m - 0.5 - tv;
          const x = (c * du + s * dv) / det,
            y = (-s * du + c * dv) / det;
          specimen.describe(y, x, st);
          let zr = 0,
            ni = 0;
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
      const du = u - tu,
        dv = v - tv;
      sums.ADF[v * nx + u] = adfAt((c * du + s * dv) / det, (-s * du + c * dv) / det) * m * m;
    }
  // ADF relative to its mean over the map, whatever the dose.
  const adfMean = sums.ADF.reduce((a, b) => a + b, 0) / (m * m * nx * ny);
  const rng = new Rng(p.seed, STREAM_MAPS);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.uniform())) * Math.cos(2 * Math.PI * rng.uniform());
  const maps = {} as ElementalMaps['maps'];
  for (const e of MAP_CHANNELS) {
    const unit = e === 'ADF' ? 1 / adfMean : 100;
    const b = blur(
      Float64Array.from(sums[e], (x) => (unit * x) / (m * m)),
      ny,
      nx,
      g.blurPx,
    );
    const noise = e === 'ADF' ? g.adfNoise : g.noisePct;
    maps[e] = Float32Array.from(b, (x) => x + noise * gauss());
  }
  return {
    ny,
    nx,
    pixelSizeNm: scanStepNm * g.pixelRatio,
    scanStepNm,
    matrix: [
      [c, -s, tu],
      [s, c, tv],
    ],
    maps,
  };
}

/** truth/eels_<El>.npy per element and truth/eels.json (grid, pixel size, the true transform, how they were made). */
export function writeElementalMaps(
  outDir: string,
  p: SimParams,
  scanStepNm: number,
  r: Renderer,
): ElementalMaps {
  const em = elementalMaps(p, scanStepNm, r);
  const dir = path.join(outDir, 'truth');
  for (const e of MAP_CHANNELS) writeNpy(path.join(dir, `eels_${e}.npy`), f32([em.ny, em.nx], em.maps[e]));
  const g = ELEMENTAL_MAP_GEOMETRY;
  const info = {
    files: Object.fromEntries(MAP_CHANNELS.map((e) => [e, `truth/eels_${e}.npy`])),
    unit: 'at.% (ADF: relative to the nominal glass)',
    adfAnnulusQ: ADF_Q,
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
 * The graph the simulator writes also imports the spectrum image: its survey ADF channel is
 * registered against a virtual ADF of the scan over the same annulus (map.register estimating
 * offset and rotation), that transform is applied to the Zr map, and the registered Zr map is
 * correlated with r₁max in the glass along the middle row (map.correlate). Only when the graph
 * has the upstream nodes it needs (snem-bmg's frames, geometry, r1, glass).
 */
export function addElementalMapNodes(
  graph: Record<string, unknown>,
  p: SimParams,
  scanStepNm: number,
): string[] {
  const nodes = graph.nodes as Record<
    string,
    { op: string; in?: Record<string, string>; params?: Record<string, unknown>; description?: string }
  >;
  if (!nodes?.frames || !nodes.geometry || !nodes.r1 || !nodes.glass || nodes.eelsZr) return [];
  const pixelSizeNm = [Number((scanStepNm * ELEMENTAL_MAP_GEOMETRY.pixelRatio).toPrecision(6))];
  nodes.eelsAdf = {
    op: 'source.map',
    params: { file: 'truth/eels_ADF.npy', pixelSizeNm, label: 'ADF (EELS survey)', unit: '' },
    description:
      "The simulator's spectrum image, survey ADF channel (its own grid, rotated and shifted against the scan; truth/eels.json holds the true transform).",
  };
  nodes.adf = {
    op: 'qoi.virtual',
    in: { frames: 'frames', geometry: 'geometry' },
    params: { shape: 'annulus', inner: ADF_Q[0], outer: ADF_Q[1], unit: 'q', stat: 'sum' },
    description: "virtual ADF over the survey detector's annulus",
  };
  // The spectrum image is blurred by its probe (blurPx map px) and averaged over its pixels; the
  // virtual ADF samples the scan at points. Blurring the reference alike (in scan px) keeps sharp
  // scan features — Ni/glass interfaces, inclusion rims — from pulling the optimum: RMS error on
  // seed 2 0.69 → 0.40 scan px.
  const g = ELEMENTAL_MAP_GEOMETRY;
  const referenceSigma = Number(Math.hypot(g.blurPx * g.pixelRatio, g.pixelRatio / Math.sqrt(12)).toFixed(2));
  nodes.eelsAdfOnScan = {
    op: 'map.register',
    in: { map: 'eelsAdf', reference: 'adf' },
    params: { estimate: ['offset', 'rotation'], contrast: 'positive', referenceSigma },
  };
  nodes.eelsZr = {
    op: 'source.map',
    params: { file: 'truth/eels_Zr.npy', pixelSizeNm, label: 'Zr (EELS)', unit: 'at.%' },
    description: "The simulator's spectrum image, Zr map (same grid as its ADF channel).",
  };
  nodes.eelsZrOnScan = { op: 'map.register', in: { map: 'eelsZr', transform: 'eelsAdfOnScan' } };
  nodes.eelsZrVsR1 = {
    op: 'map.correlate',
    in: { a: 'eelsZrOnScan.map', b: 'r1.position', mask: 'glass' },
    params: { cuts: [{ row: Math.floor(p.ny / 2) }] },
  };
  const outputs = graph.outputs as string[];
  for (const id of ELEMENTAL_MAP_OUTPUTS) if (!outputs.includes(id)) outputs.push(id);
  return [...ELEMENTAL_MAP_NODES];
}

/** The nodes addElementalMapNodes adds, and those of them it makes outputs. */
export const ELEMENTAL_MAP_NODES = [
  'adf',
  'eelsAdf',
  'eelsAdfOnScan',
  'eelsZr',
  'eelsZrOnScan',
  'eelsZrVsR1',
] as const;
export const ELEMENTAL_MAP_OUTPUTS = ['eelsAdfOnScan', 'eelsZrOnScan', 'eelsZrVsR1'] as const;
