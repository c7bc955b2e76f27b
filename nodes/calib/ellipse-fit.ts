/**
 * Beam centre and elliptical distortion from one pattern (the mean pattern or a chosen position):
 * 1. centre of mass of the direct beam (the bright blob around the maximum);
 * 2. the amorphous ring radius: the most prominent peak of the radial profile outside the beam;
 * 3. per angular sector, the sub-pixel shift of the ring against the mean ring profile (template
 *    matching), measured in the current corrected metric;
 * 4. a least-squares conic through those points gives centre, axis ratio and angle; repeat 2–4.
 * Fixing the shape (ellipse given) fits only the centre (a circle in corrected space); fixing the
 * centre fits only the shape.
 */
import { ellipseMetric, inscribedRadius, type EllipseMetric } from './geometry-model.ts';
import { lstsq } from './lstsq.ts';

export interface Image {
  data: ArrayLike<number>;
  h: number;
  w: number;
}

export interface EllipseFit {
  cx: number;
  cy: number;
  axisRatio: number;
  angleDeg: number;
  /** Ring radius (corrected metric, px). */
  ringRadius: number;
  /** Sectors that gave a ring point in the last iteration. */
  points: number;
}

/** Centre of mass of the direct beam: pixels above `fraction` of the (3×3-smoothed) maximum connected to it. */
export function beamCentreOfMass(img: Image, fraction = 0.5): { cx: number; cy: number; radius: number } {
  const { data, h, w } = img;
  let best = -Infinity;
  let bi = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      let s = 0;
      for (let j = -1; j <= 1; j++) for (let i = -1; i <= 1; i++) s += data[(y + j) * w + x + i];
      if (s > best) {
        best = s;
        bi = y * w + x;
      }
    }
  }
  const thr = (fraction * best) / 9;
  const seen = new Uint8Array(h * w);
  const stack = [bi];
  seen[bi] = 1;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  let area = 0;
  while (stack.length) {
    const p = stack.pop()!;
    const x = p % w;
    const y = (p - x) / w;
    const wt = data[p] - thr;
    sw += wt;
    sx += wt * x;
    sy += wt * y;
    area++;
    const nb = [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1];
    for (const q of nb) {
      if (q >= 0 && !seen[q] && data[q] > thr) {
        seen[q] = 1;
        stack.push(q);
      }
    }
  }
  return { cx: sx / sw, cy: sy / sw, radius: Math.sqrt(area / Math.PI) };
}

/** Mean intensity in 1-px rings of corrected radius around (cx, cy). */
export function radialProfile(
  img: Image,
  cx: number,
  cy: number,
  m: EllipseMetric,
  nBins: number,
): Float64Array {
  const sum = new Float64Array(nBins);
  const cnt = new Float64Array(nBins);
  for (let y = 0; y < img.h; y++) {
    const dy = y - cy;
    for (let x = 0; x < img.w; x++) {
      const dx = x - cx;
      const r = Math.sqrt(m.xx * dx * dx + 2 * m.xy * dx * dy + m.yy * dy * dy);
      const b = Math.floor(r);
      if (b < nBins) {
        sum[b] += img.data[y * img.w + x];
        cnt[b]++;
      }
    }
  }
  for (let b = 0; b < nBins; b++) sum[b] = cnt[b] > 0 ? sum[b] / cnt[b] : NaN;
  return sum;
}

/** Radius (px) of the most prominent profile peak within [rLo, rHi], with its half-width at half prominence. */
export function ringPeak(
  profile: Float64Array,
  rLo: number,
  rHi: number,
): { radius: number; halfWidth: number } | null {
  const lo = Math.max(1, Math.ceil(rLo));
  const hi = Math.min(profile.length - 2, Math.floor(rHi));
  // Light smoothing so single-bin noise does not make a local maximum.
  const s = new Float64Array(profile.length);
  for (let i = 1; i < profile.length - 1; i++) s[i] = (profile[i - 1] + 2 * profile[i] + profile[i + 1]) / 4;
  let bestProm = 0;
  let best = -1;
  let bestBase = 0;
  for (let i = lo; i <= hi; i++) {
    if (!(s[i] >= s[i - 1] && s[i] > s[i + 1])) continue;
    let minL = s[i];
    for (let j = i; j >= lo; j--) minL = Math.min(minL, s[j]);
    let minR = s[i];
    for (let j = i; j <= hi; j++) minR = Math.min(minR, s[j]);
    const base = Math.max(minL, minR);
    const prom = s[i] - base;
    if (prom > bestProm) {
      bestProm = prom;
      best = i;
      bestBase = base;
    }
  }
  if (best < 0) return null;
  const half = bestBase + bestProm / 2;
  let l = best;
  while (l > lo && s[l] > half) l--;
  let r = best;
  while (r < hi && s[r] > half) r++;
  return { radius: best + 0.5, halfWidth: Math.max(1.5, (r - l) / 2) };
}

/**
 * Ring points in image coordinates. For each of `sectors` angular sectors (corrected space) the
 * radial profile (0.25-px bins, window R ± 2·halfWidth) is matched to the all-sector mean profile T:
 * p_s(r) ≈ a·T(r) + c·T'(r) + b by weighted least squares, whose shift δ = −c/a (the first-order
 * Taylor term of a·T(r − δ)) uses every bin of the ring, not just its top, so noise averages out.
 */
const WINDOW = 3;
export function ringPoints(
  img: Image,
  cx: number,
  cy: number,
  m: EllipseMetric,
  R: number,
  halfWidth: number,
  sectors: number,
  minRadius = 0,
): { x: Float64Array; y: Float64Array } {
  const binW = 0.25;
  // The window stays outside the direct beam, whose edge would dominate the template.
  const rLo = Math.max(minRadius, R - WINDOW * halfWidth);
  const nb = Math.ceil((R + WINDOW * halfWidth - rLo) / binW) + 1;
  const sum = new Float64Array(sectors * nb);
  const cnt = new Float64Array(sectors * nb);
  for (let y = 0; y < img.h; y++) {
    const dy = y - cy;
    for (let x = 0; x < img.w; x++) {
      const dx = x - cx;
      const U = m.t00 * dx + m.t01 * dy;
      const V = m.t10 * dx + m.t11 * dy;
      const r = Math.sqrt(U * U + V * V);
      const b = Math.floor((r - rLo) / binW);
      if (b < 0 || b >= nb) continue;
      let sct = Math.floor(((Math.atan2(V, U) + Math.PI) / (2 * Math.PI)) * sectors);
      if (sct >= sectors) sct = sectors - 1;
      sum[sct * nb + b] += img.data[y * img.w + x];
      cnt[sct * nb + b]++;
    }
  }
  // Template: all sectors together, lightly smoothed; its derivative by central differences.
  const raw = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    let s = 0;
    let c = 0;
    for (let sct = 0; sct < sectors; sct++) {
      s += sum[sct * nb + b];
      c += cnt[sct * nb + b];
    }
    raw[b] = c > 0 ? s / c : NaN;
  }
  const tpl = new Float64Array(nb);
  for (let b = 0; b < nb; b++) {
    let s = 0;
    let k = 0;
    for (let j = Math.max(0, b - 2); j <= Math.min(nb - 1, b + 2); j++) {
      if (Number.isFinite(raw[j])) {
        s += raw[j];
        k++;
      }
    }
    tpl[b] = k ? s / k : NaN;
  }
  const dtpl = new Float64Array(nb).fill(NaN);
  for (let b = 1; b < nb - 1; b++) dtpl[b] = (tpl[b + 1] - tpl[b - 1]) / (2 * binW);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let sct = 0; sct < sectors; sct++) {
    const rows: number[] = [];
    const rhs: number[] = [];
    for (let b = 1; b < nb - 1; b++) {
      const c = cnt[sct * nb + b];
      if (c === 0 || !Number.isFinite(tpl[b]) || !Number.isFinite(dtpl[b])) continue;
      const sw = Math.sqrt(c);
      rows.push(sw * tpl[b], sw * dtpl[b], sw);
      rhs.push(sw * (sum[sct * nb + b] / c));
    }
    if (rhs.length < 8) continue;
    const coef = lstsq(rows, rhs, rhs.length, 3);
    if (!coef || !(coef[0] > 0)) continue;
    const delta = -coef[1] / coef[0];
    if (!(Math.abs(delta) < halfWidth)) continue;
    const rPeak = R + delta;
    const phi = -Math.PI + ((sct + 0.5) / sectors) * 2 * Math.PI;
    const U = rPeak * Math.cos(phi);
    const V = rPeak * Math.sin(phi);
    // Inverse of T (det T = 1) maps corrected offsets back to image offsets.
    xs.push(cx + m.t11 * U - m.t01 * V);
    ys.push(cy - m.t10 * U + m.t00 * V);
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

/** Least-squares conic A x² + B xy + C y² + D x + E y = 1 (about the points' mean) → ellipse. */
export function fitEllipse(
  xs: Float64Array,
  ys: Float64Array,
): { cx: number; cy: number; axisRatio: number; angleDeg: number } | null {
  const n = xs.length;
  if (n < 6) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] / n;
    my += ys[i] / n;
  }
  // Scale to O(1) coordinates for conditioning.
  let sc = 0;
  for (let i = 0; i < n; i++) sc += Math.hypot(xs[i] - mx, ys[i] - my) / n;
  const rows = new Float64Array(n * 5);
  const rhs = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const x = (xs[i] - mx) / sc;
    const y = (ys[i] - my) / sc;
    rows.set([x * x, x * y, y * y, x, y], i * 5);
  }
  const c = lstsq(rows, rhs, n, 5);
  if (!c) return null;
  const [A, B, C, D, E] = c;
  const det = 4 * A * C - B * B;
  if (!(det > 0)) return null;
  const x0 = (-2 * C * D + B * E) / det;
  const y0 = (B * D - 2 * A * E) / det;
  const c0 = A * x0 * x0 + B * x0 * y0 + C * y0 * y0 + D * x0 + E * y0;
  const k = 1 - c0;
  if (!(k > 0)) return null;
  const shape = quadraticFormShape(A / k, B / 2 / k, C / k);
  if (!shape) return null;
  return { cx: mx + x0 * sc, cy: my + y0 * sc, ...shape };
}

/** x² A + 2xy Bh + y² C = 1 → axis ratio b/a and major-axis angle (degrees, (−90, 90]). */
function quadraticFormShape(
  A: number,
  Bh: number,
  C: number,
): { axisRatio: number; angleDeg: number } | null {
  const tr = (A + C) / 2;
  const d = Math.sqrt(((A - C) / 2) ** 2 + Bh * Bh);
  const l1 = tr - d; // smaller eigenvalue → major axis
  const l2 = tr + d;
  if (!(l1 > 0)) return null;
  // Eigenvector of l1: (Bh, l1 − A) or (l1 − C, Bh).
  let ex = Bh;
  let ey = l1 - A;
  if (Math.abs(ex) + Math.abs(ey) < 1e-14 * (Math.abs(A) + Math.abs(C))) {
    ex = l1 - C;
    ey = Bh;
  }
  let ang = (Math.atan2(ey, ex) * 180) / Math.PI;
  if (d === 0) ang = 0;
  while (ang <= -90) ang += 180;
  while (ang > 90) ang -= 180;
  return { axisRatio: Math.sqrt(l1 / l2), angleDeg: ang };
}

/** Circle through points in corrected space (Kåsa fit), returned in image coordinates. */
export function fitCentreFixedShape(
  xs: Float64Array,
  ys: Float64Array,
  m: EllipseMetric,
): { cx: number; cy: number } | null {
  const n = xs.length;
  if (n < 3) return null;
  const rows = new Float64Array(n * 3);
  const rhs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const U = m.t00 * xs[i] + m.t01 * ys[i];
    const V = m.t10 * xs[i] + m.t11 * ys[i];
    rows.set([U, V, 1], i * 3);
    rhs[i] = -(U * U + V * V);
  }
  const c = lstsq(rows, rhs, n, 3);
  if (!c) return null;
  const U0 = -c[0] / 2;
  const V0 = -c[1] / 2;
  return { cx: m.t11 * U0 - m.t01 * V0, cy: -m.t10 * U0 + m.t00 * V0 };
}

/** Ellipse shape about a fixed centre: A x² + B xy + C y² = 1. */
export function fitShapeFixedCentre(
  xs: Float64Array,
  ys: Float64Array,
  cx: number,
  cy: number,
): { axisRatio: number; angleDeg: number } | null {
  const n = xs.length;
  if (n < 3) return null;
  const rows = new Float64Array(n * 3);
  const rhs = new Float64Array(n).fill(1);
  for (let i = 0; i < n; i++) {
    const x = xs[i] - cx;
    const y = ys[i] - cy;
    rows.set([x * x, x * y, y * y], i * 3);
  }
  const c = lstsq(rows, rhs, n, 3);
  if (!c) return null;
  return quadraticFormShape(c[0], c[1] / 2, c[2]);
}

export interface FitOptions {
  /** Known centre (skip centre finding), else beam centre of mass refined by ring symmetry. */
  centre?: [number, number] | null;
  /** Known shape [axisRatio, angleDeg]; null = fit it; 'circle' = no distortion. */
  shape?: [number, number] | 'circle' | null;
  /** Radius window (px) in which to look for the amorphous ring. */
  ringRange?: [number, number] | null;
  sectors?: number;
  iterations?: number;
}

/** Centre and ellipse from one pattern; null when no ring can be found. */
export function fitRingGeometry(img: Image, opts: FitOptions = {}): EllipseFit | null {
  const sectors = opts.sectors ?? 72;
  const iterations = opts.iterations ?? 5;
  let cx: number;
  let cy: number;
  const beam = beamCentreOfMass(img);
  const beamR = beam.radius;
  if (opts.centre) [cx, cy] = opts.centre;
  else {
    cx = beam.cx;
    cy = beam.cy;
  }
  let ratio = 1;
  let angle = 0;
  if (Array.isArray(opts.shape)) [ratio, angle] = opts.shape;
  let R = NaN;
  let halfWidth = NaN;
  let points = 0;
  for (let it = 0; it < iterations; it++) {
    const m = ellipseMetric(ratio, angle);
    if (it === 0 || !Number.isFinite(R)) {
      const rMax = inscribedRadius(m, cx, cy, img.h, img.w);
      const prof = radialProfile(img, cx, cy, m, Math.ceil(rMax) + 2);
      const [lo, hi] = opts.ringRange ?? [beamR + 2, rMax - 2];
      const pk = ringPeak(prof, lo, Math.min(hi, rMax - 2));
      if (!pk) return null;
      R = pk.radius;
      halfWidth = Math.min(pk.halfWidth, R / 4);
    }
    const pts = ringPoints(img, cx, cy, m, R, halfWidth, sectors, beamR + 1.5);
    points = pts.x.length;
    if (opts.shape === null || opts.shape === undefined) {
      if (opts.centre) {
        const s = fitShapeFixedCentre(pts.x, pts.y, cx, cy);
        if (!s) return null;
        ratio = s.axisRatio;
        angle = s.angleDeg;
      } else {
        const e = fitEllipse(pts.x, pts.y);
        if (!e) return null;
        ({ cx, cy } = e);
        ratio = e.axisRatio;
        angle = e.angleDeg;
      }
    } else if (!opts.centre) {
      const c = fitCentreFixedShape(pts.x, pts.y, m);
      if (!c) return null;
      ({ cx, cy } = c);
    }
    // Mean corrected radius of the points sets the next window.
    const m2 = ellipseMetric(ratio, angle);
    let sr = 0;
    for (let i = 0; i < pts.x.length; i++) {
      const dx = pts.x[i] - cx;
      const dy = pts.y[i] - cy;
      sr += Math.sqrt(m2.xx * dx * dx + 2 * m2.xy * dx * dy + m2.yy * dy * dy);
    }
    if (pts.x.length) R = sr / pts.x.length;
  }
  return { cx, cy, axisRatio: ratio, angleDeg: angle, ringRadius: R, points };
}
