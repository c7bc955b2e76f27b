/**
 * Runs NMF-HALS on several cores: X, W, H live in SharedArrayBuffers; each worker thread owns a
 * block of rows and does the fused W pass on it (hals.ts `wPass`), writing its partial WᵀX and WᵀW.
 * The calling thread does one block itself, then sums the partials and updates H (k×n, cheap).
 * Hand-off per iteration is a generation counter with Atomics.wait/notify — no messages, no copies.
 */
import { Worker } from 'node:worker_threads';
import { gram, hUpdate, squaredError, squaredNorm, sumPartials, wPass } from './hals.ts';

const CTRL_GEN = 0;
const CTRL_DONE = 1;
const CTRL_STOP = 2;
const CTRL_FAIL = 3;

interface WorkerInit {
  ctrl: SharedArrayBuffer;
  X: SharedArrayBuffer;
  W: SharedArrayBuffer;
  H: SharedArrayBuffer;
  HHt: SharedArrayBuffer;
  wtx: SharedArrayBuffer;
  wtw: SharedArrayBuffer;
  n: number;
  k: number;
  row0: number;
  row1: number;
}

/** Body of a worker thread (started by hals-worker.mjs). */
export function workerLoop(d: WorkerInit): void {
  const ctrl = new Int32Array(d.ctrl);
  const X = new Float32Array(d.X);
  const W = new Float64Array(d.W);
  const H = new Float64Array(d.H);
  const HHt = new Float64Array(d.HHt);
  const wtx = new Float64Array(d.wtx);
  const wtw = new Float64Array(d.wtw);
  const xh = new Float64Array(d.k);
  let gen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL_GEN, gen);
    gen = Atomics.load(ctrl, CTRL_GEN);
    if (Atomics.load(ctrl, CTRL_STOP)) return;
    try {
      wPass(X, d.n, d.k, d.row0, d.row1, W, H, HHt, wtx, wtw, xh);
    } catch {
      Atomics.store(ctrl, CTRL_FAIL, 1);
    }
    Atomics.add(ctrl, CTRL_DONE, 1);
    Atomics.notify(ctrl, CTRL_DONE);
  }
}

export interface HalsOptions {
  k: number;
  maxIter: number;
  /** Stop when the relative decrease of ‖X − WH‖ over one iteration falls below tol (0 = run maxIter). */
  tol: number;
  threads: number;
  /** Called after each iteration with the Frobenius error (for progress). */
  onIteration?: (iter: number, error: number) => void;
}

export interface HalsResult {
  W: Float64Array;
  H: Float64Array;
  /** ‖X − WH‖_F after each iteration. */
  errors: Float64Array;
  iterations: number;
}

function shared(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(bytes, 8));
}

/**
 * Run HALS from W0, H0 (copied) on X (m×n float32, ideally already in a SharedArrayBuffer).
 * threads ≤ 1, or a small problem, runs on the calling thread only.
 */
export async function halsNmf(X: Float32Array, m: number, n: number, W0: Float64Array, H0: Float64Array, opts: HalsOptions): Promise<HalsResult> {
  const { k } = opts;
  const threads = Math.max(1, Math.min(opts.threads, Math.floor(m / 64) || 1));
  const parallel = threads > 1 && m * n >= 200_000;
  const nBlocks = parallel ? threads : 1;

  const Xs = parallel && !(X.buffer instanceof SharedArrayBuffer) ? copyShared(X) : X;
  const W = new Float64Array(parallel ? shared(m * k * 8) : new ArrayBuffer(m * k * 8));
  const H = new Float64Array(parallel ? shared(k * n * 8) : new ArrayBuffer(k * n * 8));
  W.set(W0);
  H.set(H0);
  const HHtBuf = parallel ? shared(k * k * 8) : new ArrayBuffer(k * k * 8);
  const HHt = new Float64Array(HHtBuf);
  const wtxBufs = Array.from({ length: nBlocks }, () => (parallel ? shared(k * n * 8) : new ArrayBuffer(k * n * 8)));
  const wtwBufs = Array.from({ length: nBlocks }, () => (parallel ? shared(k * k * 8) : new ArrayBuffer(k * k * 8)));
  const wtx = wtxBufs.map((b) => new Float64Array(b));
  const wtw = wtwBufs.map((b) => new Float64Array(b));
  const bounds = Array.from({ length: nBlocks + 1 }, (_, b) => Math.round((b * m) / nBlocks));

  const ctrlBuf = shared(16);
  const ctrl = new Int32Array(ctrlBuf);
  const workers: Worker[] = [];
  if (parallel) {
    for (let b = 1; b < nBlocks; b++) {
      const init: WorkerInit = {
        ctrl: ctrlBuf,
        X: Xs.buffer as SharedArrayBuffer,
        W: W.buffer as SharedArrayBuffer,
        H: H.buffer as SharedArrayBuffer,
        HHt: HHtBuf as SharedArrayBuffer,
        wtx: wtxBufs[b] as SharedArrayBuffer,
        wtw: wtwBufs[b] as SharedArrayBuffer,
        n,
        k,
        row0: bounds[b],
        row1: bounds[b + 1],
      };
      // Xs may be a view at an offset into its buffer; the worker assumes offset 0
      if (Xs.byteOffset !== 0) throw new Error('halsNmf: X must start at offset 0 of its SharedArrayBuffer');
      const w = new Worker(new URL('./hals-worker.mjs', import.meta.url), { workerData: init });
      workers.push(w);
    }
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
  }

  const x2 = squaredNorm(Xs);
  const WtX = new Float64Array(k * n);
  const WtW = new Float64Array(k * k);
  const xh = new Float64Array(k);
  const errors: number[] = [];
  let prev = Infinity;
  let first = NaN;
  try {
    for (let iter = 0; iter < opts.maxIter; iter++) {
      gram(H, k, n, HHt);
      if (parallel) {
        Atomics.store(ctrl, CTRL_DONE, 0);
        Atomics.add(ctrl, CTRL_GEN, 1);
        Atomics.notify(ctrl, CTRL_GEN);
      }
      wPass(Xs, n, k, bounds[0], bounds[1], W, H, HHt, wtx[0], wtw[0], xh);
      if (parallel) {
        const need = nBlocks - 1;
        for (;;) {
          const done = Atomics.load(ctrl, CTRL_DONE);
          if (done >= need) break;
          if (Atomics.wait(ctrl, CTRL_DONE, done, 120_000) === 'timed-out') throw new Error('NMF worker did not answer within 120 s');
        }
        if (Atomics.load(ctrl, CTRL_FAIL)) throw new Error('NMF worker failed');
      }
      sumPartials(wtx, WtX);
      sumPartials(wtw, WtW);
      hUpdate(H, k, n, WtX, WtW);
      gram(H, k, n, HHt);
      const err = Math.sqrt(squaredError(x2, H, k, n, WtX, WtW, HHt));
      errors.push(err);
      opts.onIteration?.(iter + 1, err);
      if (iter === 0) first = err;
      if (opts.tol > 0 && Number.isFinite(prev) && (prev - err) / first < opts.tol) break;
      prev = err;
    }
  } finally {
    if (parallel) {
      Atomics.store(ctrl, CTRL_STOP, 1);
      Atomics.add(ctrl, CTRL_GEN, 1);
      Atomics.notify(ctrl, CTRL_GEN);
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
  return { W: Float64Array.from(W), H: Float64Array.from(H), errors: Float64Array.from(errors), iterations: errors.length };
}

export function copyShared(X: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(X.byteLength));
  out.set(X);
  return out;
}
