/**
 * The studio's interactive loop at paper size (289 × 132 = 38,148 patterns of 144 × 144), through
 * its HTTP API as the page uses it:
 * - param edit → chain-view curves: POST /api/graph/edit then GET /api/preview (one position),
 *   edits rotating over mask.auto alpha, pdf.reduce rpoly and qmax, fit.gaussians range;
 * - virtual-detector drag → image over the whole scan: POST /api/virtual (annuli and sectors) from
 *   the polar summary, plus the summary's one-off build and one exact qoi.virtual pass;
 * - one-QoI edit → new map (warm server, everything upstream cached): edit a qoi.expr, POST
 *   /api/run, until its `node` event and GET /api/map have delivered the map;
 * - per-position node edit → new map: the fit window (fit.gaussians recomputed over the scan from
 *   cached G(r), on the worker pool), until the fit's `node` event and its c1 map;
 * - cold start with the polar summary cached: a second studio on the same cache, open → start-up
 *   read-back → first drag image from the summary.
 * Data: SNEM_STUDIO_DATA=DIR (a `snem simulate` directory, only read: the graph is copied to a
 * temporary directory, where the run directories go) or simulated here; cache:
 * SNEM_STUDIO_CACHE=DIR or a temporary one (the first full run then computes everything).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveSimParams } from '../sim/presets.ts';
import { simulateToDir } from '../sim/write.ts';
import { listen } from '../studio/server/server.ts';
import { Studio } from '../studio/server/studio.ts';
import type { BenchRow } from './types.ts';

/** CPU seconds of this process (every thread, workers included) since `from`: a figure the machine's load does not inflate. */
const cpuSeconds = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export async function bench(
  opts: {
    preset?: string;
    edits?: number;
    drags?: number;
    qoiEdits?: number;
    exacts?: number;
    fitEdits?: number;
  } = {},
): Promise<BenchRow[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-bench-studio-'));
  let data = process.env.SNEM_STUDIO_DATA;
  if (!data) {
    data = path.join(tmp, 'data');
    await simulateToDir({ outDir: data, params: resolveSimParams(opts.preset ?? 'paper') });
  }
  const cacheDir = process.env.SNEM_STUDIO_CACHE ?? path.join(tmp, 'cache');
  // The data directory stays untouched: the graph (dataset path made absolute) and the studio's
  // run directories live in the temporary directory.
  const graph = JSON.parse(fs.readFileSync(path.join(data, 'graph.json'), 'utf8'));
  graph.dataset = { ...graph.dataset, path: path.resolve(data, graph.dataset?.path ?? 'frames.npy') };
  const graphFile = path.join(tmp, 'graph.json');
  fs.writeFileSync(graphFile, JSON.stringify(graph));
  const studio = await Studio.open({ target: graphFile, cacheDir });
  const srv = await listen(studio, { port: 0 });
  const base = `http://127.0.0.1:${srv.port}`;
  const post = (p: string, body: unknown) =>
    fetch(base + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const rows: BenchRow[] = [];
  const note = `${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)} at start`;
  try {
    const [ny, nx] = [studio.session.resolved().scan.ny, studio.session.resolved().scan.nx];
    const original = structuredClone(studio.session.graph);
    const at = `iy=${Math.floor(ny / 2)}&ix=${Math.floor(nx / 2)}`;
    let t = performance.now();
    await (await fetch(`${base}/api/preview?${at}`)).json();
    const firstPreview = performance.now() - t;

    // 1. param edit → curves
    const edits = [
      (k: number) => ({ op: 'set', node: 'automask', param: 'alpha', value: 3 + (k % 10) / 10 }),
      (k: number) => ({ op: 'set', node: 'pdf', param: 'rpoly', value: 1 + (k % 5) / 10 }),
      (k: number) => ({ op: 'set', node: 'pdf', param: 'qmax', value: 7.6 + (k % 6) / 10 }),
      (k: number) => ({ op: 'set', node: 'fit', param: 'range', value: [2.1 + (k % 4) / 50, 4.0] }),
    ];
    const times: number[] = [];
    for (let k = 0; k < (opts.edits ?? 40); k++) {
      t = performance.now();
      const r = await post('/api/graph/edit', { edits: [edits[k % edits.length](k)] });
      if (r.status !== 200) throw new Error(`edit refused: ${await r.text()}`);
      const p = (await (await fetch(`${base}/api/preview?${at}`)).json()) as {
        nodes: Record<string, unknown>;
      };
      if (!p.nodes.pdf) throw new Error('preview without pdf');
      times.push(performance.now() - t);
    }
    rows.push({
      name: `studio: param edit → chain-view curves (edit + preview, ${times.length} edits)`,
      value: pct(times, 50),
      unit: 'ms',
      target: 'p50 ≤ 150 ms',
      note: `p95 ${pct(times, 95).toFixed(0)} ms; first preview (prerequisites) ${(firstPreview / 1000).toFixed(1)} s; ${note}`,
    });

    // Back to the graph as opened, so that a warm cache makes the full run below a cached one.
    await post('/api/graph/edit', { edits: [{ op: 'replace', graph: original }] });

    // 2. virtual detector drag: exact passes (the first also starts the summary: computed, or read
    // back from the cache), then drags from the summary.
    const exacts: number[] = [];
    const t2 = performance.now();
    for (let k = 0; k < (opts.exacts ?? 3); k++) {
      t = performance.now();
      const exact = await post('/api/virtual', {
        shape: 'annulus',
        inner: 2.2 + k / 10,
        outer: 3.2,
        unit: 'q',
        stat: 'sum',
        exact: true,
      });
      if (exact.status !== 200) throw new Error(`exact virtual: ${await exact.text()}`);
      await exact.arrayBuffer();
      exacts.push(performance.now() - t);
    }
    await studio.virtual.summaryReady();
    const summaryS = (performance.now() - t2) / 1000;
    const build = studio.virtual.builds.at(-1)!;
    const drags: number[] = [];
    for (let k = 0; k < (opts.drags ?? 30); k++) {
      const body =
        k % 2
          ? { shape: 'annulus', inner: 1.5 + k / 30, outer: 3 + k / 20, unit: 'q', stat: 'sum' }
          : {
              shape: 'sector',
              inner: 2 + k / 40,
              outer: 3.4,
              startDeg: 5 * k,
              endDeg: 5 * k + 80,
              unit: 'q',
              stat: 'mean',
            };
      t = performance.now();
      const r = await post('/api/virtual', body);
      const buf = Buffer.from(await r.arrayBuffer());
      if (JSON.parse(buf.subarray(4, 4 + buf.readUInt32LE(0)).toString()).exact !== false)
        throw new Error('not from the summary');
      drags.push(performance.now() - t);
    }
    rows.push({
      name: `studio: virtual-detector drag → image, ${ny * nx} patterns (polar summary)`,
      value: pct(drags, 50),
      unit: 'ms',
      target: '≤ 1 s after mouse stop',
      note: `p95 ${pct(drags, 95).toFixed(0)} ms; summary ${build.computedChunks ? `computed (${build.computedChunks} chunks)` : `read back from the cache (${build.cachedChunks} chunks)`} in ${build.seconds.toFixed(1)} s (alongside the exact passes; ready ${summaryS.toFixed(1)} s after the first request)`,
    });
    rows.push({
      name: `studio: virtual-detector exact qoi.virtual pass → image, ${ny * nx} patterns`,
      value: pct(exacts, 50) / 1000,
      unit: 's',
      note: `p95 ${(pct(exacts, 95) / 1000).toFixed(2)} s; ${exacts.length} passes ${exacts.map((x) => (x / 1000).toFixed(2)).join(' / ')} s`,
    });

    // 3. one-QoI edit → new map
    const events: { event: string; data: Record<string, unknown>; t: number }[] = [];
    const emit = studio.events.emit.bind(studio.events);
    studio.events.emit = (event: string, d: unknown) => {
      events.push({ event, data: d as Record<string, unknown>, t: performance.now() });
      emit(event, d);
    };
    const waitFor = async (pred: (e: (typeof events)[number]) => boolean, from: number) => {
      for (;;) {
        const e = events.slice(from).find(pred);
        if (e) return e;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    t = performance.now();
    await post('/api/run', {});
    await studio.runs.settle();
    const fullRunS = (performance.now() - t) / 1000;
    // A value new to the cache in every bench run, so each edit really computes (a warm cache from an
    // earlier run would otherwise answer it).
    const salt = (Date.now() % 100_000) / 1e6;
    const qoi: number[] = [];
    const qoiCpu: number[] = [];
    for (let k = 0; k < (opts.qoiEdits ?? 3); k++) {
      await post('/api/graph/edit', {
        edits: [
          { op: 'set', node: 'r1r2', param: 'expr', value: `fit.c1 + ${(k + 2 + salt).toFixed(6)} * fit.c2` },
        ],
      });
      const from = events.length;
      t = performance.now();
      const cpu0 = process.cpuUsage();
      await post('/api/run', {});
      await waitFor((e) => e.event === 'node' && e.data.node === 'r1r2', from);
      const m = await fetch(`${base}/api/map?node=r1r2`);
      if (m.status !== 200) throw new Error(`map: ${m.status}`);
      await m.arrayBuffer();
      qoi.push(performance.now() - t);
      qoiCpu.push(cpuSeconds(cpu0));
      await studio.runs.settle();
    }
    rows.push({
      name: 'studio: one-QoI edit (qoi.expr) → new map, warm server, upstream cached',
      value: pct(qoi, 50) / 1000,
      unit: 's',
      target: '≤ 1 s',
      note: `p95 ${(pct(qoi, 95) / 1000).toFixed(2)} s; runs ${qoi.map((x) => (x / 1000).toFixed(2)).join(' / ')} s (CPU ${qoiCpu.map((x) => x.toFixed(2)).join(' / ')} s); first full run ${fullRunS.toFixed(0)} s; ${os.availableParallelism()} cores, load ${os.loadavg()[0].toFixed(1)}`,
    });

    // 4. a per-position node's param (the fit window) → its new map
    const fitRange = original.nodes.fit?.params?.range as number[] | undefined;
    const fitTimes: number[] = [];
    const fitCpu: number[] = [];
    for (let k = 0; fitRange && k < (opts.fitEdits ?? 1); k++) {
      await post('/api/graph/edit', {
        edits: [
          {
            op: 'set',
            node: 'fit',
            param: 'range',
            value: [fitRange[0] + 0.02 * (k + 1) + salt, fitRange[1]],
          },
        ],
      });
      const from = events.length;
      t = performance.now();
      const cpu0 = process.cpuUsage();
      await post('/api/run', {});
      await waitFor((e) => (e.event === 'node' && e.data.node === 'fit') || e.event === 'run-error', from);
      const m = await fetch(`${base}/api/map?node=fit&field=c1`);
      if (m.status !== 200) throw new Error(`fit map: ${m.status} ${await m.text()}`);
      await m.arrayBuffer();
      fitTimes.push(performance.now() - t);
      fitCpu.push(cpuSeconds(cpu0));
      await studio.runs.settle();
    }
    if (fitTimes.length)
      rows.push({
        name: 'studio: per-position node edit (fit.gaussians range) → new fit map, upstream cached, paper size',
        value: pct(fitTimes, 50) / 1000,
        unit: 's',
        note: `runs ${fitTimes.map((x) => (x / 1000).toFixed(1)).join(' / ')} s, CPU ${fitCpu.map((x) => x.toFixed(1)).join(' / ')} s over both cores (fit + r1r2 recomputed over the scan on both cores, G(r) read from the cache); load ${os.loadavg()[0].toFixed(1)}`,
      });
    await srv.close();

    // 5. cold start with the polar summary cached: open → start-up read-back → first drag image
    t = performance.now();
    const second = await Studio.open({ target: graphFile, cacheDir });
    try {
      const opened = performance.now() - t;
      await second.virtual.prefetch();
      const v = await second.virtual.image({
        shape: 'annulus',
        inner: 2.0,
        outer: 3.0,
        unit: 'q',
        stat: 'sum',
      });
      if (v.header.exact !== false) throw new Error('cold start: first drag not from the summary');
      const b = second.virtual.builds[0];
      rows.push({
        name: 'studio: cold start → first drag image, polar summary cached (paper size)',
        value: (performance.now() - t) / 1000,
        unit: 's',
        note: `open ${(opened / 1000).toFixed(2)} s, summary read back in ${b.seconds.toFixed(1)} s (${b.computedChunks} chunks computed); load ${os.loadavg()[0].toFixed(1)}`,
      });
    } finally {
      await second.close();
    }
    return rows;
  } finally {
    await srv.close().catch(() => {});
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await bench())
    console.log(
      `${r.name}: ${r.value.toFixed(3)} ${r.unit}${r.target ? ` (target ${r.target})` : ''}${r.note ? ` — ${r.note}` : ''}`,
    );
}
