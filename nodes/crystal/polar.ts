/**
 * The polar view of a pattern that template matching correlates against: samples on rings of
 * constant corrected radius ρ (1 px apart, ellipse removed) × `nTheta` angles (0 = +column, towards
 * +row), bilinear from the detector pixels; the table of pixel indices and weights is built once
 * per geometry. Each ring then loses its mean (the amorphous / diffuse background; spots stay
 * positive), is clipped at zero and compressed by a power, and the two halves of the circle are
 * added (Friedel: a kinematic pattern is centrosymmetric), so in-plane angles run over 180°.
 */
export interface PolarGeometry {
  cx: number;
  cy: number;
  axisRatio: number;
  angleDeg: number;
  h: number;
  w: number;
}

export class PolarTable {
  readonly nTheta: number;
  readonly nRings: number;
  /** Top-left pixel index of each sample; −1 = off the detector. */
  private readonly idx: Int32Array;
  private readonly fx: Float32Array;
  private readonly fy: Float32Array;
  private readonly w: number;

  /** Rings at corrected radius r0, r0 + 1, … r0 + nRings − 1 (px). */
  constructor(
    g: PolarGeometry,
    readonly r0: number,
    nRings: number,
    nTheta: number,
  ) {
    this.nTheta = nTheta;
    this.nRings = nRings;
    this.w = g.w;
    const n = nRings * nTheta;
    this.idx = new Int32Array(n);
    this.fx = new Float32Array(n);
    this.fy = new Float32Array(n);
    // Corrected (round) offset → pixel offset: stretch by 1/√k along the major axis, √k across.
    const phi = (g.angleDeg * Math.PI) / 180;
    const [c, s] = [Math.cos(phi), Math.sin(phi)];
    const sk = Math.sqrt(g.axisRatio);
    for (let ri = 0; ri < nRings; ri++) {
      const rho = r0 + ri;
      for (let t = 0; t < nTheta; t++) {
        const th = (2 * Math.PI * t) / nTheta;
        const ac = rho * Math.cos(th);
        const ar = rho * Math.sin(th);
        const a = (ac * c + ar * s) / sk;
        const b = (-ac * s + ar * c) * sk;
        const col = g.cx + a * c - b * s;
        const row = g.cy + a * s + b * c;
        const c0 = Math.floor(col);
        const r0i = Math.floor(row);
        const k = ri * nTheta + t;
        if (c0 < 0 || r0i < 0 || c0 + 1 >= g.w || r0i + 1 >= g.h) {
          this.idx[k] = -1;
          continue;
        }
        this.idx[k] = r0i * g.w + c0;
        this.fx[k] = col - c0;
        this.fy[k] = row - r0i;
      }
    }
  }

  /** Detector width (px): a sample's lower neighbours are `width` pixels after its top-left one. */
  get width(): number {
    return this.w;
  }

  /** The sampling table (for reference implementations such as bench/crystal_match_numpy.py; the matcher's kernel). */
  table(): { idx: Int32Array; fx: Float32Array; fy: Float32Array; w: number } {
    return { idx: this.idx, fx: this.fx, fy: this.fy, w: this.w };
  }

  /**
   * Folded, background-removed polar image of the frame at `offset` of `frame` into `out`
   * [nRings × 2·half] (each row holds its 180° twice, so a rotation never wraps), half = nTheta/2.
   * `shift` moves every sample by whole pixels (descan). Returns the Euclidean norm of one copy.
   */
  fold(
    frame: ArrayLike<number>,
    offset: number,
    shift: number,
    power: number,
    ring: Float32Array,
    out: Float32Array,
  ): number {
    const { nTheta, nRings, idx, fx, fy, w } = this;
    const half = nTheta >> 1;
    let norm2 = 0;
    for (let ri = 0; ri < nRings; ri++) {
      const base = ri * nTheta;
      let sum = 0;
      let cnt = 0;
      for (let t = 0; t < nTheta; t++) {
        const k = base + t;
        const i = idx[k];
        if (i < 0) {
          ring[t] = NaN;
          continue;
        }
        const p = offset + i + shift;
        const a = frame[p];
        const b = frame[p + 1];
        const cc = frame[p + w];
        const d = frame[p + w + 1];
        const x = fx[k];
        const top = a + x * (b - a);
        const v = top + fy[k] * (cc + x * (d - cc) - top);
        ring[t] = v;
        sum += v;
        cnt++;
      }
      const mean = cnt ? sum / cnt : 0;
      const o = ri * nTheta;
      for (let t = 0; t < half; t++) {
        let u = ring[t] - mean;
        let v = ring[t + half] - mean;
        u = u > 0 ? (power === 1 ? u : Math.pow(u, power)) : 0;
        v = v > 0 ? (power === 1 ? v : Math.pow(v, power)) : 0;
        const f = u + v;
        out[o + t] = f;
        out[o + t + half] = f;
        norm2 += f * f;
      }
    }
    return Math.sqrt(norm2);
  }
}
