/**
 * Detector geometry of the simulator: beam centre, Q per pixel and elliptical distortion.
 *
 * Convention (the same as calib.geometry; written to meta.json as `ellipse` = [axisRatio, angleDeg]):
 * a ring of constant Q is an ellipse with semi-axes a ≥ b whose major axis points at angleDeg (from
 * +col towards +row), axisRatio = b/a ≤ 1; `qPerPixel` applies to the geometric-mean radius √(a·b).
 * For a pixel offset (dc, dr) from the centre, rotate into the ellipse frame, u = dc cosφ + dr sinφ,
 * v = −dc sinφ + dr cosφ; its undistorted radius is ρ = √(k u² + v²/k) (k = b/a) and
 * Q = ρ · qPerPixel.
 */
export interface GeometrySpec {
  size: number;
  /** Beam centre [col, row] (px, pixel centres at integer coordinates). */
  center: [number, number];
  qPerPixel: number;
  ellipse: [number, number];
}

export class DetectorGeometry {
  readonly size: number;
  readonly cx: number;
  readonly cy: number;
  readonly qPerPixel: number;
  readonly ratio: number;
  readonly cos: number;
  readonly sin: number;
  private readonly sqrtK: number;

  constructor(readonly spec: GeometrySpec) {
    this.size = spec.size;
    [this.cx, this.cy] = spec.center;
    this.qPerPixel = spec.qPerPixel;
    this.ratio = spec.ellipse[0];
    const phi = (spec.ellipse[1] * Math.PI) / 180;
    this.cos = Math.cos(phi);
    this.sin = Math.sin(phi);
    this.sqrtK = Math.sqrt(this.ratio);
  }

  /** Undistorted radius ρ (px) of pixel (col, row) for a centre shifted by (sc, sr). */
  rho(col: number, row: number, sc = 0, sr = 0): number {
    const dc = col - this.cx - sc;
    const dr = row - this.cy - sr;
    const u = dc * this.cos + dr * this.sin;
    const v = -dc * this.sin + dr * this.cos;
    return Math.sqrt(this.ratio * u * u + (v * v) / this.ratio);
  }

  /** Q (Å⁻¹) of pixel (col, row). */
  q(col: number, row: number): number {
    return this.rho(col, row) * this.qPerPixel;
  }

  /** Pixel offset [dcol, drow] of a scattering vector (qc, qr) given in Å⁻¹ along the detector axes. */
  offsetOf(qc: number, qr: number): [number, number] {
    const ac = qc / this.qPerPixel;
    const ar = qr / this.qPerPixel;
    const a = ac * this.cos + ar * this.sin;
    const b = -ac * this.sin + ar * this.cos;
    const u = a / this.sqrtK;
    const v = b * this.sqrtK;
    return [u * this.cos - v * this.sin, u * this.sin + v * this.cos];
  }

  /** ρ of every pixel (row-major) for the undisplaced centre. */
  rhoImage(): Float32Array {
    const n = this.size;
    const out = new Float32Array(n * n);
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out[r * n + c] = this.rho(c, r);
    return out;
  }

  /** Largest ρ on the detector (a corner). */
  maxRho(): number {
    const n = this.size - 1;
    return Math.max(this.rho(0, 0), this.rho(n, 0), this.rho(0, n), this.rho(n, n));
  }
}
