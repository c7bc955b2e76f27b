/**
 * Template matching of one pattern (pyxem-style): every template's spots, placed on the folded
 * polar image, are correlated over all in-plane angles at once — for spot s at ring r_s and angle
 * θ_s, C(φ) += w_s · F[r_s, θ_s + φ] — and the best (template, φ) wins. Correlation is normalised:
 * Σ w F / (‖w‖ ‖F‖), 1 when the pattern is exactly the template.
 * Reliability (ASTAR): 100 · (1 − Q₂/Q₁), Q₂ the best score of a solution whose orientation differs
 * from the best by more than `minSepDeg` (up to the crystal symmetry and the Friedel 180° turn).
 * With `finalists` > 0, Q₁ and Q₂ are re-scored on the raw pattern by where the spots are
 * (spot-agreement.ts): Q₁ the best of the winner's near finalists, Q₂ the best of the far ones; the
 * match itself (template, angle, correlation) stays the scan's.
 */
import type { Mat3, Vec3 } from './symmetry.ts';
import {
  directionAngle,
  misorientation,
  orientationMatrix,
  rotationGroup,
  type LaueClass,
} from './symmetry.ts';
import { ensureMemory, wasmInstance } from '../../engine/wasm.ts';
import { PolarTable } from './polar.ts';
import { SpotAgreement, type Finalist } from './spot-agreement.ts';

/** Finalists from near the scan's winner (its own template included) for the re-scoring. */
const NEAR_FINALISTS = 3;

interface CorrelateKernel extends WebAssembly.Exports {
  memory: WebAssembly.Memory;
  scan(
    T: number,
    half4: number,
    F: number,
    start: number,
    off: number,
    wt: number,
    best: number,
    bestPhi: number,
  ): void;
  fold(
    nRings: number,
    nTheta: number,
    frame: number,
    w: number,
    idx: number,
    fx: number,
    fy: number,
    ring: number,
    out: number,
    sqrt: number,
  ): number;
}

/** Where fold() reads a uint8 pattern in the kernel's memory: samples' pixel indices span lo … hi − 1. */
interface FoldLayout {
  frame: number;
  idx: number;
  fx: number;
  fy: number;
  ring: number;
  /** Smallest and largest top-left pixel index of a sample, and the bytes copied per pattern. */
  lo: number;
  span: number;
  view: Uint8Array;
}

export interface TemplateLibrary {
  direction: Float32Array;
  phase: Int32Array;
  spotStart: Int32Array;
  spotQ: Float32Array;
  spotAngle: Float32Array;
  spotIntensity: Float32Array;
  laue: LaueClass[];
}

export interface MatchOptions {
  qPerPixel: number;
  /** Angular bins over 360° (even). */
  nTheta: number;
  /** Exponent on template intensities and on the background-removed pattern. */
  power: number;
  /** Scan the templates with the WebAssembly SIMD kernel (correlate.wat) instead of plain JS. */
  wasm?: boolean;
  minSepDeg: number;
  /** Far solutions re-scored by spot agreement with the winner's (0 = the scan's scores only). */
  finalists?: number;
}

export interface MatchResult {
  template: number;
  /** Best in-plane angle (rad, [0, π)), sub-bin by a parabola through the peak. */
  inplane: number;
  correlation: number;
  reliability: number;
}

export class Matcher {
  readonly polar: PolarTable;
  readonly nT: number;
  private readonly half: number;
  /** Per template, folded spots: offsets into the polar image and normalised weights. */
  private readonly start: Int32Array;
  private readonly off: Int32Array;
  private readonly wt: Float32Array;
  private readonly folded: Float32Array;
  private readonly ring: Float32Array;
  private readonly acc: Float32Array;
  private readonly best: Float32Array;
  private readonly bestPhi: Int32Array;
  /** The kernel and the byte addresses of its arrays, when scanning in WebAssembly. */
  private readonly kernel: {
    k: CorrelateKernel;
    half4: number;
    F: number;
    start: number;
    off: number;
    wt: number;
    best: number;
    bestPhi: number;
    fold: FoldLayout | null;
  } | null = null;
  private readonly groups: Mat3[][];
  private readonly nearCache = new Map<number, Uint8Array>();
  /** ‖F‖ of the pattern of the last match(). */
  private lastNorm = 1;
  private readonly agree: SpotAgreement | null;

  constructor(
    readonly lib: TemplateLibrary,
    geom: { cx: number; cy: number; axisRatio: number; angleDeg: number; h: number; w: number },
    readonly o: MatchOptions,
  ) {
    const T = lib.phase.length;
    this.nT = T;
    this.half = o.nTheta >> 1;
    let qLo = Infinity;
    let qHi = 0;
    for (let i = 0; i < lib.spotQ.length; i++) {
      qLo = Math.min(qLo, lib.spotQ[i]);
      qHi = Math.max(qHi, lib.spotQ[i]);
    }
    if (!(qHi > 0)) qLo = qHi = 1;
    const r0 = Math.max(1, Math.floor(qLo / o.qPerPixel) - 1);
    const nRings = Math.ceil(qHi / o.qPerPixel) + 2 - r0;
    this.polar = new PolarTable(geom, r0, nRings, o.nTheta);
    this.ring = new Float32Array(o.nTheta);
    this.acc = new Float32Array(this.half);
    this.groups = lib.laue.map(rotationGroup);
    this.agree =
      (o.finalists ?? 0) > 0 ? new SpotAgreement(this.polar, o.qPerPixel, r0, r0 + nRings - 1) : null;

    // Fold each template: a spot and its Friedel mate land on the same (ring, angle mod π) cell.
    const starts = [0];
    const offs: number[] = [];
    const wts: number[] = [];
    for (let t = 0; t < T; t++) {
      this.foldSpots(
        lib.spotQ,
        lib.spotAngle,
        lib.spotIntensity,
        lib.spotStart[t],
        lib.spotStart[t + 1],
        offs,
        wts,
      );
      starts.push(offs.length);
    }
    this.start = Int32Array.from(starts);
    this.off = Int32Array.from(offs);
    this.wt = Float32Array.from(wts);
    const nF = nRings * o.nTheta;
    if (o.wasm === false) {
      this.folded = new Float32Array(nF);
      this.best = new Float32Array(T);
      this.bestPhi = new Int32Array(T);
      return;
    }
    // One linear memory: F (+4 floats of padding: the last row's lanes may read past it), the
    // folded templates and the per-template results, each 16-byte aligned.
    const k = wasmInstance<CorrelateKernel>(new URL('./correlate.wasm', import.meta.url));
    const half4 = Math.ceil(this.half / 4) * 4;
    let at = 0;
    const take = (bytes: number) => {
      const a = at;
      at += Math.ceil(bytes / 16) * 16;
      return a;
    };
    const lay = {
      F: take(4 * (nF + 4)),
      start: take(4 * (T + 1)),
      off: take(4 * this.off.length),
      wt: take(4 * this.wt.length),
      best: take(4 * T),
      bestPhi: take(4 * T),
    };
    // The polar sampling table, for fold() in the kernel (uint8 patterns; power 1 or 0.5).
    const table = this.polar.table();
    let lo = Infinity;
    let hi = -1;
    for (const i of table.idx) if (i >= 0) (lo = Math.min(lo, i)), (hi = Math.max(hi, i));
    const foldable = hi >= 0 && (o.power === 1 || o.power === 0.5);
    const span = foldable ? hi + table.w + 2 - lo : 0;
    const fl = foldable
      ? {
          idx: take(4 * nF),
          fx: take(4 * nF),
          fy: take(4 * nF),
          ring: take(4 * o.nTheta),
          frame: take(span),
        }
      : null;
    ensureMemory(k.memory, at);
    const buf = k.memory.buffer;
    if (fl) {
      new Int32Array(buf, fl.idx, nF).set(table.idx);
      new Float32Array(buf, fl.fx, nF).set(table.fx);
      new Float32Array(buf, fl.fy, nF).set(table.fy);
    }
    new Int32Array(buf, lay.start, T + 1).set(this.start);
    new Int32Array(buf, lay.off, this.off.length).set(this.off);
    new Float32Array(buf, lay.wt, this.wt.length).set(this.wt);
    this.folded = new Float32Array(buf, lay.F, nF + 4);
    this.best = new Float32Array(buf, lay.best, T);
    this.bestPhi = new Int32Array(buf, lay.bestPhi, T);
    const fold = fl ? { ...fl, lo, span, view: new Uint8Array(buf, fl.frame, span) } : null;
    this.kernel = { k, half4, ...lay, fold };
  }

  /** Best score and angle bin of every template on the current folded image. */
  private scanAll(): number {
    const { acc, best, bestPhi, half, nT } = this;
    let top = 0;
    const kn = this.kernel;
    if (kn) {
      kn.k.scan(nT, kn.half4, kn.F, kn.start, kn.off, kn.wt, kn.best, kn.bestPhi);
      for (let t = 0; t < nT; t++) {
        if (bestPhi[t] >= half) bestPhi[t] -= half;
        if (best[t] > best[top]) top = t;
      }
      return top;
    }
    for (let t = 0; t < nT; t++) {
      this.correlate(t, acc);
      let m = -Infinity;
      let at = 0;
      for (let p = 0; p < half; p++) {
        if (acc[p] > m) {
          m = acc[p];
          at = p;
        }
      }
      best[t] = m;
      bestPhi[t] = at;
      if (m > best[top]) top = t;
    }
    return top;
  }

  /** Fold spots s0 … s1−1 onto (ring, angle mod π) cells, weights I^power normalised; appended to offs, wts. */
  private foldSpots(
    q: ArrayLike<number>,
    angle: ArrayLike<number>,
    inten: ArrayLike<number>,
    s0: number,
    s1: number,
    offs: number[],
    wts: number[],
  ): void {
    const o = this.o;
    const binPerRad = o.nTheta / (2 * Math.PI);
    const cells = new Map<number, number>();
    for (let s = s0; s < s1; s++) {
      const ri = Math.round(q[s] / o.qPerPixel) - this.polar.r0;
      if (ri < 0 || ri >= this.polar.nRings) continue;
      let a = angle[s] % Math.PI;
      if (a < 0) a += Math.PI;
      const tb = Math.round(a * binPerRad) % this.half;
      const key = ri * o.nTheta + tb;
      cells.set(key, (cells.get(key) ?? 0) + Math.pow(inten[s], o.power));
    }
    let n2 = 0;
    for (const v of cells.values()) n2 += v * v;
    const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
    for (const [k, v] of cells) {
      offs.push(k);
      wts.push(v * inv);
    }
  }

  /**
   * Score of an ad-hoc template (spots in Q units, as templates.ts makes them) on the pattern of the
   * last match(): best correlation (same normalisation as the library) and its in-plane angle (rad).
   */
  scoreSpots(spots: { q: number[]; angle: number[]; intensity: number[] }): {
    score: number;
    inplane: number;
  } {
    const offs: number[] = [];
    const wts: number[] = [];
    this.foldSpots(spots.q, spots.angle, spots.intensity, 0, spots.q.length, offs, wts);
    const { acc, half } = this;
    acc.fill(0);
    const F = this.folded;
    for (let s = 0; s < offs.length; s++) for (let p = 0; p < half; p++) acc[p] += wts[s] * F[offs[s] + p];
    let at = 0;
    for (let p = 1; p < half; p++) if (acc[p] > acc[at]) at = p;
    return { score: acc[at] / this.lastNorm, inplane: this.subBin(at) };
  }

  /** Parabolic sub-bin angle (rad, [0, π)) of the maximum at bin `at` of acc. */
  private subBin(at: number): number {
    const { acc, half } = this;
    const ym = acc[(at + half - 1) % half];
    const y0 = acc[at];
    const yp = acc[(at + 1) % half];
    const den = ym - 2 * y0 + yp;
    const frac = den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (ym - yp)) / den)) : 0;
    let phi = (at + frac) * this.binRad;
    if (phi < 0) phi += Math.PI;
    if (phi >= Math.PI) phi -= Math.PI;
    return phi;
  }

  /** The folded templates (for reference implementations such as bench/crystal_match_numpy.py). */
  cells(): { start: Int32Array; off: Int32Array; wt: Float32Array } {
    return { start: this.start, off: this.off, wt: this.wt };
  }

  /** Angle bin width (rad). */
  get binRad(): number {
    return (2 * Math.PI) / this.o.nTheta;
  }

  /** C(φ) of template t over φ bins 0 … half−1 into acc (on the current folded image). */
  private correlate(t: number, acc: Float32Array) {
    const F = this.folded;
    const half = this.half;
    acc.fill(0);
    for (let s = this.start[t], e = this.start[t + 1]; s < e; s++) {
      const w = this.wt[s];
      const o = this.off[s];
      for (let p = 0; p < half; p++) acc[p] += w * F[o + p];
    }
  }

  orientationOf(t: number, inplane: number): Mat3 {
    const d = this.lib.direction;
    return orientationMatrix([d[3 * t], d[3 * t + 1], d[3 * t + 2]] as Vec3, inplane);
  }

  /**
   * polar.fold() of a uint8 pattern in the kernel (same bits, ~2× faster); null when the kernel
   * cannot (another dtype or power, or samples outside `frame`, which fold() reads as NaN).
   */
  private foldInKernel(frame: ArrayLike<number>, offset: number, shift: number): number | null {
    const fl = this.kernel?.fold;
    if (!fl || !(frame instanceof Uint8Array)) return null;
    const from = offset + shift + fl.lo;
    if (from < 0 || from + fl.span > frame.length) return null;
    fl.view.set(frame.subarray(from, from + fl.span));
    const kn = this.kernel!;
    const p = this.polar;
    return kn.k.fold(
      p.nRings,
      p.nTheta,
      fl.frame - fl.lo,
      p.width,
      fl.idx,
      fl.fx,
      fl.fy,
      fl.ring,
      kn.F,
      this.o.power === 1 ? 0 : 1,
    );
  }

  match(frame: ArrayLike<number>, offset: number, shift: number, out: MatchResult): MatchResult {
    const norm =
      this.foldInKernel(frame, offset, shift) ??
      this.polar.fold(frame, offset, shift, this.o.power, this.ring, this.folded);
    this.lastNorm = norm;
    const { acc, best, bestPhi } = this;
    if (!(norm > 0)) {
      out.template = -1;
      out.inplane = NaN;
      out.correlation = 0;
      out.reliability = 0;
      return out;
    }
    const top = this.scanAll();
    // The winner's curve again: sub-bin angle, and its other maxima (other in-plane solutions).
    this.correlate(top, acc);
    const at = bestPhi[top];
    const phi = this.subBin(at);
    const q1 = best[top];
    out.template = top;
    out.inplane = phi;
    out.correlation = q1 / norm;
    if (this.agree) out.reliability = this.rescore(frame, offset, shift, top, phi, at);
    else out.reliability = q1 > 0 ? 100 * (1 - this.secondBest(top, phi, at) / q1) : 0;
    return out;
  }

  /**
   * Reliability from the finalists re-scored by spot agreement: the best NEAR_FINALISTS templates
   * near the winner's beam direction (Q₁: the best of them) against the best `finalists` beyond it
   * and the winner's best far in-plane maximum (Q₂); 0 when a far one agrees better.
   */
  private rescore(
    frame: ArrayLike<number>,
    offset: number,
    shift: number,
    top: number,
    phi: number,
    at: number,
  ): number {
    const { acc, best, bestPhi, half, lib } = this;
    const near = this.nearOf(top);
    const nearT = topK(best, NEAR_FINALISTS, (t) => near[t] === 1 && t !== top);
    const farT = topK(best, this.o.finalists ?? 0, (t) => near[t] === 0);
    const start = (t: number, p: number): Finalist => ({
      s0: lib.spotStart[t],
      s1: lib.spotStart[t + 1],
      phi: p,
    });
    const nearF = [start(top, phi), ...nearT.map((t) => start(t, bestPhi[t] * this.binRad))];
    const farF = farT.map((t) => start(t, bestPhi[t] * this.binRad));
    // The winner's own best other in-plane solution (a different orientation of the same zone).
    const rTop = this.orientationOf(top, phi);
    const group = this.groups[lib.phase[top]];
    let other = -1;
    for (let p = 0; p < half; p++) {
      if (p === at || (other >= 0 && acc[p] <= acc[other])) continue;
      if (acc[p] < acc[(p + 1) % half] || acc[p] < acc[(p + half - 1) % half]) continue;
      if (misorientation(rTop, this.orientationOf(top, p * this.binRad), group) > this.minSepRad) other = p;
    }
    if (other >= 0) farF.push(start(top, other * this.binRad));
    const spots = { q: lib.spotQ, angle: lib.spotAngle, intensity: lib.spotIntensity };
    const s = this.agree!.scoreAll(frame, offset, shift, spots, [...nearF, ...farF], this.binRad);
    let q1 = 0;
    for (let k = 0; k < nearF.length; k++) q1 = Math.max(q1, s[k]);
    let q2 = 0;
    for (let k = nearF.length; k < s.length; k++) q2 = Math.max(q2, s[k]);
    return q1 > 0 ? 100 * Math.max(0, 1 - q2 / q1) : 0;
  }

  private get minSepRad(): number {
    return (this.o.minSepDeg * Math.PI) / 180;
  }

  /** Flags of the templates (same phase) whose beam direction is within minSep of template t's, up to symmetry. */
  private nearOf(t: number): Uint8Array {
    let flags = this.nearCache.get(t);
    if (flags) return flags;
    flags = new Uint8Array(this.nT);
    const d = this.lib.direction;
    const ph = this.lib.phase[t];
    const a: Vec3 = [d[3 * t], d[3 * t + 1], d[3 * t + 2]];
    const minSep = (this.o.minSepDeg * Math.PI) / 180;
    const group = this.groups[ph];
    for (let u = 0; u < this.nT; u++) {
      if (this.lib.phase[u] !== ph) continue;
      if (directionAngle(a, [d[3 * u], d[3 * u + 1], d[3 * u + 2]], group) <= minSep) flags[u] = 1;
    }
    this.nearCache.set(t, flags);
    return flags;
  }

  /** Q₂: the best score among candidate solutions far enough (in orientation) from the winner. */
  private secondBest(top: number, phi: number, at: number): number {
    const { acc, best, bestPhi, half, nT } = this;
    const minSep = (this.o.minSepDeg * Math.PI) / 180;
    const ph = this.lib.phase[top];
    const group = this.groups[ph];
    const rBest = this.orientationOf(top, phi);
    const far = (t: number, p: number) =>
      this.lib.phase[t] !== ph ||
      misorientation(rBest, this.orientationOf(t, p * this.binRad), group) > minSep;
    let q2 = 0;
    // Other maxima of the winner's own curve.
    for (let p = 0; p < half; p++) {
      const v = acc[p];
      if (v <= q2 || p === at) continue;
      if (v >= acc[(p + 1) % half] && v >= acc[(p + half - 1) % half] && far(top, p)) q2 = v;
    }
    // Templates whose beam direction is more than minSep away are different solutions whatever
    // their in-plane angle; the few near ones need the full misorientation.
    const near = this.nearOf(top);
    let farMax = q2;
    for (let t = 0; t < nT; t++) if (best[t] > farMax && !near[t]) farMax = best[t];
    q2 = farMax;
    for (let t = 0; t < nT; t++) if (near[t] && t !== top && best[t] > q2 && far(t, bestPhi[t])) q2 = best[t];
    return q2;
  }
}

/** Indices of the k largest values of `v` among those `keep` accepts, largest first. */
function topK(v: Float32Array, k: number, keep: (i: number) => boolean): number[] {
  const idx: number[] = [];
  if (k <= 0) return idx;
  for (let i = 0; i < v.length; i++) {
    if (!keep(i) || (idx.length === k && v[i] <= v[idx[k - 1]])) continue;
    if (idx.length < k) idx.push(i);
    let j = idx.length - 1;
    while (j > 0 && v[idx[j - 1]] < v[i]) {
      idx[j] = idx[j - 1];
      j--;
    }
    idx[j] = i;
  }
  return idx;
}
