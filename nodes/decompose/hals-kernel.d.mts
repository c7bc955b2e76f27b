// Types of hals-kernel.mjs (plain JS so NMF workers start without the TypeScript loader).

/** Fewest rows per tile. */
export declare const TILE_ROWS: number;
/** Most tiles. */
export declare const MAX_TILES: number;
export declare const F_CD: number;
export declare const F_ACC: number;
export declare const F_W_IN: number;
export declare const F_W_OUT: number;
export declare const F_NO_PASS: number;
export declare const CTRL_GEN: number;
export declare const CTRL_DONE: number;
export declare const CTRL_STOP: number;
export declare const CTRL_FAIL: number;
export declare const JOB_FLAGS: number;
export declare const JOB_K: number;

export declare function roundUp4(v: number): number;
/** Rows per tile (a function of m only, so results do not depend on the thread count). */
export declare function tileRows(m: number): number;
export declare function tileCount(m: number): number;

/** The buffers every thread sees (SharedArrayBuffers, or ArrayBuffers for a one-thread pool). */
export interface SharedState {
  m: number;
  n: number;
  /** largest number of probes a job may use, rounded up to 4 */
  kpMax: number;
  /** Int32 [gen, done, stop, fail] */
  ctrl: ArrayBufferLike;
  /** Int32 [flags, k] */
  job: ArrayBufferLike;
  /** X itself (float32 m×n at xOffset), read once when a block is set up */
  X: ArrayBufferLike;
  xOffset: number;
  /** probes, float32, blocked layout of hals.wat (kpMax × n4) */
  P: ArrayBufferLike;
  /** HHᵀ, float64 k×k */
  HHt: ArrayBufferLike;
  /** W, float64 m × kp (kp = the job's k rounded up to 4) */
  W: ArrayBufferLike;
  /** per-tile partials: WᵀX (kpMax × n4 float64, blocked) and WᵀW (kpMax² float64, lower triangle) */
  A: ArrayBufferLike;
  G: ArrayBufferLike;
  /** per-tile Σx and Σx² of X (float64 × 2) */
  stats: ArrayBufferLike;
  /** per-tile projected-gradient violation of the last coordinate-descent pass (float64) */
  viol: ArrayBufferLike;
}

export interface SharedViews {
  ctrl: Int32Array;
  job: Int32Array;
  P: Float32Array;
  HHt: Float64Array;
  W: Float64Array;
  A: Float64Array;
  G: Float64Array;
  stats: Float64Array;
  viol: Float64Array;
}
export declare function sharedViews(s: SharedState): SharedViews;

export declare class RowBlock {
  constructor(s: SharedState, module: WebAssembly.Module, t0: number, t1: number);
  /** Run the job currently described in the shared job words. */
  run(): void;
}

export declare function workerLoop(d: { s: SharedState; module: WebAssembly.Module; t0: number; t1: number }): void;
