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
  private readonly h: number;
  private readonly cx: number;
  private readonly cy: number;
  /** cos, sin of the ellipse's major-axis angle, and √(axis ratio). */
  private readonly cs: [number, number];
  private readonly sk: number;

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
    this.h = g.h;
    const n = nRings * nTheta;
    this.idx = new Int32Array(n);
    this.fx = new Float32Array(n);
    this.fy = new Float32Array(n);
    // Corrected (round) offset → pixel offset: stretch by 1/√k along the major axis, √k across.
    const phi = (g.angleDeg * Math.PI) / 180;
    this.cs = [Math.cos(phi), Math.sin(phi)];
    this.sk = Math.sqrt(g.axisRatio);
    this.cx = g.cx;
    this.cy = g.cy;
    const px = new Float64Array(2);
    for (let ri = 0; ri < nRings; ri++) {
      const rho = r0 + ri;
      for (let t = 0; t < nTheta; t++) {
        const k = ri * nTheta + t;
        if (!this.pixelAt(rho, (2 * Math.PI * t) / nTheta, px)) {
          this.idx[k] = -1;
          continue;
        }
        const c0 = Math.floor(px[0]);
        const r0i = Math.floor(px[1]);
        this.idx[k] = r0i * g.w + c0;
        this.fx[k] = px[0] - c0;
        this.fy[k] = px[1] - r0i;
      }
    }
  }

  /** Detector width (px): a sample's lower neighbours are `width` pixels after its top-left one. */
  get width(): number {
    return this.w;
  }

  get height(): number {
    return this.h;
  }

  /** Corrected radius ρ (px) and angle θ (rad) of pixel (col, row) into `out`: the inverse of pixelAt. */
  correctedPolar(col: number, row: number, out: Float64Array): void {
    const [c, s] = this.cs;
    const dc = col - this.cx;
    const dr = row - this.cy;
    const a = (dc * c + dr * s) * this.sk;
    const b = (-dc * s + dr * c) / this.sk;
    out[0] = Math.hypot(a, b);
    out[1] = Math.atan2(a * s + b * c, a * c - b * s);
  }

  correctedRadius(col: number, row: number): number {
    const [c, s] = this.cs;
    const dc = col - this.cx;
    const dr = row - this.cy;
    return Math.hypot((dc * c + dr * s) * this.sk, (-dc * s + dr * c) / this.sk);
  }

  /**
   * Pixel (col, row) into `out` of corrected radius ρ (px) and angle θ (rad, from +column towards
   * +row); false when its bilinear neighbourhood is not on the detector.
   */
  pixelAt(rho: number, th: number, out: Float64Array): boolean {
    const [c, s] = this.cs;
    const ac = rho * Math.cos(th);
    const ar = rho * Math.sin(th);
    const a = (ac * c + ar * s) / this.sk;
    const b = (-ac * s + ar * c) * this.sk;
    const col = this.cx + a * c - b * s;
    const row = this.cy + a * s + b * c;
    out[0] = col;
    out[1] = row;
    return col >= 0 && row >= 0 && Math.floor(col) + 1 < this.w && Math.floor(row) + 1 < this.h;
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
