// One thread's share of the NMF row passes: a block of whole tiles of rows of X, copied once into
// its own instance of the hals.wasm kernel (X never changes between iterations), and the job
// protocol shared by the calling thread and the workers of hals-pool.ts.
//
// A job is "for every row of my tiles: y = Xᵢ·Pᵀ, then Wᵢ (coordinate descent or := y), then the
// tile's partial WᵀX and WᵀW" (for coordinate descent also the tile's projected-gradient
// violation, scikit-learn's stopping measure). The probes P (k×n: H for HALS, the SVD's basis for NNDSVDa) and HHᵀ
// come in through SharedArrayBuffers; each tile's partials go out to its own slot, so the caller
// can add them in tile order and get the same totals whatever the number of threads.
//
// Plain JavaScript (types in hals-kernel.d.mts) so a worker starts without the TypeScript loader.

/** Fewest rows per tile. */
export const TILE_ROWS = 256;
/** Most tiles: bounds the per-iteration partials (tiles × k × n) that are summed serially. */
export const MAX_TILES = 64;

// job flags
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

export const roundUp4 = (v) => (v + 3) & ~3;

/**
 * Rows per tile, the unit of work and of partial sums: a function of m only, so the results do not
 * depend on the number of threads (a multiple of 32, the kernel's sub-tile).
 */
export function tileRows(m) {
  return Math.max(TILE_ROWS, Math.ceil(m / MAX_TILES / 32) * 32);
}

export function tileCount(m) {
  return Math.ceil(m / tileRows(m));
}

/** Typed views of the shared buffers (see SharedState in hals-kernel.d.mts). */
export function sharedViews(s) {
  return {
    ctrl: new Int32Array(s.ctrl),
    job: new Int32Array(s.job),
    P: new Float32Array(s.P),
    HHt: new Float64Array(s.HHt),
    W: new Float64Array(s.W),
    A: new Float64Array(s.A),
    G: new Float64Array(s.G),
    stats: new Float64Array(s.stats),
    viol: new Float64Array(s.viol),
  };
}

/** Tiles [t0, t1) of one block: X (padded to n4 columns), W, probes, partials in one wasm memory. */
export class RowBlock {
  constructor(s, module, t0, t1) {
    const { m, n, kpMax } = s;
    const n4 = roundUp4(n);
    // (X itself is not kept: it is read here once)
    this.m = m;
    this.kpMax = kpMax;
    this.t0 = t0;
    this.t1 = t1;
    this.n4 = n4;
    const tr = (this.tileRows = tileRows(m));
    this.row0 = t0 * tr;
    this.row1 = Math.min(m, t1 * tr);
    const rows = this.row1 - this.row0;
    const tiles = t1 - t0;
    let off = 64;
    const take = (bytes) => {
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
    this.k = new WebAssembly.Instance(module).exports;
    const have = this.k.memory.buffer.byteLength;
    if (off > have) this.k.memory.grow(Math.ceil((off - have) / 65536));
    const buf = this.k.memory.buffer;
    const v = (this.v = sharedViews(s));

    // copy X in (rows padded with zeros to n4), with the per-tile Σx, Σx²
    const src = new Float32Array(s.X, s.xOffset, m * n);
    const dst = new Float32Array(buf, this.xPtr, rows * n4);
    for (let t = t0; t < t1; t++) {
      let sx = 0;
      let sx2 = 0;
      const r1 = Math.min(m, (t + 1) * tr);
      for (let i = t * tr; i < r1; i++) {
        const row = src.subarray(i * n, (i + 1) * n);
        dst.set(row, (i - this.row0) * n4);
        for (let j = 0; j < n; j++) {
          const x = row[j];
          sx += x;
          sx2 += x * x;
        }
      }
      v.stats[2 * t] = sx;
      v.stats[2 * t + 1] = sx2;
    }
  }

  /** Run the job currently described in the shared job words. */
  run() {
    const { job, P, HHt, A: sharedA, G: sharedG } = this.v;
    const flags = job[JOB_FLAGS];
    const k = job[JOB_K];
    const kp = roundUp4(k);
    const { n4, m, kpMax } = this;
    const buf = this.k.memory.buffer;
    const W = new Float64Array(buf, this.wPtr, (this.row1 - this.row0) * kp);
    const wShared = this.v.W.subarray(this.row0 * kp, this.row1 * kp);
    if (flags & F_W_IN) W.set(wShared);
    if (!(flags & F_NO_PASS)) {
      new Float32Array(buf, this.pPtr, kp * n4).set(P.subarray(0, kp * n4));
      new Float64Array(buf, this.hhtPtr, k * k).set(HHt.subarray(0, k * k));
      const aSlot = kpMax * n4;
      const gSlot = kpMax * kpMax;
      const A = new Float64Array(buf, this.aPtr, (this.t1 - this.t0) * aSlot);
      const G = new Float64Array(buf, this.gPtr, (this.t1 - this.t0) * gSlot);
      for (let t = this.t0; t < this.t1; t++) {
        const r0 = t * this.tileRows;
        const rows = Math.min(m, r0 + this.tileRows) - r0;
        const slot = t - this.t0;
        this.v.viol[t] = this.k.pass(
          flags & (F_CD | F_ACC),
          this.xPtr + (r0 - this.row0) * n4 * 4,
          this.wPtr + (r0 - this.row0) * kp * 8,
          rows,
          n4,
          k,
          kp,
          this.pPtr,
          this.hhtPtr,
          this.yPtr,
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

/** Body of a worker thread (hals-worker.mjs): set up the block, then run each job until told to stop. */
export function workerLoop(d) {
  const ctrl = new Int32Array(d.s.ctrl);
  let block = null;
  try {
    block = new RowBlock(d.s, d.module, d.t0, d.t1);
    d.s.X = null; // let a copy made for the workers go
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
      block.run();
    } catch {
      Atomics.store(ctrl, CTRL_FAIL, 1);
    }
    Atomics.add(ctrl, CTRL_DONE, 1);
    Atomics.notify(ctrl, CTRL_DONE);
  }
}
