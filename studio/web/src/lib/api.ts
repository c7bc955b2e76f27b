/**
 * The studio server's HTTP API as typed functions (studio/API.md): JSON for small things, the
 * binary array frame for maps and patterns, NDArrayJson (base64) inside JSON answers.
 */

export interface NDArrayJson {
  dtype: string;
  shape: number[];
  b64: string;
}
export type Graph = {
  snem: 1;
  name?: string;
  description?: string;
  dataset?: Record<string, unknown>;
  nodes: Record<string, NodeDef>;
  outputs: string[];
  [k: string]: unknown;
};
export interface NodeDef {
  op: string;
  in?: Record<string, string>;
  params?: Record<string, unknown>;
  description?: string;
  display?: Record<string, unknown>;
}
export interface MapInfo {
  node: string;
  field: string;
  op: string;
  unit: string | null;
  available: boolean;
  status?: string;
}
export interface GraphState {
  graph: Graph;
  version: number;
  canUndo: boolean;
  canRedo: boolean;
  dirty: boolean;
  warnings?: unknown[];
}
export interface Session extends GraphState {
  mode: 'edit' | 'readonly';
  graphFile: string | null;
  runDir: string | null;
  dataset: {
    path: string;
    format: string;
    scan: [number, number];
    frameShape: [number, number];
    dtype: string;
    meta: Record<string, unknown>;
  } | null;
  scan: [number, number];
  frameShape: [number, number] | null;
  running: boolean;
  maps: MapInfo[];
}
export interface ParamSpec {
  type: string;
  default?: unknown;
  optional?: boolean;
  auto?: boolean;
  unit?: string;
  description?: string;
  values?: string[];
  min?: number;
  max?: number;
  exclusiveMin?: number;
  length?: number;
  file?: boolean;
}
export interface OpSpec {
  name: string;
  version: number;
  scope: 'frame' | 'dataset' | 'reduce';
  title?: string;
  description?: string;
  inputs: Record<string, { scope?: string; optional?: boolean; description?: string }>;
  params: Record<string, ParamSpec>;
  outputs: Record<string, { unit?: string; description?: string }>;
}
export interface Problem {
  error: string;
  node?: string;
  field?: string;
}
export interface PlanEntry {
  node: string;
  op: string;
  status: 'cached' | 'will run';
  why: string;
  chunks?: { total: number; cached: number };
}
export interface PreviewNode {
  op: string;
  fields: Record<string, NDArrayJson>;
  axes?: Record<string, NDArrayJson>;
  meta?: Record<string, unknown>;
  /** Each field's unit as the server resolved it (a fit's area of G(r) in Å⁻¹, not "curve unit × Å"). */
  units?: Record<string, string | null>;
}
export interface Preview {
  iy: number;
  ix: number;
  ms: number;
  /** Set when the chain ran on an ROI's mean pattern (count = positions averaged). */
  roi?: { count: number };
  /** The session's graph version the preview was computed for (absent for an unsaved variant). */
  version?: number;
  nodes: Record<string, PreviewNode>;
  /** Extra curves keyed by the node they belong to. */
  extra?: {
    iqUnmasked?: Record<string, { fields: Record<string, NDArrayJson>; axes: Record<string, NDArrayJson> }>;
    fRaw?: Record<string, { q: NDArrayJson; rawF: NDArrayJson; F: NDArrayJson; polynomial: NDArrayJson }>;
    fitCurves?: Record<
      string,
      {
        x: NDArrayJson;
        components: NDArrayJson[];
        baseline?: NDArrayJson;
        model: NDArrayJson;
        data?: NDArrayJson;
        residual: NDArrayJson;
      }
    >;
    geometry?: GeometryInfo | Record<string, GeometryInfo>;
    [k: string]: unknown;
  };
  errors?: Record<string, string>;
}
/** /api/value's meta: the resolved geometry of a calib.geometry node (absent for other nodes). */
export interface ValueMeta {
  center?: [number, number];
  ellipse?: [number, number];
  qPerPixel?: number;
  [k: string]: unknown;
}
export interface GeometryInfo {
  center: [number, number];
  ellipse: [number, number];
  qPerPixel: number;
}
/** A region of scan positions: rows y0 ≤ iy < y1, columns x0 ≤ ix < x1, or listed linear indices. */
export type RoiBody = { rect: [number, number, number, number] } | { positions: number[] };
export interface CurveMean {
  node: string;
  field: string;
  unit: string | null;
  axisName: string | null;
  runId: string | null;
  positions: number;
  failed: number;
  x: NDArrayJson | null;
  mean: NDArrayJson;
  std: NDArrayJson;
  min: NDArrayJson;
  max: NDArrayJson;
  count: NDArrayJson;
}
/** The event stream's events and their data (studio/API.md, GET /api/events). */
export interface ServerEvents {
  graph: GraphState;
  'param-files': { version: number; files: { node: string; param: string; file: string }[] };
  'run-start': { runId: string; nodes: string[]; computes?: string[] };
  pass: { runId: string; label: string; total: number };
  chunk: { runId: string; done: number; total: number };
  node: { runId: string; node: string; op: string; status: string; seconds: number; detail: string };
  'run-done': { runId: string; runDir: string; seconds: number };
  'run-error': Problem & { runId: string };
  'run-cancelled': { runId: string };
}

/** A node's `display` settings (viz/display.ts): for all its maps, or per field under `fields`. */
export interface DisplayRule {
  colormap?: string;
  limits?: [number, number];
  percentiles?: [number, number];
  symmetric?: boolean;
  label?: string;
  [k: string]: unknown;
}
export interface DisplaySettings extends DisplayRule {
  fields?: Record<string, DisplayRule>;
}

/** An array frame's JSON header (studio/API.md): shape and dtype, plus what each endpoint adds. */
export interface FrameHead {
  dtype: string;
  shape: number[];
  unit?: string | null;
  node?: string;
  field?: string;
  op?: string;
  runId?: string;
  display?: Record<string, unknown> | null;
  /** /api/pattern: the position; /api/pattern/mean: the positions averaged. */
  iy?: number;
  ix?: number;
  count?: number;
  /** /api/virtual: how long it took and whether it is the exact pass. */
  ms?: number;
  exact?: boolean;
  /** /api/map/diff: the difference's statistics. */
  maxAbs?: number;
  rms?: number;
  pearson?: number;
  [k: string]: unknown;
}
export interface ArrayFrame {
  head: FrameHead;
  data: Float32Array;
}
export type Edit =
  | { op: 'set'; node: string; param: string; value: unknown }
  | { op: 'add'; node: string; def: NodeDef; output?: boolean }
  | { op: 'delete'; node: string }
  | { op: 'wire'; node: string; port: string; from: string }
  | { op: 'unwire'; node: string; port: string }
  | { op: 'display'; node: string; display: Record<string, unknown> | null }
  | { op: 'outputs'; outputs: string[] }
  | { op: 'rename'; node: string; to: string }
  | { op: 'replace'; graph: Graph };

/** An API answer with a 4xx/5xx status: the server's message plus node / field when it named them. */
export interface ApiErrorBody {
  error: string;
  node?: string;
  field?: string;
  problems?: Problem[];
}
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.error);
  }
}

const token = new URLSearchParams(location.search).get('token');
const withToken = (url: string) =>
  token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url;

async function request(method: string, url: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(withToken(url), {
    method,
    signal,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    let b: ApiErrorBody;
    try {
      b = (await res.json()) as ApiErrorBody;
    } catch {
      b = { error: `${method} ${url}: HTTP ${res.status}` };
    }
    throw new ApiError(res.status, b);
  }
  return res;
}

export const getJson = async <T>(url: string, signal?: AbortSignal): Promise<T> =>
  (await request('GET', url, undefined, signal)).json();
export const postJson = async <T>(url: string, body: unknown = {}, signal?: AbortSignal): Promise<T> =>
  (await request('POST', url, body, signal)).json();

/** Decode `application/x-snem-array`: uint32 header length, JSON header, float32 data. */
export function decodeArrayFrame(buf: ArrayBuffer): ArrayFrame {
  const h = new DataView(buf).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, h)));
  return { head, data: new Float32Array(buf, 4 + h) };
}

async function arrayFrame(
  method: string,
  url: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<ArrayFrame> {
  return decodeArrayFrame(await (await request(method, url, body, signal)).arrayBuffer());
}

/** Decode an NDArrayJson to its typed array (bit-exact). */
export function ndarray(
  a: NDArrayJson,
):
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array {
  const bin = atob(a.b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const C = {
    float32: Float32Array,
    float64: Float64Array,
    uint8: Uint8Array,
    int8: Int8Array,
    int16: Int16Array,
    uint16: Uint16Array,
    int32: Int32Array,
    uint32: Uint32Array,
  }[a.dtype];
  if (!C) throw new Error(`unsupported dtype ${a.dtype}`);
  return new C(bytes.buffer);
}

const q = (o: Record<string, string | number | undefined>) =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join('&');

export const api = {
  session: () => getJson<Session>('/api/session'),
  ops: () => getJson<OpSpec[]>('/api/ops'),
  graph: () => getJson<GraphState>('/api/graph'),
  edit: (edits: Edit[], label?: string) => postJson<GraphState>('/api/graph/edit', { edits, label }),
  undo: () => postJson<GraphState>('/api/graph/undo'),
  redo: () => postJson<GraphState>('/api/graph/redo'),
  validate: (graph: Graph) =>
    postJson<{ ok: boolean; error?: string; problems?: Problem[]; warnings?: unknown[] }>('/api/validate', {
      graph,
    }),
  plan: () => getJson<{ entries: PlanEntry[]; warnings: unknown[] }>('/api/plan'),
  maps: () => getJson<MapInfo[]>('/api/maps'),
  map: (node: string, field: string | undefined, signal?: AbortSignal) =>
    arrayFrame('GET', `/api/map?${q({ node, field })}`, undefined, signal),
  mapDiff: (a: string, b: string, node: string, field: string) =>
    arrayFrame('GET', `/api/map/diff?${q({ a, b, node, field })}`),
  pattern: (iy: number, ix: number, signal?: AbortSignal) =>
    arrayFrame('GET', `/api/pattern?${q({ iy, ix })}`, undefined, signal),
  curveMean: (node: string, field: string, roi: RoiBody, signal?: AbortSignal) =>
    postJson<CurveMean>('/api/curve/mean', { node, field, roi }, signal),
  patternMean: (roi: RoiBody, signal?: AbortSignal) =>
    arrayFrame('POST', '/api/pattern/mean', { roi }, signal),
  preview: (iy: number, ix: number, graph?: Graph, signal?: AbortSignal, roi?: RoiBody) =>
    postJson<Preview>(
      '/api/preview',
      { iy, ix, ...(graph ? { graph } : {}), ...(roi ? { roi } : {}) },
      signal,
    ),
  curve: (node: string, field: string, iy: number, ix: number, signal?: AbortSignal) =>
    getJson<{
      node: string;
      field: string;
      unit: string | null;
      axisName: string | null;
      x: NDArrayJson;
      y: NDArrayJson;
    }>(`/api/curve?${q({ node, field, iy, ix })}`, signal),
  value: (node: string) =>
    getJson<{ node: string; op: string; meta: ValueMeta; fields: Record<string, NDArrayJson> }>(
      `/api/value?${q({ node })}`,
    ),
  virtual: (body: Record<string, unknown>, signal?: AbortSignal) =>
    arrayFrame('POST', '/api/virtual', body, signal),
  run: () => postJson<{ runId: string }>('/api/run'),
  cancel: () => postJson<{ cancelled: boolean }>('/api/run/cancel'),
  save: (path?: string, overwrite?: boolean) =>
    postJson<{ file: string; versionId: string }>('/api/save', path ? { path, overwrite } : {}),
  versions: () =>
    getJson<{ versionId: string; file: string; time: string; graphHash: string }[]>('/api/versions'),
  diff: (a: string, b: string) =>
    getJson<{ changes: { node: string; change: string; detail: string }[]; recomputes: string[] }>(
      `/api/diff?${q({ a, b })}`,
    ),
  runs: () => getJson<{ runId: string; runDir: string; time: string; graphHash: string }[]>('/api/runs'),
  saveMask: (name: string, shape: [number, number], mask: Uint8Array) =>
    postJson<{ file: string; path: string; excluded: number }>('/api/mask', {
      name,
      mask: toNd(mask, shape),
    }),
  exportUrl: (node: string, field: string | undefined, format: 'tiff' | 'csv' | 'npy') =>
    withToken(`/api/export?${q({ node, field, format })}`),
  events: () => new EventSource(withToken('/api/events')),
};

function toNd(a: Uint8Array, shape: number[]): NDArrayJson {
  let s = '';
  for (let i = 0; i < a.length; i += 0x8000) s += String.fromCharCode(...a.subarray(i, i + 0x8000));
  return { dtype: 'uint8', shape, b64: btoa(s) };
}
