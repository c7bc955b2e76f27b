/**
 * Where the polar scan cannot tell two solutions apart, the spots' positions can: a re-scoring of
 * the scan's finalists on the raw pattern at sub-pixel resolution, by where their spots are, not how
 * bright (kinematic intensities are the least trustworthy part of a template: dynamical scattering,
 * thickness, saturation, a template 1° off its zone under a 1° cone).
 *
 * Why: down [122] of Ni at the reference camera length only (02-2) and four {420} spots are excited,
 * down [433] (24° away, same (02-2) row) (02-2) and four {331} spots 1.06 px from them; the scan rounds
 * spots to 1 px rings and square-roots intensities, and the shared (02-2) pair dominates every
 * intensity-weighted index, so both score alike. Yet a spot's centre is measurable to a fraction of
 * its ≈ 2 px width.
 *
 * Score of a solution (template spots turned by φ): a Dice coefficient between its predicted spots
 * and the pattern's observed spots, 2·Σ a_s / (N_predicted + N_observed), a spot and its Friedel mate
 * counted once. a_s ∈ [0, 1] is the agreement of predicted spot s: the pattern's peak contrast at the
 * exact predicted place over the largest within ±1 px of it (contrast = the bilinear sample minus the
 * mean of four samples 2 px away: sharp to sub-pixel offsets, blind to the smooth amorphous
 * background, positive on a saturated flat top), 0 when that largest is below 5√(background + 1)
 * counts (Poisson noise); the smaller of the spot's and its Friedel mate's (both must be there — a
 * kinematic pattern is centrosymmetric in its spots' places, a hot pixel is not). N_observed counts
 * the pattern's spots within the predicted spots' radii — local maxima above the same limit whose
 * neighbours share the peak (not a single hot pixel) — so a solution predicting only a shared subset
 * of the spots does not win by predicting less. Predicted spots: the template's spots of at least
 * MIN_RELATIVE of its strongest. In-plane angle: each finalist's scan angle ± 1.5 bins in quarter
 * bins, by the summed contrast.
 */
import type { PolarTable } from './polar.ts';

/** Template spots weaker than this fraction of the strongest are not expected to be seen. */
const MIN_RELATIVE = 0.1;
/** Distance (px) of the four background samples of the contrast. */
const RING_PX = 2;
/** Agreement search: offsets of ±1 px in half pixels along the detector axes. */
const OFFSETS = [-1, -0.5, 0, 0.5, 1];
/** Noise limit: a spot's contrast must exceed this many √(background + 1) (Poisson σ of counts). */
const NOISE_SIGMAS = 5;
/** A spot's four neighbours keep at least this share of its contrast (a hot pixel's keep none). */
const MIN_SHOULDER = 0.25;
const HALF_SPAN_BINS = 1.5;
const SUB_BINS = 4;

export interface SpotList {
  q: ArrayLike<number>;
  angle: ArrayLike<number>;
  intensity: ArrayLike<number>;
}

export interface Finalist {
  /** Spots s0 … s1−1 of the list, turned by phi (rad) at the start. */
  s0: number;
  s1: number;
  phi: number;
}

export class SpotAgreement {
  private readonly px = new Float64Array(2);
  /** Detector pixels (index) of the annulus the templates reach, by increasing corrected radius. */
  private readonly annulusIdx: Int32Array;
  private readonly annulusRho: Float32Array;
  private frame: ArrayLike<number> = [];
  private base = 0;
  /** Background of the last contrast(). */
  private bg = 0;

  constructor(
    private readonly polar: PolarTable,
    private readonly qPerPixel: number,
    rhoMin: number,
    rhoMax: number,
  ) {
    const list: [number, number][] = [];
    const { width: w, height: h } = polar;
    const m = RING_PX + 2;
    for (let r = m; r < h - m; r++)
      for (let c = m; c < w - m; c++) {
        const p = polar.correctedRadius(c, r);
        if (p >= rhoMin && p <= rhoMax) list.push([r * w + c, p]);
      }
    list.sort((a, b) => a[1] - b[1]);
    this.annulusIdx = Int32Array.from(list, (x) => x[0]);
    this.annulusRho = Float32Array.from(list, (x) => x[1]);
  }

  /**
   * Scores of the finalists on the frame at `offset` (+ `shift` px of descan), each at its best
   * in-plane angle near its start; all 0 when the pattern shows no spot.
   */
  scoreAll(
    frame: ArrayLike<number>,
    offset: number,
    shift: number,
    spots: SpotList,
    finalists: Finalist[],
    binRad: number,
  ): number[] {
    this.frame = frame;
    this.base = offset + shift;
    const visible = finalists.map((f) => this.visible(spots, f.s0, f.s1));
    let rhoHi = 0;
    for (const v of visible) for (const s of v) rhoHi = Math.max(rhoHi, spots.q[s] / this.qPerPixel);
    const nObs = this.observedSpots(rhoHi + 2);
    if (nObs === 0) return finalists.map(() => 0);
    return finalists.map((f, k) => {
      const v = visible[k];
      const phi = this.bestAngle(spots, v, f.phi, binRad);
      const seen: [number, number][] = [];
      let sum = 0;
      for (const s of v) {
        const rho = spots.q[s] / this.qPerPixel;
        let th = (spots.angle[s] + phi) % Math.PI;
        if (th < 0) th += Math.PI;
        if (seen.some(([r, t]) => Math.abs(r - rho) < 1 && Math.abs(Math.sin(t - th)) * rho < 1)) continue;
        seen.push([rho, th]);
        sum += Math.min(this.agreement(rho, th), this.agreement(rho, th + Math.PI));
      }
      const n = seen.length + nObs;
      return n > 0 ? (2 * sum) / n : 0;
    });
  }

  private visible(spots: SpotList, s0: number, s1: number): number[] {
    let top = 0;
    for (let s = s0; s < s1; s++) top = Math.max(top, spots.intensity[s]);
    const out: number[] = [];
    for (let s = s0; s < s1; s++) if (spots.intensity[s] >= MIN_RELATIVE * top) out.push(s);
    return out;
  }

  /** The angle near phi whose spots have the largest summed contrast. */
  private bestAngle(spots: SpotList, v: number[], phi: number, binRad: number): number {
    let best = -Infinity;
    let at = phi;
    const n = Math.round(HALF_SPAN_BINS * SUB_BINS);
    const px = this.px;
    for (let k = -n; k <= n; k++) {
      const a = phi + (k * binRad) / SUB_BINS;
      let sum = 0;
      for (const s of v) {
        if (!this.polar.pixelAt(spots.q[s] / this.qPerPixel, spots.angle[s] + a, px)) continue;
        const c = this.contrast(px[0], px[1]);
        if (c > 0) sum += c;
      }
      if (sum > best) {
        best = sum;
        at = a;
      }
    }
    return at;
  }

  /** Agreement of a predicted spot at corrected (ρ, θ): contrast there over the largest within ±1 px, 0 without a spot. */
  private agreement(rho: number, th: number): number {
    const px = this.px;
    if (!this.polar.pixelAt(rho, th, px)) return 0;
    const [x, y] = px;
    const here = this.contrast(x, y);
    let top = -Infinity;
    let bgTop = 0;
    for (const dy of OFFSETS)
      for (const dx of OFFSETS) {
        const c = this.contrast(x + dx, y + dy);
        if (c > top) {
          top = c;
          bgTop = this.bg;
        }
      }
    if (!(top > NOISE_SIGMAS * Math.sqrt(Math.max(0, bgTop) + 1))) return 0;
    return Math.max(0, Math.min(1, here / top));
  }

  /** Spots seen in the pattern with corrected radius ≤ rhoMax, a Friedel pair once. */
  private observedSpots(rhoMax: number): number {
    const f = this.frame;
    const w = this.polar.width;
    const base = this.base;
    const idx = this.annulusIdx;
    const rhoOf = this.annulusRho;
    const peaks: [number, number, number][] = [];
    const px = this.px;
    const up = RING_PX * w;
    for (let k = 0, n = idx.length; k < n && rhoOf[k] <= rhoMax; k++) {
      const i = base + idx[k];
      const v = f[i];
      // strict against the neighbours before, ≥ against those after: one maximum per flat top
      if (v <= f[i - 1] || v <= f[i - w] || v < f[i + 1] || v < f[i + w]) continue;
      if (v <= f[i - w - 1] || v <= f[i - w + 1] || v < f[i + w - 1] || v < f[i + w + 1]) continue;
      const bg = 0.25 * (f[i - RING_PX] + f[i + RING_PX] + f[i - up] + f[i + up]);
      const c = v - bg;
      if (c * c <= NOISE_SIGMAS * NOISE_SIGMAS * (Math.max(0, bg) + 1)) continue;
      const shoulder = 0.25 * (f[i - 1] + f[i + 1] + f[i - w] + f[i + w]) - bg;
      if (shoulder < MIN_SHOULDER * c) continue;
      const pix = idx[k];
      this.polar.correctedPolar(pix % w, Math.floor(pix / w), px);
      let th = px[1] % Math.PI;
      if (th < 0) th += Math.PI;
      peaks.push([px[0], th, c]);
    }
    peaks.sort((a, b) => b[2] - a[2]);
    const kept: [number, number][] = [];
    for (const [r, t] of peaks)
      if (!kept.some(([r2, t2]) => Math.abs(r - r2) < 1.5 && Math.abs(Math.sin(t - t2)) * r < 1.5))
        kept.push([r, t]);
    return kept.length;
  }

  /** Contrast at pixel (x, y): the sample minus the mean of four RING_PX away; sets this.bg. */
  private contrast(x: number, y: number): number {
    const ring =
      0.25 *
      (this.sample(x + RING_PX, y) +
        this.sample(x - RING_PX, y) +
        this.sample(x, y + RING_PX) +
        this.sample(x, y - RING_PX));
    this.bg = ring;
    return this.sample(x, y) - ring;
  }

  /** Bilinear sample at pixel (x = column, y = row); NaN off the detector. */
  private sample(x: number, y: number): number {
    const w = this.polar.width;
    const c0 = Math.floor(x);
    const r0 = Math.floor(y);
    if (c0 < 0 || r0 < 0 || c0 + 1 >= w || r0 + 1 >= this.polar.height) return Number.NaN;
    const f = this.frame;
    const i = this.base + r0 * w + c0;
    const fx = x - c0;
    const a = f[i];
    const top = a + fx * (f[i + 1] - a);
    const b = f[i + w];
    return top + (y - r0) * (b + fx * (f[i + w + 1] - b) - top);
  }
}
