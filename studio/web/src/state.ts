/**
 * The studio's state and the actions that change it. Every analysis change is a graph edit sent
 * to the server (which keeps the undo history); display choices (colormap, log, limits while
 * dragging) stay here and never go to the server until committed as a node's `display`.
 */
import {
  api,
  ApiError,
  ndarray,
  type ArrayFrame,
  type Edit,
  type GeometryInfo,
  type Graph,
  type GraphState,
  type MapInfo,
  type OpSpec,
  type PlanEntry,
  type Preview,
  type Problem,
  type ServerEvents,
  type Session,
} from './lib/api.ts';
import type { Scale } from './lib/colour.ts';
import type { Roi } from './lib/roi.ts';
import type { RoiBody } from './lib/api.ts';
import { Store } from './lib/store.ts';
import type { Detector } from './lib/detectors.ts';

export interface Position {
  iy: number;
  ix: number;
}
export interface RunState {
  running: boolean;
  runId: string | null;
  nodes: string[];
  status: Record<string, string>;
  seconds: Record<string, number>;
  pass: string;
  done: number;
  total: number;
  message: string;
  error: Problem | null;
}
export interface StudioState {
  session: Session | null;
  ops: Record<string, OpSpec>;
  graph: Graph | null;
  version: number;
  canUndo: boolean;
  canRedo: boolean;
  dirty: boolean;
  readOnly: boolean;
  problems: Problem[];
  notice: string;
  plan: PlanEntry[];
  maps: MapInfo[];
  /** Map arrays by `node.field`, with the run they came from. */
  mapData: Record<string, ArrayFrame>;
  /** Per-map scale chosen in the page (colormap, log, limits). */
  scales: Record<string, Scale>;
  navigator: string[];
  cursor: Position;
  roi: Roi | null;
  /** The ROI's mean curves (with spread) from the latest run, or why there are none. */
  roiCurves: RoiCurves | null;
  roiError: string;
  /** Run the chain view on the ROI's mean pattern instead of the cursor's pattern. */
  roiChain: boolean;
  pinned: Position[];
  pattern: ArrayFrame | null;
  preview: Preview | null;
  previewError: string;
  geometry: Record<string, GeometryInfo>;
  staticMask: Uint8Array | null;
  selectedNode: string | null;
  run: RunState;
  /** The virtual image of the detector being drawn (not yet a node). */
  live: { detector: Detector; frame: ArrayFrame } | null;
}

/** One ROI curve: per-bin mean, σ (population), min, max over the ROI's positions. */
export interface RoiCurve {
  x: Float32Array;
  mean: Float32Array;
  std: Float32Array;
  min: Float32Array;
  max: Float32Array;
}
export interface RoiCurves {
  positions: number;
  failed: number;
  runId: string | null;
  curves: Partial<Record<'I' | 'S' | 'F' | 'G', RoiCurve>>;
}

export const store = new Store<StudioState>({
  session: null,
  ops: {},
  graph: null,
  version: 0,
  canUndo: false,
  canRedo: false,
  dirty: false,
  readOnly: false,
  problems: [],
  notice: '',
  plan: [],
  maps: [],
  mapData: {},
  scales: {},
  navigator: [],
  cursor: { iy: 0, ix: 0 },
  roi: null,
  roiCurves: null,
  roiError: '',
  roiChain: false,
  pinned: [],
  pattern: null,
  preview: null,
  previewError: '',
  geometry: {},
  staticMask: null,
  selectedNode: null,
  run: {
    running: false,
    runId: null,
    nodes: [],
    status: {},
    seconds: {},
    pass: '',
    done: 0,
    total: 0,
    message: '',
    error: null,
  },
  live: null,
});

/** A map is available when the server says so, or when it reports a run status for it. */
const normaliseMaps = (maps: MapInfo[]): MapInfo[] =>
  maps.map((m) => ({ ...m, available: m.available ?? Boolean(m.status) }));

export const mapKey = (m: { node: string; field: string }) => `${m.node}.${m.field}`;
export const scanShape = (): [number, number] => store.get().session?.scan ?? [1, 1];

/** Errors the page shows in its status line (and tests read): never swallowed silently. */
export function report(e: unknown, what: string) {
  if (e instanceof DOMException && e.name === 'AbortError') return;
  if (e instanceof ApiError && e.status === 409 && /supersed/i.test(e.message)) return;
  const msg = e instanceof Error ? e.message : String(e);
  store.set({
    notice: `${what}: ${msg}`,
    problems:
      e instanceof ApiError
        ? (e.body.problems ?? [{ error: e.body.error, node: e.body.node, field: e.body.field }])
        : [],
  });
}

export async function init() {
  const [session, ops] = await Promise.all([api.session(), api.ops()]);
  store.set({
    session,
    ops: Object.fromEntries(ops.map((o) => [o.name, o])),
    readOnly: session.mode === 'readonly',
    maps: normaliseMaps(session.maps),
    cursor: { iy: Math.floor(session.scan[0] / 2), ix: Math.floor(session.scan[1] / 2) },
  });
  applyGraphState(session);
  const first = defaultNavigator(session.maps) ?? virtualNodes()[0] ?? null;
  if (first) store.set({ navigator: [first] });
  listen();
  await Promise.all([
    refreshPlan(),
    loadAvailableMaps(),
    loadGeometry(),
    select(store.get().cursor.iy, store.get().cursor.ix),
  ]);
}

function defaultNavigator(maps: MapInfo[]): string | null {
  const m = maps.find((x) => x.node === 'vbf') ?? maps.find((x) => x.op === 'qoi.virtual') ?? maps[0];
  return m ? mapKey(m) : null;
}

/**
 * Take a graph state from the server unless the page already holds a newer one: an edit's answer
 * can arrive after the event stream delivered a later edit (another tab, a quick second gesture),
 * and must not put the older graph back. Returns whether the graph moved on (then views refresh).
 */
function applyGraphState(s: GraphState): boolean {
  const have = store.get();
  if (have.graph && s.version < have.version) return false;
  store.set({ graph: s.graph, version: s.version, canUndo: s.canUndo, canRedo: s.canRedo, dirty: s.dirty });
  return !have.graph || s.version > have.version;
}

/**
 * Answers of a request the page repeats (plan, map list, geometry) can come back out of order: each
 * call takes a ticket and only the newest ticket's answer is applied.
 */
function latestOnly() {
  let issued = 0;
  return () => {
    const mine = ++issued;
    return () => mine === issued;
  };
}

/** One undoable step: edits applied atomically by the server, which validates them first. */
export async function edit(edits: Edit[], label: string): Promise<boolean> {
  try {
    if (applyGraphState(await api.edit(edits, label))) afterGraphChange();
    store.set({ problems: [], notice: label });
    return true;
  } catch (e) {
    report(e, label);
    return false;
  }
}

export async function undo() {
  try {
    if (applyGraphState(await api.undo())) afterGraphChange();
    store.set({ notice: 'undo', problems: [] });
  } catch (e) {
    report(e, 'undo');
  }
}
export async function redo() {
  try {
    if (applyGraphState(await api.redo())) afterGraphChange();
    store.set({ notice: 'redo', problems: [] });
  } catch (e) {
    report(e, 'redo');
  }
}

function afterGraphChange() {
  void refreshPlan();
  void refreshMaps().catch((e) => report(e, 'maps'));
  const { cursor } = store.get();
  void refreshPreview(cursor.iy, cursor.ix);
  void loadGeometry();
}

const planTicket = latestOnly();
export async function refreshPlan() {
  if (store.get().readOnly) return;
  const current = planTicket();
  try {
    const p = await api.plan();
    if (current()) store.set({ plan: p.entries });
  } catch (e) {
    report(e, 'plan');
  }
}

export async function loadAvailableMaps() {
  for (const key of store.get().navigator) await loadMap(key);
}

/** Keys (`node.value`) of the graph's qoi.virtual nodes: their maps can be had before any run. */
export function virtualNodes(): string[] {
  const g = store.get().graph;
  if (!g) return [];
  const ids = Object.keys(g.nodes).filter(
    (k) =>
      g.nodes[k].op === 'qoi.virtual' &&
      ['disc', 'annulus', 'sector'].includes(String(g.nodes[k].params?.shape ?? 'disc')),
  );
  ids.sort((a, b) => (a === 'vbf' ? -1 : b === 'vbf' ? 1 : 0));
  return ids.map((k) => `${k}.value`);
}

/** A qoi.virtual node's map from /api/virtual (the same op code, no run needed). */
async function virtualMap(node: string): Promise<ArrayFrame> {
  const n = store.get().graph!.nodes[node];
  const f = await api.virtual({
    ...(n.params ?? {}),
    ...(n.in?.geometry ? { geometry: n.in.geometry } : {}),
  });
  return {
    head: { ...f.head, node, field: 'value', unit: f.head.unit ?? 'counts', display: n.display ?? {} },
    data: f.data,
  };
}

const pendingMaps = new Map<string, Promise<ArrayFrame | null>>();

/** A map's array, fetched once: concurrent callers share the request (a second /api/virtual would supersede the first). */
export function loadMap(key: string, force = false): Promise<ArrayFrame | null> {
  const have = store.get().mapData[key];
  if (have && !force) return Promise.resolve(have);
  const pending = pendingMaps.get(key);
  if (pending && !force) return pending;
  const p = (pending ? pending.then(() => fetchMap(key)) : fetchMap(key)).finally(
    () => pendingMaps.get(key) === p && pendingMaps.delete(key),
  );
  pendingMaps.set(key, p);
  return p;
}

async function fetchMap(key: string): Promise<ArrayFrame | null> {
  const m = store.get().maps.find((x) => mapKey(x) === key);
  const node = key.split('.')[0];
  const isVirtual = store.get().graph?.nodes[node]?.op === 'qoi.virtual';
  if (!m?.available && !isVirtual) return null;
  try {
    const f = m?.available ? await api.map(m.node, m.field) : await virtualMap(node);
    store.set((s) => ({ mapData: { ...s.mapData, [key]: f } }));
    return f;
  } catch (e) {
    report(e, `map ${key}`);
    return null;
  }
}

let patternAbort: AbortController | null = null;
let previewAbort: AbortController | null = null;

/** Select a scan position: its pattern and its per-position chain. */
export async function select(iy: number, ix: number) {
  const [ny, nx] = scanShape();
  iy = Math.max(0, Math.min(ny - 1, iy));
  ix = Math.max(0, Math.min(nx - 1, ix));
  store.set({ cursor: { iy, ix }, roi: null, roiCurves: null, roiError: '' });
  roiBody = null;
  patternAbort?.abort();
  patternAbort = new AbortController();
  const sig = patternAbort.signal;
  const pat = api.pattern(iy, ix, sig).then(
    (f) => store.set({ pattern: f }),
    (e) => report(e, 'pattern'),
  );
  await Promise.all([pat, refreshPreview(iy, ix)]);
}

/** The mean pattern over the ROI, and its mean curves from the latest run (the chain view keeps the cursor's position). */
export async function selectRoi(roi: Roi, positions: number[]) {
  store.set({ roi, roiCurves: null, roiError: '' });
  patternAbort?.abort();
  patternAbort = new AbortController();
  const body =
    roi.kind === 'rect'
      ? {
          rect: [
            Math.floor(Math.min(roi.y0, roi.y1) + 0.5),
            Math.floor(Math.min(roi.x0, roi.x1) + 0.5),
            Math.floor(Math.max(roi.y0, roi.y1) + 0.5),
            Math.floor(Math.max(roi.x0, roi.x1) + 0.5),
          ] as [number, number, number, number],
        }
      : { positions };
  roiBody = body;
  const sig = patternAbort.signal;
  const pat = api.patternMean(body, sig).then(
    (f) => store.set({ pattern: f }),
    (e) => report(e, 'ROI mean'),
  );
  const { cursor, roiChain, readOnly } = store.get();
  await Promise.all([
    pat,
    loadRoiCurves(body, sig),
    roiChain && !readOnly ? refreshPreview(cursor.iy, cursor.ix) : null,
  ]);
}

let roiBody: RoiBody | null = null;

/** Drop the ROI: the pattern and chain views go back to the cursor's position. */
export function clearRoi() {
  const { cursor } = store.get();
  void select(cursor.iy, cursor.ix);
}

/** Chain view on the ROI's mean pattern (or back on the cursor's pattern). */
export function setRoiChain(on: boolean) {
  store.set({ roiChain: on });
  const { cursor } = store.get();
  void refreshPreview(cursor.iy, cursor.ix);
}

/** The nodes whose curves the chain view draws: the first I(Q) and PDF of the graph's outputs. */
function chainNodes(): { iq: string | null; pdf: string | null } {
  const g = store.get().graph;
  if (!g) return { iq: null, pdf: null };
  const pick = (op: string) => {
    const ids = Object.keys(g.nodes).filter((k) => g.nodes[k].op === op);
    return ids.find((k) => g.outputs.includes(k) && !/lorch/i.test(k)) ?? ids[0] ?? null;
  };
  return { iq: pick('integrate.azimuthal'), pdf: pick('pdf.reduce') };
}

/** Whether the ROI a request was made for is still the one on screen (a run's end refetches without a signal). */
const stillShown = (roi: RoiBody, signal?: AbortSignal) =>
  !signal?.aborted && roi === roiBody && store.get().roi !== null;

/** The ROI's mean I(Q), S(Q), F(Q), G(r) with spread, from the latest run's stored results. */
async function loadRoiCurves(roi: RoiBody, signal?: AbortSignal) {
  const { iq, pdf } = chainNodes();
  const want: [keyof RoiCurves['curves'], string, string][] = [];
  if (iq) want.push(['I', iq, 'I']);
  if (pdf) for (const f of ['S', 'F', 'G'] as const) want.push([f, pdf, f]);
  try {
    const got = await Promise.all(want.map(([, node, field]) => api.curveMean(node, field, roi, signal)));
    if (!stillShown(roi, signal)) return;
    const curves: RoiCurves['curves'] = {};
    got.forEach((m, i) => {
      curves[want[i][0]] = {
        x: ndarray(m.x!) as Float32Array,
        mean: ndarray(m.mean) as Float32Array,
        std: ndarray(m.std) as Float32Array,
        min: ndarray(m.min) as Float32Array,
        max: ndarray(m.max) as Float32Array,
      };
    });
    store.set({
      roiCurves: {
        positions: got[0]?.positions ?? 0,
        failed: got[0]?.failed ?? 0,
        runId: got[0]?.runId ?? null,
        curves,
      },
      roiError: '',
    });
  } catch (e) {
    if (!stillShown(roi, signal)) return;
    store.set({
      roiCurves: null,
      roiError:
        e instanceof ApiError && e.status === 409
          ? 'ROI mean curves come from a run on the scan: run the graph first'
          : e instanceof Error
            ? e.message
            : String(e),
    });
  }
}

/** Recompute the chain at a position, for the current graph or an unsaved variant of it. */
export async function refreshPreview(iy: number, ix: number, variant?: Graph) {
  previewAbort?.abort();
  previewAbort = new AbortController();
  try {
    const { readOnly, roi, roiChain } = store.get();
    const onRoi = roi && roiChain && roiBody ? roiBody : undefined;
    const p = readOnly
      ? await runCurves(iy, ix, previewAbort.signal)
      : await api.preview(iy, ix, variant, previewAbort.signal, onRoi);
    store.set({ preview: p, previewError: '' });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') return;
    store.set({ previewError: e instanceof Error ? e.message : String(e) });
  }
}

/** The chain at a position for the current graph: previewed, or the run's curves when read-only. */
export const chainAt = (iy: number, ix: number): Promise<Preview> =>
  store.get().readOnly ? runCurves(iy, ix, new AbortController().signal) : api.preview(iy, ix);

/**
 * A read-only session (snem serve RUN_DIR) previews nothing: the chain view shows the run's stored
 * curves of that position instead, in the preview's shape, and its map values as the QoIs.
 */
async function runCurves(iy: number, ix: number, signal: AbortSignal): Promise<Preview> {
  const g = store.get().graph!;
  const nodes: Preview['nodes'] = {};
  const want: [string, string[]][] = [];
  for (const [id, n] of Object.entries(g.nodes)) {
    if (!g.outputs.includes(id)) continue;
    if (n.op === 'integrate.azimuthal') want.push([id, ['I']]);
    if (n.op === 'pdf.reduce') want.push([id, ['S', 'F', 'G']]);
  }
  for (const [id, fields] of want) {
    const node: Preview['nodes'][string] = { op: g.nodes[id].op, fields: {}, axes: {} };
    for (const f of fields) {
      try {
        const c = await api.curve(id, f, iy, ix, signal);
        node.fields[f] = c.y;
        node.axes![c.axisName ?? (f === 'G' ? 'r' : 'q')] = c.x;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
    }
    nodes[id] = node;
  }
  const { mapData, maps } = store.get();
  for (const m of maps) {
    const f = mapData[mapKey(m)];
    if (!f) continue;
    const v = f.data[iy * f.head.shape[1] + ix];
    const b = new Uint8Array(new Float32Array([v]).buffer);
    const node = (nodes[m.node] ??= { op: m.op, fields: {}, units: {} });
    node.fields[m.field] = { dtype: 'float32', shape: [1], b64: btoa(String.fromCharCode(...b)) };
    (node.units ??= {})[m.field] = m.unit;
  }
  return { iy, ix, ms: 0, nodes };
}

const geometryTicket = latestOnly();
/**
 * Resolved geometry (centre, ellipse, Q/px) of every calib.geometry node, and the static mask, for
 * the current graph (reloaded on every change: an undo or a rewritten mask file changes them too).
 */
export async function loadGeometry() {
  const g = store.get().graph;
  if (!g || store.get().readOnly) return;
  const current = geometryTicket();
  const out: Record<string, GeometryInfo> = {};
  let staticMask: Uint8Array | null = null;
  for (const [id, n] of Object.entries(g.nodes)) {
    try {
      if (n.op === 'calib.geometry') {
        const { center, ellipse, qPerPixel } = (await api.value(id)).meta;
        if (center && ellipse && qPerPixel !== undefined) out[id] = { center, ellipse, qPerPixel };
      } else if (n.op === 'mask.static' && !staticMask) {
        const f = Object.values((await api.value(id)).fields)[0];
        if (f) staticMask = ndarray(f) as Uint8Array;
      }
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) report(e, `value of ${id}`);
    }
  }
  if (current()) store.set({ geometry: out, staticMask });
}

export async function startRun() {
  try {
    const r = await api.run();
    // The event stream may have delivered this run's start and its first node events before the
    // POST's answer: then the state is already this run's, and resetting it would lose them.
    store.set((s) => ({
      run:
        s.run.runId === r.runId
          ? s.run
          : {
              ...s.run,
              running: true,
              runId: r.runId,
              status: {},
              seconds: {},
              done: 0,
              total: 0,
              message: 'starting',
              error: null,
            },
    }));
  } catch (e) {
    report(e, 'run');
  }
}
export async function cancelRun() {
  try {
    await api.cancel();
  } catch (e) {
    report(e, 'cancel');
  }
}

export async function save(path?: string) {
  const version = store.get().version;
  try {
    const r = await api.save(path);
    // An edit made while saving is not in the file: the graph stays dirty (the event stream says so too).
    store.set((s) => ({
      notice: `saved ${r.file} (version ${r.versionId})`,
      dirty: s.version === version ? false : s.dirty,
    }));
  } catch (e) {
    report(e, path ? `save as ${path}` : 'save');
  }
}

/** Server-sent events: graph changes from other tabs, run progress, maps as their nodes finish. */
function listen() {
  const es = api.events();
  const on = <K extends keyof ServerEvents>(name: K, f: (d: ServerEvents[K]) => void) =>
    es.addEventListener(name, (ev) => f(JSON.parse((ev as MessageEvent).data)));
  const setRun = (p: Partial<RunState>) => store.set((s) => ({ run: { ...s.run, ...p } }));
  on('graph', (d) => {
    if (applyGraphState(d)) afterGraphChange();
  });
  // A mask or CIF rewritten on disk: the server re-hashed it; what the page shows from it is stale.
  on('param-files', (d) => {
    const names = d.files.map((f) => `${f.node}.${f.param} (${f.file.split('/').pop()})`).join(', ');
    store.set({ notice: `file changed on disk: ${names} — its new content is used` });
    afterGraphChange();
  });
  on('run-start', (d) =>
    setRun({
      running: true,
      runId: d.runId,
      nodes: d.nodes,
      // A scoped run (only what an edit reaches) reports only the nodes it computes; the rest keep
      // the previous run's results, so they start as cached rather than waiting for an event.
      status: Object.fromEntries(
        d.nodes.map((n: string) => [n, !d.computes || d.computes.includes(n) ? 'pending' : 'cached']),
      ),
      seconds: {},
      done: 0,
      total: 0,
      message: 'running',
      error: null,
    }),
  );
  on('pass', (d) => setRun({ pass: d.label, done: 0, total: d.total }));
  on('chunk', (d) => setRun({ done: d.done, total: d.total }));
  on('node', (d) => {
    const s = store.get().run;
    setRun({ status: { ...s.status, [d.node]: d.status }, seconds: { ...s.seconds, [d.node]: d.seconds } });
    void nodeFinished(d.node);
  });
  on('run-done', (d) => {
    setRun({ running: false, message: `done in ${Number(d.seconds).toFixed(1)} s → ${d.runDir}` });
    void refreshPlan();
    if (store.get().roi && roiBody) void loadRoiCurves(roiBody);
  });
  on('run-error', (d) => setRun({ running: false, message: `failed: ${d.error}`, error: d }));
  on('run-cancelled', () => {
    setRun({ running: false, message: 'cancelled (finished chunks are kept)' });
    void refreshPlan();
  });
}

const mapsTicket = latestOnly();
/** The list of maps the latest run has (an older answer never replaces a newer one). */
async function refreshMaps(): Promise<MapInfo[]> {
  const current = mapsTicket();
  const maps = normaliseMaps(await api.maps());
  if (current()) store.set({ maps });
  return store.get().maps;
}

/** A node finished: its maps are fetchable now; refetch those on screen. */
async function nodeFinished(node: string) {
  const maps = await refreshMaps();
  const shown = new Set([...store.get().navigator, ...Object.keys(store.get().mapData)]);
  for (const m of maps)
    if (m.node === node && m.available && (shown.has(mapKey(m)) || store.get().navigator.length === 0))
      await loadMap(mapKey(m), true);
  if (store.get().navigator.length === 0) {
    const first = defaultNavigator(maps.filter((m) => m.available));
    if (first) store.set({ navigator: [first] });
  }
  if (
    store.get().graph?.nodes[node]?.op === 'calib.geometry' ||
    store.get().graph?.nodes[node]?.op === 'mask.static'
  )
    void loadGeometry();
}
