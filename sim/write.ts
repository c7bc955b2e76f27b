/**
 * `snem simulate`: render a whole scan to DIR/frames.npy with worker threads (both cores), streamed
 * chunk by chunk (bounded memory: at most two chunks in flight per worker), then the ground truth,
 * meta.json, the structure model's reference partials (partials.csv) and a ready graph.json.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { nd } from '../engine/ndarray.ts';
import type { Json } from '../engine/types.ts';
import { canonicalJson } from '../engine/canonical-json.ts';
import { electronWavelengthA } from '../formats/wavelength.ts';
import { NpyStreamWriter, writeNpy } from '../formats/npy.ts';
import { addElementalMapNodes, writeElementalMaps } from './elemental-maps.ts';
import { MEAN_COORDINATION, PAIR_SHAPES } from './partials.ts';
import { partialsCsv, referencePartials, type ReferencePartials } from './references.ts';
import type { SimParams } from './presets.ts';
import { INCLUSION_LATTICE, NI_LATTICE, RHO_STEP, Renderer, simGeometry } from './render.ts';
import { ORIENTATION_TRUTH, orientationTruth } from './crystal-truth.ts';
import { TRUTH_MAPS, TRUTH_R, truthCurves, truthMaps, truthPositions } from './truth.ts';

/** Bump when the rendered frames or truth change for the same params. */
export const SIM_VERSION = 5; // 4: synthetic elemental (EELS) maps in truth/; 5: the study's glass (partial shapes, close-packed X–X order)
export const GENERATOR = { name: 'snem-sim', version: SIM_VERSION };

/** Hash of everything that determines the dataset (params + generator version). */
export function simParamsHash(p: SimParams): string {
  return crypto
    .createHash('sha256')
    .update(canonicalJson({ p, v: SIM_VERSION }))
    .digest('hex')
    .slice(0, 16);
}

export interface SimulateOptions {
  outDir: string;
  params: SimParams;
  /** Worker threads (default: all cores, at most 2 on this project's target machine ↔ os.availableParallelism()). 0 = render in this thread. */
  workers?: number;
  /** Positions per chunk. */
  chunk?: number;
  log?: (msg: string) => void;
  /** Graph to copy into DIR/graph.json (its dataset.path is set to frames.npy). */
  graphFile?: string;
}

export interface SimulateResult {
  outDir: string;
  patterns: number;
  seconds: number;
  /** Seconds spent rendering and writing frames only. */
  frameSeconds: number;
  paramsHash: string;
}

/** Render frames [start, start+count) in parallel and hand each chunk to `sink` (any order). */
export async function renderParallel(
  params: SimParams,
  workers: number,
  chunk: number,
  sink: (start: number, frames: Uint8Array) => void,
): Promise<void> {
  const total = params.ny * params.nx;
  const chunks: [number, number][] = [];
  for (let s = 0; s < total; s += chunk) chunks.push([s, Math.min(chunk, total - s)]);
  if (workers <= 0) {
    const r = new Renderer(params);
    for (const [s, n] of chunks) sink(s, r.renderRange(s, n));
    return;
  }
  const entry = new URL('./worker-entry.js', import.meta.url);
  const pool = Array.from(
    { length: Math.min(workers, chunks.length) },
    () => new Worker(entry, { workerData: { params } }),
  );
  let next = 0;
  try {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let inFlight = 0;
            const feed = () => {
              while (inFlight < 2 && next < chunks.length) {
                const [s, n] = chunks[next++];
                inFlight++;
                w.postMessage({ start: s, count: n });
              }
              if (inFlight === 0) resolve();
            };
            w.on('message', (m: { ready?: boolean; start: number; buf: Uint8Array }) => {
              if (m.ready) return feed();
              inFlight--;
              try {
                sink(m.start, m.buf);
              } catch (e) {
                reject(e as Error);
                return;
              }
              feed();
            });
            w.once('error', reject);
            w.once('exit', (code) => {
              if (code !== 0) reject(new Error(`simulator worker exited with code ${code}`));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, 8));
}

/** The integrate.azimuthal params that set the Q resolution of an integrated pattern. */
export interface IntegrationResolution {
  split?: 'none' | 'bbox' | 'full';
  bins?: number;
  qMin?: number;
  qMax?: number;
}

/**
 * Gaussian σ (Å⁻¹) of the Q resolution of this simulator's patterns integrated by
 * integrate.azimuthal: pdf.reduce's qResolution, an instrument calibration (the detector's, not the
 * specimen's). Independent radial blurs add their variances, in corrected-radius pixels:
 *  - the detector point spread, a Gaussian of σ = psfSigma applied to the radial profile in ρ;
 *  - the renderer reads that profile at each pixel centre by linear interpolation between samples
 *    RHO_STEP apart: at fraction t the error is t(1 − t)·RHO_STEP²/2·I'', over t that is
 *    RHO_STEP²/12·I'' = a Gaussian's σ²/2·I'' with σ² = RHO_STEP²/6;
 *  - pixels are point samples at their centres (no aperture); split none averages the centres
 *    falling in a bin: a box of the bin width Δ, Δ²/12;
 *  - split bbox besides spreads each pixel evenly over its radius range, which at azimuth φ is
 *    w = |cos φ| + |sin φ| wide. Every azimuth gives a bin the same weight (ρ dρ dφ pixels, each
 *    weighted Δ/w), so the kernel is the azimuthal mean of boxes of width w:
 *    ⟨w²⟩/12 = (1 + ⟨|sin 2φ|⟩)/12 = (1 + 2/π)/12 (not 1/12: the diagonal pixels reach √2 wide);
 *  - split full shares each pixel by its exact area: the radial projection of a unit square has
 *    variance 1/12 at every φ.
 * (The ellipse, b/a 0.97, changes a pixel's corrected-radius extent by < 2 %; left out.)
 * The simulator's graph does not set it. With it on pdf and pdfLorch (the references then blurred
 * to match, addModelReferences) the bond maps' worst mean bias falls from 4.7–5.1 to 1.8–2.2 pp and
 * Zr–X agrees better, but the α sign agreement drops on seeds 1/2/7 (0.890/0.952/0.868 →
 * 0.808/0.896/0.824; 0.790/0.891/0.824 with unblurred references) and X–X a little: the glass-mean
 * α moves from ≈ +0.015 to ≈ +0.05 above the truth (P_XX now under, where before the Zr–X and X–X
 * excesses cancelled in α).
 */
export function simQResolution(p: SimParams, iq: IntegrationResolution = {}): number {
  const g = simGeometry(p);
  const split = iq.split ?? 'bbox';
  const qMin = iq.qMin ?? 0;
  // integrate.azimuthal's default qMax is the largest complete ring; the detector's half width is close enough for a bin term this small.
  const qMax = iq.qMax ?? (p.size / 2) * g.qPerPixel;
  const binPx = (qMax - qMin) / (iq.bins ?? 400) / g.qPerPixel;
  const pixelBox = split === 'bbox' ? (1 + 2 / Math.PI) / 12 : split === 'full' ? 1 / 12 : 0;
  return g.qPerPixel * Math.sqrt(p.psfSigma ** 2 + RHO_STEP ** 2 / 6 + binPx ** 2 / 12 + pixelBox);
}

/** r axis of the reference partials written into the graph and partials.csv (Å): 1–8 Å in 0.01 Å steps. */
export const PARTIALS_AXIS = { rmin: 1, rstep: 0.01, n: 701 } as const;

/** Partials already computed in this process, by their inputs (read only by every caller). */
const partialsMemo = new Map<string, ReferencePartials>();

/**
 * The model's reference partials for the transform band of a decompose.assign node (its qmin, qmax),
 * blurred by the Q resolution σ (Å⁻¹) its G(r) was reduced with (0: none; see sim/references.ts).
 * Memoised: `snem simulate` needs the same curves for partials.csv and for graph.json (~0.1 s each).
 */
export function modelPartials(p: SimParams, qmin = 0.1, qmax = 8.1, qResolution = 0): ReferencePartials {
  const key = JSON.stringify([p.composition, qmin, qmax, qResolution]);
  let got = partialsMemo.get(key);
  if (!got) {
    got = referencePartials({ composition: p.composition, qmin, qmax, ...PARTIALS_AXIS, qResolution });
    partialsMemo.set(key, got);
  }
  return got;
}

type GraphNodes = Record<
  string,
  { op: string; in?: Record<string, string>; params?: Record<string, Json>; description?: string }
>;

/** The node ids `id` reads, one step up (an input "pdf.G" names node pdf). */
function inputsOf(nodes: GraphNodes, id: string): string[] {
  return Object.values(nodes[id]?.in ?? {})
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.split('.')[0]);
}

/**
 * The qResolution (Å⁻¹, 0 when unset) of the pdf.reduce node(s) whose G(r) node `id` reads, through
 * any chain of nodes (smoothing, NMF, …): the resolution the curves there carry. Throws when the
 * nearest pdf.reduce nodes upstream disagree (one set of references cannot match both).
 */
export function upstreamQResolution(nodes: GraphNodes, id: string): number {
  const found = new Map<number, string>();
  const seen = new Set<string>([id]);
  const queue = inputsOf(nodes, id);
  while (queue.length > 0) {
    const cur = queue.shift()!;
    if (seen.has(cur) || !nodes[cur]) continue;
    seen.add(cur);
    if (nodes[cur].op === 'pdf.reduce') {
      const sigma = nodes[cur].params?.qResolution;
      found.set(typeof sigma === 'number' ? sigma : 0, cur);
      continue;
    }
    queue.push(...inputsOf(nodes, cur));
  }
  if (found.size > 1)
    throw new Error(
      `node '${id}' reads pdf.reduce nodes of different qResolution (${[...found].map(([s, n]) => `${n}: ${s}`).join(', ')}); one set of reference partials cannot match both`,
    );
  return found.size === 1 ? [...found.keys()][0] : 0;
}

/**
 * Feeds the structure model's reference partials to every decompose.assign node of `graph` that has
 * no references yet (a decompose.references node, referencesWeighted: true, baseline linear, the
 * range of the NMF node it reads), with the Q resolution of the pdf.reduce node upstream.
 * Returns the assign nodes it wired.
 */
export function addModelReferences(graph: Record<string, Json>, p: SimParams): string[] {
  const nodes = graph.nodes as GraphNodes;
  const wired: string[] = [];
  /** References node per (qmin, qmax, qResolution) made here. */
  const made = new Map<string, string>();
  for (const [id, node] of Object.entries(nodes)) {
    if (node.op !== 'decompose.assign' || node.in?.references) continue;
    const qmin = typeof node.params?.qmin === 'number' ? node.params.qmin : 0.1;
    const qmax = typeof node.params?.qmax === 'number' ? node.params.qmax : 8.1;
    const sigma = upstreamQResolution(nodes, id);
    const key = `${qmin},${qmax},${sigma}`;
    let refId = made.get(key);
    if (!refId) {
      refId = 'modelPartials';
      for (let k = 2; nodes[refId]; k++) refId = `modelPartials${k}`;
      made.set(key, refId);
      const ref = modelPartials(p, qmin, qmax, sigma);
      const blur =
        sigma > 0
          ? `, blurred in Q by the Gaussian of sigma ${sigma.toFixed(4)} 1/A the G(r) upstream was reduced with (pdf.reduce qResolution: the data's G(r) keeps that damping, about exp(-sigma^2 r^2/2))`
          : '';
      nodes[refId] = {
        op: 'decompose.references',
        params: {
          rmin: PARTIALS_AXIS.rmin,
          rstep: PARTIALS_AXIS.rstep,
          curves: Object.fromEntries(
            Object.entries(ref.curves).map(([k, c]) => [k, Array.from(c, (v) => Number(v.toPrecision(6)))]),
          ),
        },
        description: `The simulator's structure model: reference partial PDFs per pair type (partials.ts, each at the mean coordination), weighted by f_a f_b/<f>^2 at the nominal composition ${p.composition}${blur} and transformed over Q ${qmin}-${qmax} 1/A, i.e. per unit pair fraction as they enter G(r). What an MD or small-box model gives for the glass; no position's truth.`,
      };
    }
    node.in = { ...(node.in ?? {}), references: refId };
    // Partials that model the whole curve, first minimum and second shell included, can be fitted
    // over every r the NMF components were fitted over (more samples, less noise), with a straight
    // line besides the constant for the smooth F(Q) error of the reduction (unmix.ts). The built-in
    // shells of snem-bmg.json model only the first-shell peaks: they keep their narrower window and
    // a constant (a line would trade off against their missing tails).
    const nmfRange = nodes[node.in?.nmf ?? '']?.params?.range;
    node.params = { ...(node.params ?? {}), referencesWeighted: true, baseline: 'linear' };
    if (Array.isArray(nmfRange) && nmfRange.length === 2) node.params.range = nmfRange;
    wired.push(id);
  }
  return wired;
}

/**
 * The tiny preset's 8 × 16 scan is too small for two steps of the study graph: the Ni columns hold
 * the largest ring sums, so "amorphous" at half the ring sum's range leaves no glass position for
 * the NMF region (the graph failed: "only 0 positions left after the mask") — a fifth of the range
 * keeps the glass; and registering the EELS map on 128 positions does not converge (|r| 0.23), so
 * those nodes are left out. Returns what it changed.
 */
function fitTinyScan(g: Record<string, Json>, p: SimParams): string | null {
  if (p.preset !== 'tiny') return null;
  const nodes = g.nodes as GraphNodes | undefined;
  const changed: string[] = [];
  const node = nodes?.amorphous;
  if (node?.params && node.params.mode === 'fraction' && typeof node.params.above === 'number') {
    node.params.above = 0.2;
    node.description =
      'tiny preset: ring sum above a fifth of its range (at half, the Ni columns of an 8 × 16 scan leave no glass position)';
    changed.push('amorphous.above 0.5 → 0.2');
  }
  const eels = ['eelsZr', 'eelsZrOnScan', 'eelsZrVsR1'].filter((id) => nodes && Object.hasOwn(nodes, id));
  if (nodes && eels.length) {
    for (const id of eels) delete nodes[id];
    g.outputs = (g.outputs as string[]).filter((o) => !eels.includes(o));
    changed.push(`no ${eels.join(', ')} (registration needs a larger scan)`);
  }
  return changed.length ? `for the tiny scan: ${changed.join('; ')}` : null;
}

/**
 * The graph written next to the frames: graphs/snem-bmg.json (or `graphFile`) with dataset.path →
 * frames.npy and the structure model's reference partials fed to decompose.assign; else a minimal one.
 */
export function simGraph(p: SimParams, graphFile?: string): { graph: Json; note: string } {
  const file =
    graphFile ?? path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'graphs', 'snem-bmg.json');
  if (fs.existsSync(file)) {
    const g = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Json>;
    g.dataset = { ...((g.dataset as Record<string, Json>) ?? {}), path: 'frames.npy' };
    // Besides the dataset path, the only difference from the graph the user runs on real data: the
    // pair-fraction step gets the model's partials (a user would bring their own structure model's),
    // where snem-bmg.json falls back on built-in close-packed shells.
    const wired = addModelReferences(g, p);
    const eels = addElementalMapNodes(g, p, simScanStepNm(p));
    const fitted = fitTinyScan(g, p);
    const note = `copy of ${path.basename(file)} (dataset.path → frames.npy${wired.length ? `; the model's reference partials → ${wired.join(', ')}.references` : ''}${eels.length ? `; the synthetic EELS Zr map → ${eels.join(', ')}` : ''}${fitted ? `; ${fitted}` : ''})`;
    return { graph: g, note };
  }
  return {
    graph: {
      snem: 1,
      name: 'sim-minimal',
      dataset: { path: 'frames.npy' },
      nodes: {
        frames: { op: 'source.frames' },
        vbf: {
          op: 'qoi.virtual',
          in: { frames: 'frames' },
          params: { shape: 'annulus', inner: 9, outer: 17, stat: 'max' },
        },
      },
      outputs: ['vbf'],
    },
    note: 'minimal graph (graphs/snem-bmg.json was not found)',
  };
}

/** Scan step (nm): the paper scan's step, coarser for narrower scans of the same specimen. */
export function simScanStepNm(p: SimParams): number {
  return (p.paperStepNm * 132) / p.nx;
}

export function simMeta(p: SimParams, r: Renderer, extra: Record<string, Json> = {}): Record<string, Json> {
  const g = simGeometry(p);
  const lambda = electronWavelengthA(p.beamEnergyKeV * 1000);
  return {
    generator: GENERATOR,
    preset: p.preset,
    seed: p.seed,
    paramsHash: simParamsHash(p),
    params: p as unknown as Json,
    scan: [p.ny, p.nx],
    frameShape: [p.size, p.size],
    dtype: 'uint8',
    center: g.center,
    qPerPixel: g.qPerPixel,
    gPerPixel: g.qPerPixel / (2 * Math.PI),
    ellipse: g.ellipse,
    ellipseConvention:
      'as calib.geometry: a ring of constant Q is an ellipse with semi-axes a >= b, major axis at angleDeg from +col towards +row, axisRatio = b/a; qPerPixel applies to sqrt(ab): rho^2 = k u^2 + v^2/k, k = b/a, (u, v) = offset rotated by -angle',
    beamEnergyKeV: p.beamEnergyKeV,
    wavelength: lambda,
    cameraLengthPx: (2 * Math.PI) / (g.qPerPixel * lambda),
    scanStepNm: simScanStepNm(p),
    composition: p.composition,
    dose: p.dose,
    psfSigmaPx: p.psfSigma,
    beamRadiusPx: (p.beamRadius * p.size) / 144,
    descanPx: p.descan,
    regions: { '0': 'Ni (FCC, a = 3.524 Å)', '1': 'Zr–X glass', '2': 'nanocrystalline inclusion' },
    model: {
      glass: `quasi-binary Zr / X, X = ${Object.keys(r.glass.mix).join('+')} mix in nominal proportions; Percus–Yevick partials + first-shell coordination from pair fractions`,
      firstShellA: { ZrZr: PAIR_SHAPES.ZrZr.r1, ZrX: PAIR_SHAPES.ZrX.r1, XX: PAIR_SHAPES.XX.r1 },
      meanCoordination: MEAN_COORDINATION,
      niLatticeA: NI_LATTICE,
      inclusionLatticeA: INCLUSION_LATTICE,
      grains: r.specimen.grains.length,
      inclusions: r.specimen.inclusions.map((i) => ({
        x: i.x,
        y: i.y,
        r: i.r,
        zone: i.zone,
        zrFraction: i.c,
      })) as unknown as Json,
      deadPixels: Array.from((r as unknown as { dead: Int32Array }).dead, (i) => [
        Math.floor(i / p.size),
        i % p.size,
      ]),
      hotPixels: Array.from((r as unknown as { hot: Int32Array }).hot, (i) => [
        Math.floor(i / p.size),
        i % p.size,
      ]),
    },
    truth: {
      maps: TRUTH_MAPS.map((k) => `truth/${k}.npy`),
      orientation: ORIENTATION_TRUTH.map((k) => `truth/${k}.npy`),
      orientationNote:
        'zone_axis [ny, nx, 3]: drawn zone axis, unit vector in the crystal frame (NaN: no crystal); inplane_deg: angle on the detector of the zone frame e1 = normalise(zone x [100]) (x [010] when zone is within 26 deg of [100]), from +col towards +row, degrees; phase: -1 glass, 0 Ni, 1 inclusion phase (FCC a = inclusionLatticeA)',
      curves:
        'truth/iq_positions.json; truth/q.npy; truth/iq.npy [k, nq] noiseless counts/pixel (PSF included); truth/sq.npy [k, nq] Faber–Ziman S(Q); truth/r.npy; truth/gr.npy [k, nr] G(r) over Q 0.1–8.1',
      grQRange: [TRUTH_R.qmin, TRUTH_R.qmax],
      elementalMaps:
        'truth/eels_{Zr,Ni,Cu,Al}.npy (at.%, own grid) and truth/eels.json (pixel size, true transform to the scan): sim/elemental-maps.ts',
    },
    referencePartials: {
      file: 'partials.csv',
      columns: ['r', 'ZrZr', 'ZrX', 'XX'],
      meaning:
        "the structure model's partials (each pair at the mean coordination, no position's chemistry), weighted by f_a f_b/<f>^2 at the nominal composition and transformed over Q 0.1-8.1 1/A: G(r) per unit pair fraction; graph.json feeds them to decompose.assign",
    },
    ...extra,
  };
}

export async function simulateToDir(opts: SimulateOptions): Promise<SimulateResult> {
  const t0 = performance.now();
  const { params: p, outDir } = opts;
  const log = opts.log ?? (() => {});
  fs.mkdirSync(path.join(outDir, 'truth'), { recursive: true });
  // A stale meta.json must not vouch for half-written frames.
  fs.rmSync(path.join(outDir, 'meta.json'), { force: true });
  const total = p.ny * p.nx;
  const writer = new NpyStreamWriter(
    path.join(outDir, 'frames.npy'),
    'uint8',
    [p.ny, p.nx, p.size, p.size],
    2,
  );
  const workers = opts.workers ?? defaultWorkers();
  let done = 0;
  let lastLog = 0;
  try {
    await renderParallel(p, workers, opts.chunk ?? 256, (start, frames) => {
      writer.writeRows(start, frames);
      done += frames.length / (p.size * p.size);
      const now = performance.now();
      if (now - lastLog > 2000) {
        lastLog = now;
        log(`simulate: ${done}/${total} patterns (${((done / (now - t0)) * 1000).toFixed(0)}/s)`);
      }
    });
    writer.close();
  } catch (e) {
    writer.abort();
    throw e;
  }
  const frameSeconds = (performance.now() - t0) / 1000;

  const r = new Renderer(p);
  const maps = truthMaps(r);
  for (const [k, a] of Object.entries(maps)) writeNpy(path.join(outDir, 'truth', `${k}.npy`), a);
  for (const [k, a] of Object.entries(orientationTruth(r)))
    writeNpy(path.join(outDir, 'truth', `${k}.npy`), a);
  const positions = truthPositions(r);
  const curves = truthCurves(r, positions);
  fs.writeFileSync(path.join(outDir, 'truth', 'iq_positions.json'), JSON.stringify(positions, null, 1));
  writeNpy(path.join(outDir, 'truth', 'q.npy'), nd(Float32Array.from(curves.q), [curves.q.length]));
  writeNpy(path.join(outDir, 'truth', 'iq.npy'), nd(curves.iq, [positions.length, curves.q.length]));
  writeNpy(path.join(outDir, 'truth', 'sq.npy'), nd(curves.sq, [positions.length, curves.q.length]));
  writeNpy(path.join(outDir, 'truth', 'r.npy'), nd(Float32Array.from(curves.r), [curves.r.length]));
  writeNpy(path.join(outDir, 'truth', 'gr.npy'), nd(curves.gr, [positions.length, curves.r.length]));
  writeElementalMaps(outDir, p, simScanStepNm(p), r);

  fs.writeFileSync(path.join(outDir, 'partials.csv'), partialsCsv(modelPartials(p)));
  const { graph, note } = simGraph(p, opts.graphFile);
  fs.writeFileSync(path.join(outDir, 'graph.json'), `${JSON.stringify(graph, null, 2)}\n`);
  const seconds = (performance.now() - t0) / 1000;
  const meta = simMeta(p, r, {
    graphNote: note,
    seconds: Number(seconds.toFixed(2)),
    frameSeconds: Number(frameSeconds.toFixed(2)),
  });
  fs.writeFileSync(path.join(outDir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  log(
    `simulate: ${total} patterns in ${frameSeconds.toFixed(1)} s (${(total / frameSeconds).toFixed(0)}/s), truth and meta in ${(seconds - frameSeconds).toFixed(1)} s`,
  );
  return { outDir, patterns: total, seconds, frameSeconds, paramsHash: simParamsHash(p) };
}
