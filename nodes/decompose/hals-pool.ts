/**
 * The row passes of NMF on several cores. A pool splits X into blocks of whole tiles
 * (hals-kernel.mjs); each thread keeps its block in its own WASM memory for the whole fit. The calling
 * thread runs block 0 itself; the others are workers woken per job through a generation counter
 * (Atomics.wait/notify, no messages). Per-tile partial products come back through shared buffers
 * and are summed here in tile order, so W, H and the errors are the same for any thread count.
 *
 * halsNmf is the HALS loop on a pool: per iteration one fused pass over X (y = XHᵀ, coordinate
 * descent on each row of W, WᵀX and WᵀW with the new W), then the k×n H update here (cheap).
 */
import { Worker } from 'node:worker_threads';
import { wasmModule } from '../../engine/wasm.ts';
import {
  CTRL_DONE,
  CTRL_FAIL,
  CTRL_GEN,
  CTRL_STOP,
  F_ACC,
  F_CD,
  F_NO_PASS,
  F_W_IN,
  F_W_OUT,
  JOB_FLAGS,
  JOB_K,
  RowBlock,
  roundUp4,
  sharedViews,
  tileCount,
  TILE_ROWS,
  type SharedState,
  type SharedViews,
} from './hals-kernel.mjs';
import { gram, hUpdate, squaredError } from './hals.ts';

export interface HalsOptions {
  k: number;
  maxIter: number;
  /**
   * scikit-learn's rule for solver="cd": stop when an iteration's violation (Σ|projected gradient| over
   * the W and H updates) is at most tol × the first iteration's (0: only at an exact optimum).
   */
  tol: number;
  /** Called after each iteration with the Frobenius error (for progress). */
  onIteration?: (iter: number, error: number) => void;
}

export interface HalsResult {
  W: Float64Array;
  H: Float64Array;
  /** ‖X − WH‖_F after each iteration. */
  errors: Float64Array;
  /** the violation of each iteration relative to the first (what tol is compared with) */
  violations: Float64Array;
  iterations: number;
}

/** Worth a worker thread: at least this many elements of X per thread. */
const MIN_PER_THREAD = 100_000;

export class RowPool {
  readonly m: number;
  readonly n: number;
  readonly n4: number;
  readonly kpMax: number;
  /** Σx and Σx² of X (f64, tile order) */
  readonly sum: number;
  readonly sumSq: number;
  readonly threads: number;
  private readonly v: SharedViews;
  private readonly tiles: number;
  private readonly acc: Float64Array;

  private constructor(
    s: SharedState,
    private readonly own: RowBlock,
    private readonly workers: Worker[],
  ) {
    this.m = s.m;
    this.n = s.n;
    this.n4 = roundUp4(s.n);
    this.kpMax = s.kpMax;
    this.threads = workers.length + 1;
    this.v = sharedViews(s);
    this.tiles = tileCount(s.m);
    this.acc = new Float64Array(this.kpMax * this.n4);
    const { stats } = this.v;
    let sx = 0;
    let sx2 = 0;
    for (let t = 0; t < this.tiles; t++) {
      sx += stats[2 * t];
      sx2 += stats[2 * t + 1];
    }
    this.sum = sx;
    this.sumSq = sx2;
  }

  /**
   * X: m×n float32 (copied; any buffer). kMax: the most probes a job will use (NNDSVDa needs k + 4).
   * threads: at most this many (fewer for a small X, one for a tiny one).
   */
  static async open(X: Float32Array, m: number, n: number, kMax: number, threads: number): Promise<RowPool> {
    const tiles = tileCount(m);
    const nt = Math.max(1, Math.min(Math.floor(threads), tiles, Math.floor((m * n) / MIN_PER_THREAD) || 1));
    const mk = (bytes: number) =>
      nt > 1 ? new SharedArrayBuffer(Math.max(8, bytes)) : new ArrayBuffer(Math.max(8, bytes));
    const kpMax = roundUp4(kMax);
    const n4 = roundUp4(n);
    const s: SharedState = {
      m,
      n,
      kpMax,
      ctrl: mk(16),
      job: mk(8),
      X: X.buffer,
      xOffset: X.byteOffset,
      P: mk(kpMax * n4 * 4),
      HHt: mk(kpMax * kpMax * 8),
      W: mk(m * kpMax * 8),
      A: mk(tiles * kpMax * n4 * 8),
      G: mk(tiles * kpMax * kpMax * 8),
      stats: mk(tiles * 16),
      viol: mk(tiles * 8),
    };
    if (nt > 1 && !(X.buffer instanceof SharedArrayBuffer)) {
      const copy = new Float32Array(new SharedArrayBuffer(m * n * 4));
      copy.set(X.subarray(0, m * n));
      s.X = copy.buffer;
      s.xOffset = 0;
    }
    const module = wasmModule(new URL('./hals.wasm', import.meta.url));
    // floor: block 0, run by the calling thread (which also sums the partials and updates H), gets the fewer tiles
    const bound = (b: number) => Math.floor((b * tiles) / nt);
    const workers: Worker[] = [];
    const ctrl = new Int32Array(s.ctrl);
    for (let b = 1; b < nt; b++) {
      workers.push(
        new Worker(new URL('./hals-worker.mjs', import.meta.url), {
          workerData: { s, module, t0: bound(b), t1: bound(b + 1) },
        }),
      );
    }
    const own = new RowBlock(s, module, 0, bound(1));
    try {
      if (workers.length) {
        await Promise.race([
          new Promise<void>((resolve) => {
            const poll = () =>
              Atomics.load(ctrl, CTRL_DONE) >= workers.length ? resolve() : setTimeout(poll, 2);
            poll();
          }),
          ...workers.map((w) => new Promise<never>((_, reject) => w.once('error', reject))),
        ]);
        if (Atomics.load(ctrl, CTRL_FAIL)) throw new Error('NMF worker could not set up its block');
      }
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new RowPool(s, own, workers);
  }

  /** The shared W (m × kp, kp = k rounded up to 4). */
  wView(k: number): Float64Array {
    return this.v.W.subarray(0, this.m * roundUp4(k));
  }

  /** Load probes P (k×n row-major, float64) into the blocked float32 layout of the kernel. */
  setProbes(P: Float64Array, k: number): void {
    const { n, n4 } = this;
    const out = this.v.P;
    out.fill(0, 0, roundUp4(k) * n4);
    for (let t = 0; t < k; t++) {
      const base = (t >> 2) * n4 * 4 + (t & 3) * 4;
      for (let j = 0; j < n; j++) out[base + (j >> 2) * 16 + (j & 3)] = P[t * n + j];
    }
  }

  setGram(HHt: Float64Array, k: number): void {
    this.v.HHt.set(HHt.subarray(0, k * k));
  }

  /** Run one job on every block (this thread does block 0) and wait for all. */
  run(flags: number, k: number): void {
    const { ctrl, job } = this.v;
    job[JOB_FLAGS] = flags;
    job[JOB_K] = k;
    if (this.workers.length) {
      Atomics.store(ctrl, CTRL_DONE, 0);
      Atomics.add(ctrl, CTRL_GEN, 1);
      Atomics.notify(ctrl, CTRL_GEN);
    }
    this.own.run();
    if (this.workers.length) {
      for (;;) {
        const done = Atomics.load(ctrl, CTRL_DONE);
        if (done >= this.workers.length) break;
        if (Atomics.wait(ctrl, CTRL_DONE, done, 120_000) === 'timed-out')
          throw new Error('NMF worker did not answer within 120 s');
      }
      if (Atomics.load(ctrl, CTRL_FAIL)) throw new Error('NMF worker failed');
    }
  }

  /** WᵀX (k×n row-major) of the last accumulating job: the tiles' partials added in tile order. */
  sumWtX(k: number, out: Float64Array): void {
    const { n, n4, tiles, acc } = this;
    const { A } = this.v;
    const len = roundUp4(k) * n4;
    const slot = this.kpMax * n4;
    acc.set(this.v.A.subarray(0, len));
    for (let t = 1; t < tiles; t++) {
      const o = t * slot;
      for (let i = 0; i < len; i++) acc[i] += A[o + i];
    }
    for (let t = 0; t < k; t++) {
      const base = (t >> 2) * n4 * 4 + (t & 3) * 4;
      for (let j = 0; j < n; j++) out[t * n + j] = acc[base + (j >> 2) * 16 + (j & 3)];
    }
  }

  /** Σ|projected gradient| of the last coordinate-descent job's W update, in tile order. */
  sumViolation(): number {
    let s = 0;
    for (let t = 0; t < this.tiles; t++) s += this.v.viol[t];
    return s;
  }

  /** WᵀW (k×k, symmetric) of the last job, in tile order. */
  sumWtW(k: number, out: Float64Array): void {
    const slot = this.kpMax * this.kpMax;
    const { G } = this.v;
    out.fill(0, 0, k * k);
    for (let t = 0; t < this.tiles; t++) {
      const o = t * slot;
      for (let a = 0; a < k; a++) for (let b = 0; b <= a; b++) out[a * k + b] += G[o + a * k + b];
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) out[b * k + a] = out[a * k + b];
  }

  /** Y = X·Pᵀ (m×l) into the shared W, and YᵀY; with `withZ` also Z = YᵀX (l×n). For the randomized SVD. */
  project(P: Float64Array, l: number, withZ: boolean, Z: Float64Array | null, YtY: Float64Array): void {
    this.setProbes(P, l);
    this.run(withZ ? F_ACC : F_W_OUT, l);
    if (withZ) this.sumWtX(l, Z!);
    this.sumWtW(l, YtY);
  }

  async close(): Promise<void> {
    if (!this.workers.length) return;
    const { ctrl } = this.v;
    Atomics.store(ctrl, CTRL_STOP, 1);
    Atomics.add(ctrl, CTRL_GEN, 1);
    Atomics.notify(ctrl, CTRL_GEN);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Run HALS on the pool's X from W0 (m×k), H0 (k×n) (both copied). */
export function halsNmf(pool: RowPool, W0: Float64Array, H0: Float64Array, opts: HalsOptions): HalsResult {
  const { k } = opts;
  const { m, n } = pool;
  const kp = roundUp4(k);
  const Ws = pool.wView(k);
  Ws.fill(0);
  for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) Ws[i * kp + t] = W0[i * k + t];
  const H = Float64Array.from(H0.subarray(0, k * n));
  const HHt = new Float64Array(k * k);
  const WtX = new Float64Array(k * n);
  const WtW = new Float64Array(k * k);
  const x2 = pool.sumSq;
  const errors: number[] = [];
  const violations: number[] = [];
  let first = NaN;
  for (let iter = 0; iter < opts.maxIter; iter++) {
    gram(H, k, n, HHt);
    pool.setProbes(H, k);
    pool.setGram(HHt, k);
    pool.run(F_CD | F_ACC | (iter === 0 ? F_W_IN : 0), k);
    pool.sumWtX(k, WtX);
    pool.sumWtW(k, WtW);
    const violation = pool.sumViolation() + hUpdate(H, k, n, WtX, WtW);
    gram(H, k, n, HHt);
    const err = Math.sqrt(squaredError(x2, H, k, n, WtX, WtW, HHt));
    errors.push(err);
    opts.onIteration?.(iter + 1, err);
    if (iter === 0) first = violation;
    // scikit-learn (_fit_coordinate_descent): a zero first violation means the start is already optimal
    const relative = first === 0 ? 0 : violation / first;
    violations.push(relative);
    if (relative <= opts.tol) break;
  }
  if (errors.length) pool.run(F_NO_PASS | F_W_OUT, k);
  const W = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) W[i * k + t] = Ws[i * kp + t];
  return {
    W,
    H,
    errors: Float64Array.from(errors),
    violations: Float64Array.from(violations),
    iterations: errors.length,
  };
}

export { TILE_ROWS };
