/**
 * The integration kernel (integrate.wat) with its per-geometry data laid out in its own linear
 * memory: built once per table (geometry, and per descan bucket), then one call per frame. The
 * host copies the frame (uint8 as is, other types converted to f64 by a typed-array set) and its
 * packed mask in, and the three output rows out; nothing is allocated per frame.
 * Non-finite pixels of a float frame (NaN, ±Inf: dead or saturated pixels written as such) are
 * masked here whatever the mask input says: one +Inf would otherwise poison every bin from its radius
 * outward in the bbox prefix sums.
 */
import { ensureMemory, wasmInstance } from '../../engine/wasm.ts';
import type { EllipseMetric } from '../calib/geometry-model.ts';
import { packedBytes, packMask } from '../mask/bits.ts';
import { binWeights, staticKeepOf, type FrameData, type Integrator } from './apply-table.ts';
import { BANKS, bboxKinks, kinkBinWeights, kinkWeightRatio } from './bbox-integrator.ts';
import type { BinSpec, PixelTable } from './pixel-table.ts';

interface Kernel extends WebAssembly.Exports {
  memory: WebAssembly.Memory;
  bbox(hasMask: number, isU8: number): void;
  table(hasMask: number, isU8: number): void;
}

export interface BboxGeometry {
  m: EllipseMetric;
  cx: number;
  cy: number;
  h: number;
  w: number;
  spec: BinSpec;
}

/** Data to copy into the kernel's memory: address, values, element type. */
type Fill = [number, ArrayLike<number>, 'f64' | 'f32' | 'i32' | 'u8'];

/** Bump allocator over byte offsets, 16-byte aligned. */
class Layout {
  size = 16; // address 0 stays unused
  take(bytes: number): number {
    const at = this.size;
    this.size += Math.ceil(bytes / 16) * 16;
    return at;
  }
}

export class WasmIntegrator implements Integrator {
  private readonly k: Kernel;
  private readonly run: (hasMask: number, isU8: number) => void;
  private readonly pixels: number;
  private readonly maskBytes: number;
  private readonly at: { frame8: number; val: number; mask: number };
  private readonly bytes: Uint8Array;
  private readonly f64: Float64Array;
  private readonly outI: Float32Array;
  private readonly outSigma: Float32Array;
  private readonly outCount: Float32Array;
  /** The frame's mask with its non-finite pixels added (float frames that have any). */
  private readonly ownBits: Uint8Array;

  /**
   * bbox splitting in the prefix-sum form (from the geometry alone: no table is built), or a gather
   * over a table (none, full).
   */
  constructor(source: { bbox: BboxGeometry } | { table: PixelTable }, staticMask: Uint8Array | null) {
    const bbox = 'bbox' in source ? source.bbox : null;
    const bins = bbox ? bbox.spec.bins : (source as { table: PixelTable }).table.bins;
    const pixels = bbox ? bbox.h * bbox.w : (source as { table: PixelTable }).table.pixels;
    const keep = staticKeepOf(staticMask, pixels);
    const pad = Math.ceil(pixels / 16) * 16;
    const rowFloats = Math.ceil(bins / 4) * 4;
    this.pixels = pixels;
    this.maskBytes = packedBytes(pixels);
    const L = new Layout();
    const g: Record<string, number> = {
      pixels,
      bins,
      isBbox: bbox ? 1 : 0,
      val: L.take(8 * pad),
      frame8: L.take(pad),
      mask: L.take(8 * Math.ceil(this.maskBytes / 8)),
      maskWords: Math.ceil(this.maskBytes / 8),
      part: L.take(8 * Math.ceil(this.maskBytes / 8)),
      out: L.take(12 * rowFloats),
      outRow: 4 * rowFloats,
      fullW: L.take(8 * bins),
      // Per-bin f64 arrays read two bins a step: padded to an even count (take() rounds to 16 bytes).
      wRatio: L.take(8 * bins),
      su: L.take(8 * bins),
      suv: L.take(8 * bins),
      suvv: L.take(8 * bins),
    };
    // Pixels whose mask bit matters: kept and reaching the Q range (a masked pixel outside needs no work).
    const part = new Uint8Array(pixels);
    const fill = bbox
      ? layBbox(L, g, keep, bbox, part)
      : layTable(L, g, keep, (source as { table: PixelTable }).table, part);
    fill.push([g.part, packMask(part), 'u8']);
    this.k = wasmInstance<Kernel>(new URL('./integrate.wasm', import.meta.url));
    ensureMemory(this.k.memory, L.size);
    for (const [name, v] of Object.entries(g))
      ((this.k as WebAssembly.Exports)[name] as WebAssembly.Global).value = v;
    const buf = this.k.memory.buffer;
    for (const [at, data, type] of fill) {
      const View =
        type === 'f64'
          ? Float64Array
          : type === 'f32'
            ? Float32Array
            : type === 'i32'
              ? Int32Array
              : Uint8Array;
      new View(buf, at, data.length).set(data);
    }
    this.run = bbox ? this.k.bbox : this.k.table;
    this.at = { frame8: g.frame8, val: g.val, mask: g.mask };
    this.bytes = new Uint8Array(buf);
    this.f64 = new Float64Array(buf);
    this.outI = new Float32Array(buf, g.out, bins);
    this.outSigma = new Float32Array(buf, g.out + g.outRow, bins);
    this.outCount = new Float32Array(buf, g.out + 2 * g.outRow, bins);
    this.ownBits = new Uint8Array(this.maskBytes);
  }

  integrate(
    frame: FrameData,
    frameOffset: number,
    bits: Uint8Array | null,
    bitsOffset: number,
    I: Float32Array,
    sigma: Float32Array,
    count: Float32Array,
    outOffset: number,
  ): void {
    const u8 = frame instanceof Uint8Array;
    const src = frame.subarray(frameOffset, frameOffset + this.pixels);
    if (u8) this.bytes.set(src, this.at.frame8);
    else {
      this.f64.set(src, this.at.val >> 3);
      const masked = this.maskNonFinite(bits, bitsOffset);
      if (masked) {
        bits = masked;
        bitsOffset = 0;
      }
    }
    if (bits !== null) this.bytes.set(bits.subarray(bitsOffset, bitsOffset + this.maskBytes), this.at.mask);
    this.run(bits !== null ? 1 : 0, u8 ? 1 : 0);
    I.set(this.outI, outOffset);
    sigma.set(this.outSigma, outOffset);
    count.set(this.outCount, outOffset);
  }

  /** Non-finite values in the copied frame → 0 and a mask bit; the mask to use, or null if none. */
  private maskNonFinite(bits: Uint8Array | null, bitsOffset: number): Uint8Array | null {
    const v = this.f64;
    const v0 = this.at.val >> 3;
    let own: Uint8Array | null = null;
    for (let p = 0; p < this.pixels; p++) {
      const x = v[v0 + p];
      if (x - x === 0) continue; // finite (NaN and ±Inf give NaN)
      if (own === null) {
        own = this.ownBits;
        if (bits !== null) own.set(bits.subarray(bitsOffset, bitsOffset + this.maskBytes));
        else own.fill(0);
      }
      own[p >> 3] |= 1 << (p & 7);
      v[v0 + p] = 0;
    }
    return own;
  }
}

/** bbox: row runs, kink coefficients and slot addresses (globals into `g`, data to copy returned). */
function layBbox(
  L: Layout,
  g: Record<string, number>,
  keep: Uint8Array,
  bbox: BboxGeometry,
  part: Uint8Array,
): Fill[] {
  const bins = g.bins;
  const kinks = bboxKinks(keep, bbox.m, bbox.cx, bbox.cy, bbox.h, bbox.w, bbox.spec);
  for (let p = 0; p < part.length; p++) part[p] = kinks.kinkOf[p] >= 0 ? 1 : 0;
  const slotBytes = 32; // Σs, Σs·x, Σs·v, Σs·x·v
  Object.assign(g, {
    w: bbox.w,
    rows: bbox.h,
    rowTab: L.take(4 * kinks.rows.length),
    kinkOf: L.take(4 * part.length),
    coef: L.take(8 * kinks.coef.length),
    slots: L.take(4 * kinks.slots.length),
    bankStride: slotBytes * (bins + 2),
    acc: L.take(BANKS * slotBytes * (bins + 2)),
    accM: L.take(16 * (bins + 2)),
  });
  // Slot addresses with the bank (kink index mod 4) folded in: no bank arithmetic per pixel.
  const slotAddr = new Int32Array(kinks.slots.length);
  for (let i = 0; i < kinks.count; i++) {
    const bank = g.acc + (i % BANKS) * g.bankStride;
    slotAddr[2 * i] = bank + slotBytes * kinks.slots[2 * i];
    slotAddr[2 * i + 1] = bank + slotBytes * kinks.slots[2 * i + 1];
  }
  return [
    [g.fullW, kinkBinWeights(kinks, bins), 'f64'],
    [g.wRatio, kinkWeightRatio(kinks, bins), 'f64'],
    [g.rowTab, kinks.rows, 'i32'],
    [g.kinkOf, kinks.kinkOf, 'i32'],
    [g.coef, kinks.coef, 'f64'],
    [g.slots, slotAddr, 'i32'],
  ];
}

/** none / full: the bin-major table for the gather, the pixel-major one for dropping masked pixels. */
function layTable(
  L: Layout,
  g: Record<string, number>,
  keep: Uint8Array,
  table: PixelTable,
  part: Uint8Array,
): Fill[] {
  const { bins, pixels } = table;
  const { fullW, weightRatio } = binWeights(table, keep);
  for (let p = 0; p < pixels; p++) part[p] = keep[p] && table.pixStart[p + 1] > table.pixStart[p] ? 1 : 0;
  // Statically masked pixels leave the gather.
  let n = 0;
  for (let k = 0; k < table.binPix.length; k++) if (keep[table.binPix[k]]) n++;
  Object.assign(g, {
    binStart: L.take(4 * (bins + 1)),
    binPix: L.take(4 * n),
    binW: L.take(4 * n),
    pixStart: L.take(4 * (pixels + 1)),
    pixBin: L.take(4 * table.pixBin.length),
    pixW: L.take(4 * table.pixW.length),
  });
  // Addresses, not indices: the value of pixel p and Σu of bin b.
  const binStart = new Int32Array(bins + 1);
  const binPix = new Int32Array(n);
  const binW = new Float32Array(n);
  for (let b = 0, j = 0; b < bins; b++) {
    for (let k = table.binStart[b]; k < table.binStart[b + 1]; k++) {
      if (!keep[table.binPix[k]]) continue;
      binPix[j] = g.val + 8 * table.binPix[k];
      binW[j++] = table.binW[k];
    }
    binStart[b + 1] = j;
  }
  const pixBin = new Int32Array(table.pixBin.length);
  for (let k = 0; k < pixBin.length; k++) pixBin[k] = g.su + 8 * table.pixBin[k];
  return [
    [g.fullW, fullW, 'f64'],
    [g.wRatio, weightRatio, 'f64'],
    [g.binStart, binStart, 'i32'],
    [g.binPix, binPix, 'i32'],
    [g.binW, binW, 'f32'],
    [g.pixStart, table.pixStart, 'i32'],
    [g.pixBin, pixBin, 'i32'],
    [g.pixW, table.pixW, 'f32'],
  ];
}
