/**
 * The fit's WASM kernel (normal.wat) and the slice of its linear memory a solver and its model share:
 * a model whose residuals and Jacobian columns are computed in WASM must have its samples in the same
 * memory the solver's r and J live in. One arena per fit: sized once (growing the memory would detach
 * every view already handed out), then carved into Float64Array views.
 */
import { ensureMemory, wasmInstance } from '../../engine/wasm.ts';

const KERNEL_URL = new URL('./normal.wasm', import.meta.url);

/** Exports of normal.wasm; every pointer is a byte offset into `memory`. */
export interface FitKernel extends WebAssembly.Exports {
  memory: WebAssembly.Memory;
  normal(
    J: number,
    r: number,
    d1: number,
    w: number,
    wr: number,
    H: number,
    g: number,
    m: number,
    p: number,
  ): void;
  base(x: number, y: number, r: number, Ja: number, J1: number, m: number, a: number, a0: number): void;
  gauss(
    x: number,
    r: number,
    ex: number,
    JA: number,
    Jc: number,
    Js: number,
    m: number,
    j: number,
    A: number,
    c: number,
    is: number,
    is2: number,
    hN: number,
    g: number,
    q: number,
    qb: number,
    K: number,
  ): void;
  soft_l1(r: number, d1: number, w: number, m: number, inv: number, irls: number): number;
  axpy(y: number, x: number, m: number, d: number): void;
}

export class FitArena {
  readonly kernel: FitKernel;
  /** The memory's buffer (fixed: the memory is grown once, here). */
  private buffer: ArrayBuffer;
  private off = 0;
  /** Room for `doubles` float64 numbers. */
  constructor(readonly doubles: number) {
    this.kernel = wasmInstance<FitKernel>(KERNEL_URL);
    ensureMemory(this.kernel.memory, 8 * doubles);
    this.buffer = this.kernel.memory.buffer;
  }

  take(len: number): Float64Array {
    if (this.off + 8 * len > 8 * this.doubles)
      throw new Error(`FitArena: ${len} more numbers do not fit in ${this.doubles}`);
    const v = new Float64Array(this.buffer, this.off, len);
    this.off += 8 * len;
    return v;
  }

  /** Whether v is a view into this arena's memory (so the kernel can address it). */
  holds(v: Float64Array): boolean {
    return v.buffer === this.buffer;
  }
}
