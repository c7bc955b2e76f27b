/**
 * The live virtual detector: a disc / annulus / sector drawn on the pattern → its image over the
 * whole scan, computed with `qoi.virtual`'s own prepare/process chunk by chunk over the dataset
 * (so the values are exactly what a saved `qoi.virtual` node stores). The pixel list is small
 * (hundreds to a few thousand pixels), so a pass over the paper-size scan is bounded by reading
 * the frames (791 MB, from the page cache after the first pass). A newer request supersedes an
 * older one at the next chunk boundary: while dragging, only the latest shape is finished.
 * Once the polar summary of the scan is there (polar-summary.ts: computed through the engine and
 * cached after the first request, or read back from the cache), sum/mean detectors are answered
 * from it in milliseconds (`exact: false` in the header); `exact: true` forces the exact pass.
 */
import { getOp } from '../../nodes/registry.ts';
import { resolveParams } from '../../engine/params.ts';
import { badRequestFrom, HttpError } from './http-errors.ts';
import type { NDArray, Value } from '../../engine/types.ts';
import type { Studio } from './studio.ts';
import type { Resolved } from './engine-context.ts';
import { loadPolarSummary, type PolarSummary, type SummaryBuild } from './polar-summary.ts';

/** Positions per read: big enough for sequential reads, small enough to notice a newer request soon. */
const CHUNK = 512;
const PARAMS = [
  'shape',
  'radius',
  'inner',
  'outer',
  'startDeg',
  'endDeg',
  'unit',
  'stat',
  'excludeSaturated',
  'center',
  'maskFile',
];

export class VirtualDetector {
  private generation = 0;
  private summary: SummaryEntry | null = null;
  /** Every summary obtained by this session, in order: chunks computed vs read from the cache (tests, bench). */
  readonly builds: SummaryBuild[] = [];

  constructor(private readonly s: Studio) {}

  async image(body: Record<string, unknown>): Promise<{ array: NDArray; header: Record<string, unknown> }> {
    const gen = ++this.generation;
    const t0 = performance.now();
    const ds = this.s.ctx.dataset;
    if (ds?.kind !== 'frames') throw new HttpError(409, 'this session has no 4D dataset');
    const op = getOp('qoi.virtual');
    const given: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) {
      if (k === 'geometry' || k === 'exact') continue;
      if (!PARAMS.includes(k))
        throw new HttpError(400, `virtual detector: unknown field '${k}' (${PARAMS.join(', ')}, geometry)`, {
          field: k,
        });
      if (k === 'maskFile' || k === 'center')
        throw new HttpError(
          400,
          `virtual detector: '${k}' is not available live; add a qoi.virtual node instead`,
          { field: k },
        );
      given[k] = v;
    }
    let params: ReturnType<typeof resolveParams>;
    try {
      params = resolveParams('virtual', op, given);
      op.check?.(params as never, { node: 'virtual', dataset: ds });
    } catch (e) {
      throw badRequestFrom(e);
    }
    const resolved = this.s.session.resolved();
    const { geomId, inputs } = await this.geometryInput(resolved, body.geometry);
    const base = { node: 'virtual', params, scan: resolved.scan, dataset: ds, log: () => {} };
    const state = (await op.prepare!({ ...base, inputs })) as {
      indices(h: number, w: number): Int32Array;
      center: [number, number] | null;
      dx: unknown;
    };
    const total = resolved.scan.ny * resolved.scan.nx;
    const [h, w] = ds.frameShape;
    const p = params as { stat: string; excludeSaturated: boolean };
    const summarisable = (p.stat === 'sum' || p.stat === 'mean') && !p.excludeSaturated && !state.dx;
    if (summarisable) {
      // Started (or read back) on any request; used, after a read-back from the cache if one is
      // going, unless the exact values are asked for (then nothing waits for it).
      const pending = this.summaryFor(state.center ?? [(w - 1) / 2, (h - 1) / 2]);
      const s = body.exact === true ? null : await pending;
      if (s) {
        const idx = state.indices(h, w);
        return {
          array: {
            dtype: 'float32',
            shape: [resolved.scan.ny, resolved.scan.nx],
            data: s.image(idx, p.stat as 'sum' | 'mean'),
          },
          header: {
            ms: Math.round(performance.now() - t0),
            pixels: idx.length,
            params,
            geometry: geomId ?? null,
            unit: 'counts',
            exact: false,
          },
        };
      }
    }
    const out = new Float32Array(total);
    let pixels = 0;
    for (let start = 0; start < total; start += CHUNK) {
      if (gen !== this.generation) throw new HttpError(409, 'superseded by a newer virtual-detector request');
      const count = Math.min(CHUNK, total - start);
      const frames = ds.read(start, count);
      const v = (await op.process!({
        ...base,
        chunk: { index: -1, start, count },
        inputs: { ...inputs, frames: { fields: { frames } } },
        state,
      })) as Value;
      out.set(v.fields.value.data as Float32Array, start);
      pixels = (v.meta?.pixels as number) ?? pixels;
      // Let a newer request in between chunks.
      await new Promise((r) => setImmediate(r));
    }
    return {
      array: { dtype: 'float32', shape: [resolved.scan.ny, resolved.scan.nx], data: out },
      header: {
        ms: Math.round(performance.now() - t0),
        pixels,
        params,
        geometry: geomId ?? null,
        unit: 'counts',
        exact: true,
      },
    };
  }

  /** The geometry the detector is centred by (default: the graph's first calib.geometry), from the preview's prerequisites. */
  private async geometryInput(
    resolved: Resolved,
    requested: unknown,
  ): Promise<{ geomId: string | undefined; inputs: Record<string, Value> }> {
    const geomId =
      typeof requested === 'string'
        ? requested
        : [...resolved.graph.nodes.values()].find((n) => n.op.name === 'calib.geometry')?.id;
    const inputs: Record<string, Value> = {};
    if (geomId) {
      const g = resolved.graph.nodes.get(geomId);
      if (g?.op.name !== 'calib.geometry')
        throw new HttpError(400, `virtual detector: no calib.geometry node '${geomId}'`, {
          field: 'geometry',
        });
      const pre = await this.s.preview.prereqs.get(resolved);
      if (!pre.hashes.has(geomId))
        throw new HttpError(
          409,
          `geometry node '${geomId}' feeds no per-position node, so it has not been computed: wire it or run the graph`,
          { node: geomId },
        );
      inputs.geometry = this.s.preview.prereqs.value(pre, { node: geomId });
    }
    return { geomId, inputs };
  }

  /**
   * The summary about this centre: there, or read back from the cache (awaited: a second or two),
   * or null while it is being computed (started here in the background on first use; a centre
   * change abandons an older one). `onlyIfCached`: start nothing that would compute.
   */
  async summaryFor(center: [number, number], onlyIfCached = false): Promise<PolarSummary | null> {
    const key = JSON.stringify([this.s.ctx.datasetHash, center]);
    if (this.summary?.key !== key) {
      this.summary?.abort.abort();
      const abort = new AbortController();
      let probed!: (cached: boolean) => void;
      const entry: SummaryEntry = {
        key,
        s: null,
        abort,
        done: Promise.resolve(),
        cached: new Promise((r) => (probed = r)),
      };
      entry.done = loadPolarSummary(this.s.ctx, this.s.session.graph, center, abort.signal, {
        onProbed: probed,
        onlyIfCached,
      }).then(
        (r) => {
          if (!r) return;
          entry.s = r.summary;
          this.builds.push(r.build);
        },
        (e) => {
          probed(false);
          entry.error = (e as Error).message;
          if (!abort.signal.aborted)
            process.stderr.write(`snem studio: polar summary failed: ${entry.error}\n`);
        },
      );
      this.summary = entry;
      if (onlyIfCached) entry.done.then(() => this.summary === entry && !entry.s && (this.summary = null));
    }
    const e = this.summary;
    if (!e.s && (await e.cached)) await e.done;
    return e.s;
  }

  /**
   * At start-up: if the summary about the current centre is already in the cache, read it back now,
   * so the first drag is answered from it (nothing is computed when it is not cached).
   */
  async prefetch(): Promise<void> {
    const ds = this.s.ctx.dataset;
    if (ds?.kind !== 'frames') return;
    const resolved = this.s.session.resolved();
    const { inputs } = await this.geometryInput(resolved, undefined);
    const c = inputs.geometry?.fields.center?.data;
    const [h, w] = ds.frameShape;
    await this.summaryFor(c && c.length >= 2 ? [c[0], c[1]] : [(w - 1) / 2, (h - 1) / 2], true);
  }

  /** Resolves when the current summary is there (or failed; tests, benchmark). */
  async summaryReady(): Promise<void> {
    for (let e = this.summary; e; e = this.summary === e ? null : this.summary) await e.done;
  }

  /** Stop a summary still computing (session close). */
  async close(): Promise<void> {
    this.summary?.abort.abort();
    await this.summary?.done;
  }
}

interface SummaryEntry {
  key: string;
  s: PolarSummary | null;
  abort: AbortController;
  done: Promise<void>;
  /** Resolves once the cache has been probed: true when the summary is being read back, not computed. */
  cached: Promise<boolean>;
  error?: string;
}
