/**
 * bbox splitting in O(1) per pixel. A bbox pixel spreads its value uniformly over its radius range
 * [t_lo, t_hi] (in bin units), so the sum over pixels is a piecewise-linear cumulative function
 *   C(t) = Σ_kinks s_k · (t − x_k)⁺,  with slope +v/span at t_lo and −v/span at t_hi,
 * and bin b receives C(b + 1) − C(b). Accumulating Σs and Σs·x per bin of the kink position and
 * prefix-summing gives C at every bin edge: C(b) = b·ΣA − ΣB over kinks below b. Two kinks per
 * pixel instead of one table entry per bin the pixel touches (≈ 8 at 400 bins on 144 px) — the same
 * numbers as the table gather up to rounding.
 */
import type { EllipseMetric } from '../calib/geometry-model.ts';
import { radiusRangeOverBox } from '../calib/geometry-model.ts';
import { MaskedIntegrator } from './apply-table.ts';
import type { BinSpec, PixelTable } from './pixel-table.ts';

const BANKS = 4;
const SLOT = 4;

export class BboxIntegrator extends MaskedIntegrator {
  private readonly kp: Int32Array;
  private readonly slotLo: Int32Array;
  private readonly slotHi: Int32Array;
  /** 1/span and x/span per kink (the weight's slope and offset), so a kink costs multiplies by v only. */
  private readonly inv: Float64Array;
  private readonly xlInv: Float64Array;
  private readonly xhInv: Float64Array;
  /**
   * Per slot: ΣA, ΣB for value (v) and v², interleaved (4 numbers); slot j holds kinks with x in
   * [j−1, j). BANKS copies, used in turn: neighbouring pixels hit the same slots, and one copy would
   * chain every update on the previous store (latency-bound, ~3× slower).
   */
  private readonly acc: Float64Array;
  /** Per slot: ΣA, ΣB of the weight kinks of this frame's masked pixels (few, so one bank). */
  private readonly accMasked: Float64Array;
  private readonly bankStride: number;
  private readonly kinkPass: KinkPass;

  constructor(table: PixelTable, staticMask: Uint8Array | null, m: EllipseMetric, cx: number, cy: number, h: number, w: number, spec: BinSpec) {
    super(table, staticMask);
    const { bins } = spec;
    const kp: number[] = [];
    const lo: number[] = [];
    const hi: number[] = [];
    const range = new Float64Array(2);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const p = y * w + x;
        if (!this.staticKeep[p]) continue;
        radiusRangeOverBox(m, x - 0.5 - cx, x + 0.5 - cx, y - 0.5 - cy, y + 0.5 - cy, range);
        const t0 = (range[0] - spec.r0) / spec.dr;
        const t1 = (range[1] - spec.r0) / spec.dr;
        if (t1 <= 0 || t0 >= bins) continue;
        kp.push(p);
        lo.push(t0);
        hi.push(t1);
      }
    }
    const n = kp.length;
    this.kp = Int32Array.from(kp);
    this.inv = new Float64Array(n);
    this.xlInv = new Float64Array(n);
    this.xhInv = new Float64Array(n);
    this.slotLo = new Int32Array(n);
    this.slotHi = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      this.inv[i] = 1 / (hi[i] - lo[i]);
      this.xlInv[i] = lo[i] * this.inv[i];
      this.xhInv[i] = hi[i] * this.inv[i];
      this.slotLo[i] = lo[i] < 0 ? 0 : Math.floor(lo[i]) + 1;
      // A kink at or beyond the last edge never affects C(b ≤ bins): send it to a spare slot.
      this.slotHi[i] = hi[i] >= bins ? bins + 1 : Math.floor(hi[i]) + 1;
    }
    this.bankStride = SLOT * (bins + 2);
    this.acc = new Float64Array(BANKS * this.bankStride);
    this.accMasked = new Float64Array(2 * (bins + 2));
    this.kinkPass = makeKinkPass(this.kp, this.slotLo, this.slotHi, this.inv, this.xlInv, this.xhInv, this.acc, this.accMasked, this.bankStride);
  }

  /** Not used: integrate() below fuses masking, weights and kinks in one pass over the pixels. */
  protected sumValues(): void {}

  override integrate(frame: ArrayLike<number>, frameOffset: number, bits: Uint8Array | null, bitsOffset: number, I: Float32Array, sigma: Float32Array, count: Float32Array, outOffset: number): void {
    // Small separate steps: each is optimised with complete type feedback (one long function gets
    // optimised mid-loop and then bails out at its tail on every call).
    this.acc.fill(0);
    this.accMasked.fill(0);
    this.kinkPass(frame, frameOffset, bits, bitsOffset);
    this.prefixPass();
    this.finish(I, sigma, count, outOffset);
  }

  /**
   * C(b) at every bin edge from the per-slot sums; bin b gets C(b + 1) − C(b). Σu is the bin's full
   * weight minus the masked pixels' share (their own kinks).
   */
  private prefixPass(): void {
    const { acc, accMasked, su, suv, suvv, bankStride, fullW } = this;
    const bins = this.table.bins;
    let A0 = 0;
    let B0 = 0;
    let A1 = 0;
    let B1 = 0;
    let A2 = 0;
    let B2 = 0;
    let prev0 = 0;
    let prev1 = 0;
    let prev2 = 0;
    for (let b = 0; b <= bins; b++) {
      A0 += accMasked[2 * b];
      B0 += accMasked[2 * b + 1];
      for (let k = 0, o = SLOT * b; k < BANKS; k++, o += bankStride) {
        A1 += acc[o];
        B1 += acc[o + 1];
        A2 += acc[o + 2];
        B2 += acc[o + 3];
      }
      const c0 = b * A0 - B0;
      const c1 = b * A1 - B1;
      const c2 = b * A2 - B2;
      if (b > 0) {
        su[b - 1] = fullW[b - 1] - (c0 - prev0);
        suv[b - 1] = c1 - prev1;
        suvv[b - 1] = c2 - prev2;
      }
      prev0 = c0;
      prev1 = c1;
      prev2 = c2;
    }
  }
}

/**
 * The per-frame loop as a closure over the integrator's own arrays: V8 then treats them as known
 * constants (about twice as fast as passing them as arguments or reading class fields).
 */
function makeKinkPass(
  kp: Int32Array,
  slotLo: Int32Array,
  slotHi: Int32Array,
  inv: Float64Array,
  xlInv: Float64Array,
  xhInv: Float64Array,
  acc: Float64Array,
  accMasked: Float64Array,
  bankStride: number,
): KinkPass {
  const n = kp.length;
  return (frame, frameOffset, bits, bitsOffset) => {
    // kp holds the statically kept pixels that reach the Q range, in ascending order.
    for (let i = 0; i < n; i++) {
      const p = kp[i];
      if (bits !== null && (bits[bitsOffset + (p >> 3)] >> (p & 7)) & 1) {
        // Masked this frame: its weight leaves Σu (see prefixPass).
        const am = 2 * slotLo[i];
        const cm = 2 * slotHi[i];
        accMasked[am] += inv[i];
        accMasked[am + 1] += xlInv[i];
        accMasked[cm] -= inv[i];
        accMasked[cm + 1] -= xhInv[i];
        continue;
      }
      const v = frame[frameOffset + p];
      if (v === 0) continue;
      const s = v * inv[i];
      const vl = v * xlInv[i];
      const vh = v * xhInv[i];
      // Literals, not the module constants: V8 re-checks module-level consts on every use.
      const bank = (i & 3) * bankStride; // BANKS = 4
      const a = bank + 4 * slotLo[i]; // SLOT = 4
      const c = bank + 4 * slotHi[i];
      acc[a] += s;
      acc[a + 1] += vl;
      acc[a + 2] += s * v;
      acc[a + 3] += vl * v;
      acc[c] -= s;
      acc[c + 1] -= vh;
      acc[c + 2] -= s * v;
      acc[c + 3] -= vh * v;
    }
  };
}

type KinkPass = (frame: ArrayLike<number>, frameOffset: number, bits: Uint8Array | null, bitsOffset: number) => void;
