/**
 * The live virtual detectors' per-pattern polar summary (op `summary.polar`: each pattern's sums
 * over 1 px × 22.5° cells about the centre), computed through the engine like any node — keyed by
 * the dataset's content hash, the resolved centre and the op's version/code, stored per chunk in
 * the same LMDB cache as every result, built on the worker pool (both cores) chunk by chunk. A
 * restart or a second studio on the same data and centre reads it back from the cache instead of
 * re-reading 791 MB of patterns; a centre edit builds a new one.
 *
 * A drawn detector's image is then Σ_cells w_c · S_c[position], where w_c is the fraction of the
 * cell's pixels the detector covers (the pixel list comes from `qoi.virtual` itself). Cells wholly
 * inside count exactly; a cell cut by the detector's edge is taken as evenly lit: an approximation
 * while dragging, the exact values come from the exact path and from the node once added.
 * Held cell-major ([cells][positions], the chunks transposed as they are read) so an image is a few
 * contiguous multiply-adds per covered cell (twice as fast as position-major); uint16 for 8-bit detectors.
 */
import { polarLayout, type PolarLayout } from '../../nodes/summary/polar-layout.ts';
import type { GraphDoc } from '../../engine/graph.ts';
import type { EngineContext } from './engine-context.ts';
import { allCached, computeGraph } from './scan-runner.ts';

/** Angular sectors per 1 px ring (the layout version is the op's). */
export const SUMMARY_SECTORS = 16;

export class PolarSummary {
  constructor(
    readonly layout: PolarLayout,
    readonly positions: number,
    private readonly sums: Uint16Array | Float32Array,
  ) {}

  get bytes(): number {
    return this.sums.byteLength;
  }

  /** Approximate sum (or mean) over the detector pixels `idx`, for every position. */
  image(idx: Int32Array, stat: 'sum' | 'mean'): Float32Array {
    const { positions, sums } = this;
    const { cells, cellOf, cellPixels } = this.layout;
    const covered = new Float64Array(cells);
    for (let k = 0; k < idx.length; k++) covered[cellOf[idx[k]]]++;
    const acc = new Float64Array(positions);
    for (let c = 0; c < cells; c++) {
      if (!covered[c]) continue;
      const wgt = covered[c] / cellPixels[c];
      for (let p = 0, base = c * positions; p < positions; p++) acc[p] += wgt * sums[base + p];
    }
    const out = new Float32Array(positions);
    const scale = stat === 'mean' ? 1 / idx.length : 1;
    for (let p = 0; p < positions; p++) out[p] = acc[p] * scale;
    return out;
  }
}

/** How a summary was obtained: chunks computed now vs read from the cache. */
export interface SummaryBuild {
  center: [number, number];
  computedChunks: number;
  cachedChunks: number;
  seconds: number;
}

/** The one-node graph that computes the summary about `center` (dataset and chunking as the session's). */
export function summaryGraph(session: GraphDoc, center: [number, number]): GraphDoc {
  return {
    snem: 1,
    name: 'studio-polar-summary',
    ...(session.dataset ? { dataset: session.dataset } : {}),
    ...(session.chunkSize ? { chunkSize: session.chunkSize } : {}),
    nodes: {
      frames: { op: 'source.frames' },
      polar: { op: 'summary.polar', in: { frames: 'frames' }, params: { center, sectors: SUMMARY_SECTORS } },
    },
    outputs: ['polar'],
  };
}

/**
 * Compute (or read back) the summary about `center` through the engine, then gather its chunks
 * into one array (one chunk decoded at a time). The cache is probed first (`onProbed`: all cached?);
 * `onlyIfCached` returns null instead of computing. Throws Cancelled when `signal` aborts.
 */
export async function loadPolarSummary(
  ctx: EngineContext,
  session: GraphDoc,
  center: [number, number],
  signal: AbortSignal,
  opts: { onProbed?: (cached: boolean) => void; onlyIfCached?: boolean } = {},
): Promise<{ summary: PolarSummary; build: SummaryBuild } | null> {
  const t0 = performance.now();
  const ds = ctx.dataset!;
  const [h, w] = ds.frameShape;
  const resolved = ctx.resolve(summaryGraph(session, center));
  const cached = await allCached(ctx, resolved, ['polar']);
  opts.onProbed?.(cached);
  if (!cached && opts.onlyIfCached) return null;
  const noop = () => {};
  const run = await computeGraph(
    ctx,
    resolved,
    { pass: noop, chunk: noop, node: noop },
    { signal, nodes: ['polar'] },
  );
  const state = run.states.get('polar')!;
  const layout = polarLayout(center, h, w, SUMMARY_SECTORS);
  const positions = resolved.scan.ny * resolved.scan.nx;
  const input = run.exec.chunkedInput('polar', 'sums');
  let sums: Uint16Array | Float32Array | null = null;
  for (let i = 0; i < input.chunks.length; i++) {
    if (signal.aborted) throw new Error('polar summary superseded');
    const a = (await input.chunk(i)).fields.sums;
    if (a.shape[1] !== layout.cells)
      throw new Error(`polar summary: chunk ${i} has ${a.shape[1]} cells, expected ${layout.cells}`);
    sums ??=
      a.dtype === 'uint16'
        ? new Uint16Array(positions * layout.cells)
        : new Float32Array(positions * layout.cells);
    const { start, count } = input.chunks[i];
    const src = a.data as Uint16Array | Float32Array;
    for (let c = 0; c < layout.cells; c++) {
      for (let k = 0, at = c * positions + start; k < count; k++) sums[at + k] = src[k * layout.cells + c];
    }
    // Let requests in between chunks.
    await new Promise((r) => setImmediate(r));
  }
  return {
    summary: new PolarSummary(layout, positions, sums!),
    build: {
      center,
      computedChunks: state.computedChunks,
      cachedChunks: state.cachedChunks,
      seconds: (performance.now() - t0) / 1000,
    },
  };
}
