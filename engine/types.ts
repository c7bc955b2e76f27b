/**
 * The vocabulary every op and the engine share: typed n-d arrays, node values, op declarations.
 *
 * A node's result is a `Value`: named `fields` (typed arrays with a shape), optional `axes`
 * (position-independent arrays such as the Q axis of I(Q)) and small JSON `meta` (units, labels).
 * For a `frame`-scope op the engine hands `process` one chunk of scan positions at a time and every
 * field's leading dimension is the chunk's position count; for a `dataset`-scope op `run` sees the
 * whole scan at once. A `reduce`-scope op is a dataset-level result computed from per-chunk partials
 * (LiberTEM's process + merge): `process` turns one chunk into a partial during the frame pass, on
 * the worker pool, cached under a chunk key; `merge` folds the partials in chunk order; `finish`
 * turns the merged partial (with the dataset-level inputs) into the node's value.
 */

import { callerFile, moduleCodeHash } from './code-hash.ts';

export type DType = 'uint8' | 'uint16' | 'uint32' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type TypedArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

export interface NDArray<T extends TypedArray = TypedArray> {
  dtype: DType;
  shape: number[];
  data: T;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Value {
  /** Results. Frame scope: leading dimension = positions in the chunk. */
  fields: Record<string, NDArray>;
  /** Position-independent arrays (Q axis, r axis, detector masks shared by all positions). */
  axes?: Record<string, NDArray>;
  /** Small JSON: units per field, labels, fit status names, calibration scalars. */
  meta?: Record<string, Json>;
}

/** Scope of a result: one value per chunk of positions, or one for the whole scan. */
export type Scope = 'frame' | 'dataset';

/** How an op computes: per chunk (`frame`), all at once (`dataset`), or chunk partials merged (`reduce`). */
export type OpScope = Scope | 'reduce';

/** The scope of an op's result: a reduce op's value is dataset-level. */
export function resultScope(op: { scope: OpScope }): Scope {
  return op.scope === 'frame' ? 'frame' : 'dataset';
}

/** Declared type of a param. `auto: true` also accepts the string "auto". */
export type ParamType =
  | 'number'
  | 'integer'
  | 'string'
  | 'boolean'
  | 'enum'
  | 'number[]'
  | 'string[]'
  | 'json';

export interface ParamSpec {
  readonly type: ParamType;
  /** Filled in when the graph omits the param. `undefined` = required unless `optional`. */
  default?: Json;
  optional?: boolean;
  /** Accept the literal string "auto" besides the declared type. */
  auto?: boolean;
  /** Physical unit, spelled out (e.g. "Å⁻¹ (Q = 2π/d)", "px", "Å", "keV"). */
  unit?: string;
  description: string;
  values?: readonly string[];
  min?: number;
  max?: number;
  /** Strict lower bound (value must be > exclusiveMin). */
  exclusiveMin?: number;
  /** For number[]: required length, or [min, max] lengths. */
  length?: number | [number, number];
  /** For number[]: elements may be ±∞, written "inf" / "-inf" (bounds that mean "none"). */
  unbounded?: boolean;
  /**
   * A string naming a file the op reads: its content hash joins the node's key (engine/param-files.ts),
   * so editing the file recomputes the node. Relative paths: working directory, then beside the dataset.
   */
  file?: boolean;
  /** `json` only: the type the op reads the value as (`typed<T>()`; compile time only, always undefined). */
  jsonType?: unknown;
}

export interface InputSpec {
  /** What the upstream node must be: a per-position result, a dataset-level one, or either. */
  scope: Scope | 'any';
  optional?: boolean;
  description: string;
}

/**
 * One field an op produces, declared as data (as LiberTEM's result buffers): the engine fills
 * `meta.units` / `meta.axisOf` from it, `snem nodes` and the README's op tables print it, and a
 * test checks every op's produced fields against it.
 */
export interface FieldDecl {
  /**
   * Dimensions, outermost first: "positions" (a frame op's chunk, [ny, nx] once written), "ny",
   * "nx" (the scan), "…" (any further dimensions), or a name for the reader ("bins", "k", "3").
   */
  dims: readonly string[];
  /** Unit of the values as written to meta.units and the manifest; absent: dimensionless, or set by the op from its input (the description says). */
  unit?: string;
  /**
   * A unit relative to the curve the op reads, where the op cannot know it: "curve unit" (the y
   * unit of the field read), "curve x unit" (its axis's unit), or products of them ("curve unit × Å").
   * Not written to meta; readers resolve it against the graph (studio/server/field-units.ts).
   */
  relativeUnit?: string;
  /** The `axes` array the field is sampled along (meta.axisOf), for curves. */
  axis?: string;
  description: string;
  /** Produced only in some cases (the description says when). */
  optional?: boolean;
}

/** A position-independent array an op produces beside its fields (Q axis, r axis). */
export interface AxisDecl {
  unit?: string;
  description: string;
}

/**
 * What an op produces. A field named `<…>` stands for fields named by the data (pair names of an
 * input, the smoothed input field): any name, declared once.
 */
export interface OutputDecl {
  fields: Record<string, FieldDecl>;
  axes?: Record<string, AxisDecl>;
}

/** A field in the op catalogue (`snem nodes --json`, the studio): unit and meaning. */
export interface FieldSpec {
  unit?: string;
  description: string;
}

/** A chunk of consecutive scan positions, ix fastest: positions start … start+count−1. */
export interface ChunkInfo {
  index: number;
  start: number;
  count: number;
}

export interface ScanShape {
  ny: number;
  nx: number;
}

/** Anything an op may want to know about the data source (may be absent for simulated sources). */
export interface DatasetHandle {
  path: string;
  format: string;
  kind: 'frames' | 'profiles';
  scan: ScanShape;
  /** Detector shape [h, w] for frames; [n] for profiles. */
  frameShape: number[];
  dtype: DType;
  /** Calibration the file carries: scanStepNm, beamEnergyKeV, cameraLengthMm, qPerPixel, gPerPixel, note, … */
  meta: Record<string, Json>;
  /** Frames (or profiles) of positions start … start+count−1, shape [count, ...frameShape]. */
  read(start: number, count: number): NDArray;
  close(): void;
}

export interface OpContextBase<P> {
  node: string;
  params: P;
  scan: ScanShape;
  dataset: DatasetHandle | null;
  log: (msg: string) => void;
}

export interface ChunkContext<P, S> extends OpContextBase<P> {
  chunk: ChunkInfo;
  /** Per port: this chunk's value for frame-scope upstreams, the whole value for dataset-scope ones. */
  inputs: Record<string, Value>;
  /** What `prepare` returned (built once per worker per distinct dataset-level inputs). */
  state: S;
}

export interface PrepareContext<P> extends OpContextBase<P> {
  /** Dataset-scope inputs only (frame-scope inputs change per chunk). */
  inputs: Record<string, Value>;
}

/** How a dataset-scope op sees a frame-scope upstream: streamed chunk by chunk. */
export interface ChunkedInput {
  scope: 'frame';
  chunks: ChunkInfo[];
  chunk(index: number): Promise<Value>;
  /** Concatenate one per-position field over every chunk: shape [ny*nx, ...]. */
  gather(field: string): Promise<NDArray>;
  /** Axes and meta (from the first chunk). */
  first(): Promise<Value>;
}

export interface WholeInput {
  scope: 'dataset';
  value: Value;
}

export type DatasetInput = ChunkedInput | WholeInput;

export interface DatasetContext<P> extends OpContextBase<P> {
  inputs: Record<string, DatasetInput>;
  /** Workers the op may use for its own parallel work (both cores by default). */
  workers: number;
}

/** A reduce op's finish: the dataset context plus the merged partial (null when no chunk gave one). */
export interface FinishContext<P> extends DatasetContext<P> {
  partial: Value | null;
}

/** What a reduce op's partials depend on and which chunks they need. */
export interface ReduceSpec<P> {
  /** Frame-scope input ports whose chunks `process` reads (the others reach `finish` as usual). */
  ports: string[];
  /** Params a partial depends on (the partial's key holds only these): other params change only `finish`. */
  params: string[];
  /**
   * The positions whose frames the partials need: 'all', or a list (chunks holding none of them
   * are not read; an empty list: no partial at all, e.g. every value is given). Default 'all'.
   */
  positions?(
    params: P,
    ctx: { scan: ScanShape; dataset: DatasetHandle | null; connected: string[] },
  ): 'all' | number[];
}

export interface OpDef<P = any, S = any> {
  /** Dotted family.name, e.g. "mask.auto". An `inputs` key "*" accepts any port names (variadic ops such as qoi.expr). */
  name: string;
  /**
   * Bump when the op's meaning or output changes: invalidates every cached result of it. Keys also
   * hold the op's code hash (engine/code-hash.ts), so a change without a bump cannot serve stale
   * results; ops.lock.json records both, and its test asks for a bump or `snem ops relock`.
   */
  version: number;
  /**
   * Keys leave the code hash out and rely on `version` alone (redun's pinned version): for an op
   * whose code churns while its outputs do not, where the author bumps the version by hand.
   */
  pinned?: boolean;
  /** The file that defines the op (set by defineOp). */
  readonly sourceFile?: string;
  /** Hash of the op's source, the local modules and .wasm it loads (computed on first use; set by defineOp). */
  readonly codeHash?: string;
  scope: OpScope;
  title: string;
  description: string;
  inputs: Record<string, InputSpec>;
  params: Record<string, ParamSpec>;
  /**
   * What the op produces, as data or as a function of its params (fields that exist only for some
   * params, names numbered by a param). engine/declared-outputs.ts reads it.
   */
  outputs: OutputDecl | ((params: P) => OutputDecl);
  /**
   * false for sources whose chunks are cheap to re-read from the dataset: nothing is stored, and
   * the chunk's value hash is derived from the dataset hash and the chunk range.
   */
  cached?: boolean;
  /** For sources without a dataset file (e.g. the simulator): the scan shape from params. */
  scanShape?(params: P, dataset: DatasetHandle | null): ScanShape;
  /** Extra semantic checks beyond declared types; throw ParamError naming the param. */
  check?(params: P, ctx: { node: string; dataset: DatasetHandle | null; datasetDeclared?: boolean }): void;
  /** Frame scope: build per-geometry tables once; reused for every chunk with the same dataset inputs. */
  prepare?(ctx: PrepareContext<P>): S | Promise<S>;
  /**
   * Frame scope: one chunk of positions → one chunk value. Reduce scope: one chunk of the `reduce`
   * ports → a partial (its inputs hold only those ports; no prepare state). Pure.
   */
  process?(ctx: ChunkContext<P, S>): Value | Promise<Value>;
  /** Dataset scope: all positions at once. Pure. */
  run?(ctx: DatasetContext<P>): Value | Promise<Value>;
  /** Reduce scope: which inputs and params the partials depend on. */
  reduce?: ReduceSpec<P>;
  /**
   * Reduce scope: combine two partials (a from earlier chunks than b) into a new one, leaving both
   * alone. The engine merges in a fixed binary tree over chunk order. Pure.
   */
  merge?(a: Value, b: Value, params: P): Value;
  /** Reduce scope: the node's value from the merged partial and the dataset-level inputs. Pure. */
  finish?(ctx: FinishContext<P>): Value | Promise<Value>;
}

// Reading declared outputs (more in engine/declared-outputs.ts): here because defineOp fills meta from them.

/** A declared name standing for fields named by the data (`<name>`, `<field>`). */
export function isOpenName(name: string): boolean {
  return /^<[^>]+>$/.test(name);
}

/** The op's outputs for these (resolved) params. */
export function declaredOutputs(op: OpDef, params: Record<string, Json>): OutputDecl {
  return typeof op.outputs === 'function' ? op.outputs(params) : op.outputs;
}

/** The declaration of a produced field: its own entry, else the open one. */
export function fieldDecl(decl: OutputDecl, field: string): FieldDecl | undefined {
  return decl.fields[field] ?? Object.entries(decl.fields).find(([k]) => isOpenName(k))?.[1];
}

/**
 * The value with `meta.units` and `meta.axisOf` filled from the declaration for each field and axis
 * it holds, where the op did not set them itself (a unit taken from the input). Nothing to add: the
 * value as it was.
 */
export function withDeclaredMeta(decl: OutputDecl, value: Value): Value {
  const meta = value.meta ?? {};
  const units = { ...((meta.units ?? {}) as Record<string, Json>) };
  const axisOf = { ...((meta.axisOf ?? {}) as Record<string, Json>) };
  let added = false;
  const add = (rec: Record<string, Json>, k: string, v: string | undefined) => {
    if (v === undefined || k in rec) return;
    rec[k] = v;
    added = true;
  };
  for (const f of Object.keys(value.fields)) {
    const d = fieldDecl(decl, f);
    add(units, f, d?.unit);
    add(axisOf, f, d?.axis);
  }
  for (const a of Object.keys(value.axes ?? {})) add(units, a, decl.axes?.[a]?.unit);
  if (!added) return value;
  const out: Record<string, Json> = { ...meta };
  if (Object.keys(axisOf).length) out.axisOf = axisOf;
  if (Object.keys(units).length) out.units = units;
  return { ...value, meta: out };
}

/** The op catalogue a graph is resolved against: op name → definition. */
export type Registry = Map<string, OpDef>;

/** The value one param spec resolves to (engine/params.ts): the declared type, with "auto" and null where allowed. */
type ParamBase<S extends ParamSpec> = S['type'] extends 'number' | 'integer'
  ? number
  : S['type'] extends 'string'
    ? string
    : S['type'] extends 'boolean'
      ? boolean
      : S['type'] extends 'enum'
        ? S extends { values: readonly (infer V)[] }
          ? V
          : string
        : S['type'] extends 'number[]'
          ? S extends { length: infer N extends number }
            ? Tuple<N, number>
            : number[]
          : S['type'] extends 'string[]'
            ? string[]
            : S extends { jsonType: infer T }
              ? Exclude<T, undefined>
              : Json;
/** [T, T, …] of length N (a `number[]` param with a fixed `length`); number[] for a non-literal N. */
type Tuple<N extends number, T, R extends T[] = []> = number extends N
  ? T[]
  : R['length'] extends N
    ? R
    : Tuple<N, T, [...R, T]>;
type WithAuto<S, T> = S extends { auto: true } ? T | 'auto' : T;
/** A param with no default (or a null one) that may be omitted arrives as null. */
type WithNull<S, T> = S extends { default: infer D }
  ? null extends D
    ? T | null
    : T
  : S extends { optional: true }
    ? T | null
    : T;
export type ParamValue<S extends ParamSpec> = WithNull<S, WithAuto<S, ParamBase<S>>>;

/** The params object an op's `process`/`run`/`check` receive, inferred from its param specs. */
export type ParamsOf<PS extends Record<string, ParamSpec>> = { -readonly [K in keyof PS]: ParamValue<PS[K]> };

/** The params type of a defined op (for helpers outside the definition). */
export type OpParams<O> = O extends OpDef<infer P, any> ? P : never;

/**
 * A `json` param's resolved type, for the compiler only: `{ type: 'json', jsonType: typed<Record<string, number>>(), … }`.
 * Params are checked as JSON; the op's `check` narrows further.
 */
export function typed<T>(): T | undefined {
  return undefined;
}

/**
 * Declare an op. The params type of `process`/`run`/`check`/`prepare` is inferred from `params`
 * (no hand-written twin interface); the prepared state's type from what `prepare` returns. Records
 * the op's source file so its code hash can join its keys.
 */
export function defineOp<const PS extends Record<string, ParamSpec>, S = any>(
  def: OpDef<ParamsOf<PS>, S> & { params: PS },
): OpDef<ParamsOf<PS>, S> {
  const file = callerFile();
  if (file) {
    let hash: string | undefined;
    Object.defineProperty(def, 'sourceFile', { value: file, enumerable: false, configurable: true });
    Object.defineProperty(def, 'codeHash', {
      get: () => (hash ??= moduleCodeHash(file)),
      enumerable: false,
      configurable: true,
    });
  }
  // Every caller of process/run (engine, studio preview, benchmarks) gets the units and axes the
  // op declares in meta, without the op writing them twice.
  const complete = (params: ParamsOf<PS>, v: Value | Promise<Value>) => {
    const fill = (x: Value) =>
      withDeclaredMeta(declaredOutputs(def as OpDef, params as Record<string, Json>), x);
    return v instanceof Promise ? v.then(fill) : fill(v);
  };
  // A reduce op's `process` returns a partial, not its output: its meta is filled at `finish`.
  const { process, run, finish } = def;
  if (process && def.scope !== 'reduce') def.process = (ctx) => complete(ctx.params, process.call(def, ctx));
  if (run) def.run = (ctx) => complete(ctx.params, run.call(def, ctx));
  if (finish) def.finish = (ctx) => complete(ctx.params, finish.call(def, ctx));
  return def;
}
