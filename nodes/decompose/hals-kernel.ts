/**
 * One thread's share of the NMF row passes: a block of whole tiles of rows of X, copied once into
 * its own instance of the hals.wasm kernel (X never changes between iterations), and the job
 * protocol shared by the calling thread and the workers of hals-pool.ts.
 *
 * A job is "for every row of my tiles: y = Xᵢ·Pᵀ, then Wᵢ (coordinate descent or := y), then the
 * tile's partial WᵀX and WᵀW". The probes P (k×n: H for HALS, the SVD's basis for NNDSVDa) and HHᵀ
 * come in through SharedArrayBuffers; each tile's partials go out to its own slot, so the caller
 * can add them in tile order and get the same totals whatever the number of threads.
 */
import { ensureMemory, wasmModule } from '../../engine/wasm.ts';

export const KERNEL_URL = new URL('./hals.wasm', import.meta.url);

/** Rows per tile: the unit of work and of partial sums (fixed, so results do not depend on threads). */
export const TILE_ROWS = 256;

/** Job flags. */
export const F_CD = 1; // coordinate-descent update of W (else W := X·Pᵀ)
export const F_ACC = 2; // accumulate WᵀX
export const F_W_IN = 4; // read this block's rows of W from the shared W before the pass
export const F_W_OUT = 8; // write them back after
export const F_NO_PASS = 16; // only the W copies

export const CTRL_GEN = 0;
export const CTRL_DONE = 1;
export const CTRL_STOP = 2;
export const CTRL_FAIL = 3;
export const JOB_FLAGS = 0;
export const JOB_K = 1;

interface KernelExports extends WebAssembly.Exports {
  memory: WebAssembly.Memory;
  pass(flags: number, x: number, w: number, rows: number, n4: number, k: number, kp: number, p: number, hht: number, y: number, a: number, g: number): void;
}

export const roundUp4 = (v: number): number => (v + 3) & ~3;

/** The buffers every thread sees (all SharedArrayBuffers except for a one-thread pool). */
export interface SharedState {
  m: number;
  n: number;
  /** largest number of probes a job may use, rounded up to 4 */
  kpMax: number;
  ctrl: ArrayBufferLike; // Int32 [gen, done, stop, fail]
  job: ArrayBufferLike; // Int32 [flags, k]
  /** X itself (float32 m×n), read once when a block is set up */
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
}

/** Typed views of the shared buffers. */
export function sharedViews(s: SharedState) {
  return {
    ctrl: new Int32Array(s.ctrl),
    job: new Int32Array(s.job),
    P: new Float32Array(s.P),
    HHt: new Float64Array(s.HHt),
    W: new Float64Array(s.W),
    A: new Float64Array(s.A),
    G: new Float64Array(s.G),
    stats: new Float64Array(s.stats),
  };
}
export type SharedViews = ReturnType<typeof sharedViews>;

export function tileCount(m: number): number {
  return Math.ceil(m / TILE_ROWS);
}

/** Tiles [t0, t1) of one block: X (padded to n4 columns), W, probes, partials in one wasm memory. */
export class RowBlock {
  private readonly k: KernelExports;
  private readonly n4: number;
  private readonly row0: number;
  private readonly row1: number;
  private readonly xPtr: number;
  private readonly wPtr: number;
  private readonly pPtr: number;
  private readonly hhtPtr: number;
  private readonly yPtr: number;
  private readonly aPtr: number;
  private readonly gPtr: number;
  private readonly v: SharedViews;

  constructor(
    private readonly s: SharedState,
    module: WebAssembly.Module,
    private readonly t0: number,
    private readonly t1: number,
  ) {
    const { m, n, kpMax } = s;
    const n4 = (this.n4 = roundUp4(n));
    this.row0 = t0 * TILE_ROWS;
    this.row1 = Math.min(m, t1 * TILE_ROWS);
    const rows = this.row1 - this.row0;
    const tiles = t1 - t0;
    let off = 64;
    const take = (bytes: number) => {
      const at = off;
      off += (bytes + 63) & ~63;
      return at;
    };
    this.xPtr = take(rows * n4 * 4);
    this.wPtr = take(rows * kpMax * 8);
    this.pPtr = take(kpMax * n4 * 4);
    this.hhtPtr = take(kpMax * kpMax * 8);
    this.yPtr = take(kpMax * 8);
    this.aPtr = take(tiles * kpMax * n4 * 8);
    this.gPtr = take(tiles * kpMax * kpMax * 8);
    this.k = new WebAssembly.Instance(module).exports as KernelExports;
    ensureMemory(this.k.memory, off);
    const buf = this.k.memory.buffer;
    const v = (this.v = sharedViews(s));

    // copy X in (rows padded with zeros to n4), with the per-tile Σx, Σx²
    const src = new Float32Array(s.X, s.xOffset, m * n);
    const dst = new Float32Array(buf, this.xPtr, rows * n4);
    const { stats } = v;
    for (let t = t0; t < t1; t++) {
      let sx = 0;
      let sx2 = 0;
      const r1 = Math.min(m, (t + 1) * TILE_ROWS);
      for (let i = t * TILE_ROWS; i < r1; i++) {
        const row = src.subarray(i * n, (i + 1) * n);
        dst.set(row, (i - this.row0) * n4);
        for (let j = 0; j < n; j++) {
          const v = row[j];
          sx += v;
          sx2 += v * v;
        }
      }
      stats[2 * t] = sx;
      stats[2 * t + 1] = sx2;
    }
  }

  /** Run the job currently described in the shared job words. */
  run(): void {
    const { job, P, HHt, A: sharedA, G: sharedG } = this.v;
    const flags = job[JOB_FLAGS];
    const k = job[JOB_K];
    const kp = roundUp4(k);
    const { n4 } = this;
    const buf = this.k.memory.buffer;
    const W = new Float64Array(buf, this.wPtr, (this.row1 - this.row0) * kp);
    const wShared = this.v.W.subarray(this.row0 * kp, this.row1 * kp);
    if (flags & F_W_IN) W.set(wShared);
    if (!(flags & F_NO_PASS)) {
      new Float32Array(buf, this.pPtr, kp * n4).set(P.subarray(0, kp * n4));
      new Float64Array(buf, this.hhtPtr, k * k).set(HHt.subarray(0, k * k));
      const aSlot = this.s.kpMax * n4;
      const gSlot = this.s.kpMax * this.s.kpMax;
      const A = new Float64Array(buf, this.aPtr, (this.t1 - this.t0) * aSlot);
      const G = new Float64Array(buf, this.gPtr, (this.t1 - this.t0) * gSlot);
      for (let t = this.t0; t < this.t1; t++) {
        const r0 = t * TILE_ROWS;
        const rows = Math.min(this.s.m, r0 + TILE_ROWS) - r0;
        const slot = t - this.t0;
        this.k.pass(
          flags & (F_CD | F_ACC),
          this.xPtr + (r0 - this.row0) * n4 * 4,
          this.wPtr + (r0 - this.row0) * kp * 8,
          rows, n4, k, kp, this.pPtr, this.hhtPtr, this.yPtr,
          this.aPtr + slot * aSlot * 8,
          this.gPtr + slot * gSlot * 8,
        );
        if (flags & F_ACC) sharedA.set(A.subarray(slot * aSlot, slot * aSlot + kp * n4), t * aSlot);
        sharedG.set(G.subarray(slot * gSlot, slot * gSlot + k * k), t * gSlot);
      }
    }
    if (flags & F_W_OUT) wShared.set(W);
  }
}

/** Body of a worker thread (started by hals-worker.mjs): run each job on this block until told to stop. */
export function workerLoop(d: { s: SharedState; module: WebAssembly.Module; t0: number; t1: number }): void {
  const ctrl = new Int32Array(d.s.ctrl);
  let block: RowBlock | null = null;
  try {
    block = new RowBlock(d.s, d.module, d.t0, d.t1);
  } catch {
    Atomics.store(ctrl, CTRL_FAIL, 1);
  }
  Atomics.add(ctrl, CTRL_DONE, 1);
  Atomics.notify(ctrl, CTRL_DONE);
  let gen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL_GEN, gen);
    gen = Atomics.load(ctrl, CTRL_GEN);
    if (Atomics.load(ctrl, CTRL_STOP)) return;
    try {
      block!.run();
    } catch {
      Atomics.store(ctrl, CTRL_FAIL, 1);
    }
    Atomics.add(ctrl, CTRL_DONE, 1);
    Atomics.notify(ctrl, CTRL_DONE);
  }
}

export function kernelModule(): WebAssembly.Module {
  return wasmModule(KERNEL_URL);
}
