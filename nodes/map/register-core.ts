/**
 * Putting an external map on the scan grid. The transform takes a scan position (x = column,
 * y = row, scan px) to a point of the map (u = column, v = row, map px; pixel centres at integers):
 *
 *   [u, v] = P⁻¹ · s · R(θ) · S · [x, y] + [tu, tv]
 *
 * S = diag(scan step x, y) and P = diag(map pixel x, y) in nm (both 1 when the sizes are not known:
 * s is then the map pixels per scan step), R(θ) a rotation by θ from +column towards +row (the
 * scan's x axis points along (cos θ, sin θ) in the map), [tu, tv] the map point of scan position (0, 0).
 *
 * Estimation: a coarse search over θ (and s) in which, per candidate, the map is warped into scan
 * coordinates and the translation found by masked normalised cross-correlation for every shift at
 * once (masked-ncc.ts); then all estimated parameters are refined together by Nelder–Mead on the
 * Pearson r of the reference with the map sampled at the scan positions (sub-pixel, sub-degree).
 */
import { bilinear } from './cut.ts';
import { maskedNcc, shiftOf, type Image } from './masked-ncc.ts';
import { nelderMead } from './nelder-mead.ts';

export interface Frame {
  stepX: number;
  stepY: number;
  pixX: number;
  pixY: number;
  /** A fixed linear part (a transform applied as given): s and θ of the pose are then unused. */
  linear?: Linear;
}

export interface Pose {
  s: number;
  thetaDeg: number;
  tu: number;
  tv: number;
}

export type Linear = [number, number, number, number];

/** The linear part [a11, a12, a21, a22] of scan px → map px. */
export function linearOf(pose: Pose, fr: Frame): Linear {
  if (fr.linear) return fr.linear;
  const t = (pose.thetaDeg * Math.PI) / 180;
  const c = Math.cos(t),
    sn = Math.sin(t);
  return [
    (pose.s * c * fr.stepX) / fr.pixX,
    (-pose.s * sn * fr.stepY) / fr.pixX,
    (pose.s * sn * fr.stepX) / fr.pixY,
    (pose.s * c * fr.stepY) / fr.pixY,
  ];
}

/** Mean linear magnification (map px per scan px), for choosing how finely to sample. */
function magnification(a: Linear): number {
  return Math.sqrt(Math.abs(a[0] * a[3] - a[1] * a[2]));
}

/**
 * The map averaged over the footprint of a scan cell of `cell` scan px centred at (x, y): m × m
 * bilinear samples (m from the magnification), NaN if the centre falls outside the map or no
 * sample is finite. Averaging keeps a finer map from aliasing onto the coarser scan grid.
 */
export class MapSampler {
  constructor(
    readonly map: ArrayLike<number>,
    readonly ny: number,
    readonly nx: number,
  ) {}

  at(a: Linear, tu: number, tv: number, x: number, y: number, cell: number, m: number): number {
    const uc = a[0] * x + a[1] * y + tu;
    const vc = a[2] * x + a[3] * y + tv;
    if (!(uc >= -0.5 && uc <= this.nx - 0.5 && vc >= -0.5 && vc <= this.ny - 0.5)) return NaN;
    if (m <= 1)
      return bilinear(
        this.map,
        this.ny,
        this.nx,
        Math.min(Math.max(uc, 0), this.nx - 1),
        Math.min(Math.max(vc, 0), this.ny - 1),
      );
    let s = 0,
      c = 0;
    for (let j = 0; j < m; j++) {
      const dy = ((j + 0.5) / m - 0.5) * cell;
      for (let i = 0; i < m; i++) {
        const dx = ((i + 0.5) / m - 0.5) * cell;
        const u = uc + a[0] * dx + a[1] * dy;
        const v = vc + a[2] * dx + a[3] * dy;
        if (u < 0 || v < 0 || u > this.nx - 1 || v > this.ny - 1) continue;
        const val = bilinear(this.map, this.ny, this.nx, u, v);
        if (Number.isFinite(val)) (s += val), c++;
      }
    }
    return c ? s / c : NaN;
  }
}

export function subSamples(a: Linear, cell: number): number {
  return Math.min(4, Math.max(1, Math.ceil(magnification(a) * cell - 1e-9)));
}

/** The map sampled at every scan position (NaN outside it). */
export function resampleOnScan(
  sampler: MapSampler,
  pose: Pose,
  fr: Frame,
  ny: number,
  nx: number,
): Float32Array {
  const a = linearOf(pose, fr);
  const m = subSamples(a, 1);
  const out = new Float32Array(ny * nx);
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) out[y * nx + x] = sampler.at(a, pose.tu, pose.tv, x, y, 1, m);
  return out;
}

/** Pearson r of a and b over the indices where both are finite, and how many there were. */
export function pairedPearson(a: ArrayLike<number>, b: ArrayLike<number>): { r: number; n: number } {
  let n = 0,
    sa = 0,
    sb = 0;
  for (let i = 0; i < a.length; i++)
    if (Number.isFinite(a[i]) && Number.isFinite(b[i])) n++, (sa += a[i]), (sb += b[i]);
  if (n < 3) return { r: NaN, n };
  const ma = sa / n,
    mb = sb / n;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(Number.isFinite(a[i]) && Number.isFinite(b[i]))) continue;
    const da = a[i] - ma,
      db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return { r: saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN, n };
}

export interface SearchOptions {
  estimate: { offset: boolean; rotation: boolean; scale: boolean };
  /** Search ranges: ±maxRotationDeg about the start, s in start·[lo, hi]. */
  maxRotationDeg: number;
  rotationStepDeg: number;
  scaleRange: [number, number];
  /** 1 = the reference and the map rise together, −1 = one falls as the other rises, 0 = either. */
  sign: 1 | -1 | 0;
  /** Fewest common positions, as a fraction of the reference's valid positions. */
  minOverlap: number;
}

export interface SearchResult {
  pose: Pose;
  /** Pearson r of the reference and the registered map at the final pose (signed). */
  r: number;
  overlap: number;
  coarse: { factor: number; candidates: number; bestR: number };
  evaluations: number;
  converged: boolean;
  /** Why the result cannot be trusted, if it cannot. */
  failure: string | null;
}

/** Block average (finite values only) of an image by `f`. */
function coarsen(img: Image, f: number): Image {
  if (f === 1) return img;
  const ny = Math.floor(img.ny / f),
    nx = Math.floor(img.nx / f);
  const data = new Float64Array(ny * nx);
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      let s = 0,
        c = 0;
      for (let b = 0; b < f; b++)
        for (let a = 0; a < f; a++) {
          const v = img.data[(j * f + b) * img.nx + i * f + a];
          if (Number.isFinite(v)) (s += v), c++;
        }
      data[j * nx + i] = c * 2 >= f * f ? s / c : NaN;
    }
  return { ny, nx, data };
}

/**
 * Best translation for a fixed (s, θ): the map warped into scan coordinates on a grid of spacing
 * `f` scan px covering its whole footprint, cross-correlated with the coarse reference.
 */
function bestShift(
  ref: Image,
  f: number,
  sampler: MapSampler,
  s: number,
  thetaDeg: number,
  fr: Frame,
  sign: 1 | -1 | 0,
  minCount: number,
): { pose: Pose; r: number } | null {
  const a = linearOf({ s, thetaDeg, tu: 0, tv: 0 }, fr);
  const det = a[0] * a[3] - a[1] * a[2];
  const inv = [a[3] / det, -a[1] / det, -a[2] / det, a[0] / det];
  let xmin = Infinity,
    xmax = -Infinity,
    ymin = Infinity,
    ymax = -Infinity;
  for (const [u, v] of [
    [-0.5, -0.5],
    [sampler.nx - 0.5, -0.5],
    [-0.5, sampler.ny - 0.5],
    [sampler.nx - 0.5, sampler.ny - 0.5],
  ]) {
    const x = inv[0] * u + inv[1] * v,
      y = inv[2] * u + inv[3] * v;
    (xmin = Math.min(xmin, x)),
      (xmax = Math.max(xmax, x)),
      (ymin = Math.min(ymin, y)),
      (ymax = Math.max(ymax, y));
  }
  const gx = Math.max(2, Math.ceil((xmax - xmin) / f)),
    gy = Math.max(2, Math.ceil((ymax - ymin) / f));
  const m = subSamples(a, f);
  const warped = new Float64Array(gx * gy);
  for (let j = 0; j < gy; j++)
    for (let i = 0; i < gx; i++)
      warped[j * gx + i] = sampler.at(a, 0, 0, xmin + (i + 0.5) * f, ymin + (j + 0.5) * f, f, m);
  const ncc = maskedNcc(ref, { ny: gy, nx: gx, data: warped }, minCount);
  let best = -1,
    bestV = -Infinity;
  for (let k = 0; k < ncc.r.length; k++) {
    const v = sign === 0 ? Math.abs(ncc.r[k]) : sign * ncc.r[k];
    if (v > bestV) (bestV = v), (best = k);
  }
  if (best < 0 || !Number.isFinite(bestV)) return null;
  const [dy, dx] = shiftOf(best, ncc);
  // Sub-pixel peak: a parabola through the neighbours along each axis.
  const at = (ddy: number, ddx: number) => {
    const y = (((dy + ddy) % ncc.h) + ncc.h) % ncc.h,
      x = (((dx + ddx) % ncc.w) + ncc.w) % ncc.w;
    const v = ncc.r[y * ncc.w + x];
    return sign === 0 ? Math.abs(v) : sign * v;
  };
  const vertex = (l: number, c: number, r: number) =>
    Number.isFinite(l) && Number.isFinite(r) && l + r - 2 * c < 0
      ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / (l + r - 2 * c)))
      : 0;
  const fy = dy + vertex(at(-1, 0), bestV, at(1, 0));
  const fx = dx + vertex(at(0, -1), bestV, at(0, 1));
  // Reference pixel i sits at scan x = (f − 1)/2 + f·i; warped pixel i + d at xmin + (i + d + ½)·f.
  const deltaX = xmin + (fx + 0.5) * f - (f - 1) / 2;
  const deltaY = ymin + (fy + 0.5) * f - (f - 1) / 2;
  const tu = a[0] * deltaX + a[1] * deltaY,
    tv = a[2] * deltaX + a[3] * deltaY;
  return { pose: { s, thetaDeg, tu, tv }, r: ncc.r[best] };
}

/** Register `sampler`'s map to the reference image (scan grid) starting from `start`. */
export function registerMap(
  reference: Image,
  sampler: MapSampler,
  start: Pose,
  fr: Frame,
  o: SearchOptions,
): SearchResult {
  let valid = 0;
  for (let i = 0; i < reference.data.length; i++) if (Number.isFinite(reference.data[i])) valid++;
  const minCount = Math.max(3, Math.ceil(o.minOverlap * valid));
  // Coarse level: the short side of the scan near 32 px keeps each transform small (the refinement
  // at full resolution then needs the search only to land within a few pixels).
  const f = Math.max(1, Math.floor(Math.min(reference.ny, reference.nx) / 32));
  const coarse = coarsen(reference, f);
  const coarseMin = Math.max(3, Math.ceil(minCount / (f * f)));
  const thetas = o.estimate.rotation
    ? range(start.thetaDeg - o.maxRotationDeg, start.thetaDeg + o.maxRotationDeg, o.rotationStepDeg)
    : [start.thetaDeg];
  const scales = o.estimate.scale
    ? geomRange(start.s * o.scaleRange[0], start.s * o.scaleRange[1], 9)
    : [start.s];
  let candidates = 0;
  const score = (r: number) => (o.sign === 0 ? Math.abs(r) : o.sign * r);
  let best: { pose: Pose; r: number } | null = null;
  const consider = (s: number, th: number) => {
    candidates++;
    const got = o.estimate.offset
      ? bestShift(coarse, f, sampler, s, th, fr, o.sign, coarseMin)
      : {
          pose: { ...start, s, thetaDeg: th },
          r: poseR(reference, sampler, { ...start, s, thetaDeg: th }, fr, minCount).r,
        };
    if (got && Number.isFinite(got.r) && (!best || score(got.r) > score(best.r))) best = got;
  };
  // Rotation first at the start scale, then scale at the best rotation (each a 1-D search).
  for (const th of thetas) consider(start.s, th);
  if (o.estimate.scale && best) {
    const th = (best as { pose: Pose }).pose.thetaDeg;
    for (const s of scales) consider(s, th);
  }
  const coarseBest = best as { pose: Pose; r: number } | null;
  if (!coarseBest)
    return {
      pose: start,
      r: NaN,
      overlap: 0,
      coarse: { factor: f, candidates, bestR: NaN },
      evaluations: 0,
      converged: false,
      failure: 'no candidate transform gives enough overlap between the map and the reference',
    };
  const sign = o.sign === 0 ? (coarseBest.r >= 0 ? 1 : -1) : o.sign;

  // Refinement of the estimated parameters on the full scan grid.
  const names = (['rotation', 'scale', 'offset'] as const).filter((k) => o.estimate[k]);
  const pack = (p: Pose) =>
    names.flatMap((k) => (k === 'rotation' ? [p.thetaDeg] : k === 'scale' ? [Math.log(p.s)] : [p.tu, p.tv]));
  const unpack = (x: number[]): Pose => {
    const p = { ...coarseBest.pose };
    let i = 0;
    for (const k of names) {
      if (k === 'rotation') p.thetaDeg = x[i++];
      else if (k === 'scale') p.s = Math.exp(x[i++]);
      else (p.tu = x[i++]), (p.tv = x[i++]);
    }
    return p;
  };
  const mag = magnification(linearOf(coarseBest.pose, fr));
  const steps = names.flatMap((k) =>
    k === 'rotation'
      ? [Math.max(0.25, o.rotationStepDeg / 2)]
      : k === 'scale'
        ? [0.01]
        : [0.5 * f * mag, 0.5 * f * mag],
  );
  const objective = (x: number[]) => {
    const { r, n } = poseR(reference, sampler, unpack(x), fr, minCount);
    return n >= minCount && Number.isFinite(r) ? -sign * r : 1;
  };
  const nm = names.length
    ? nelderMead(objective, pack(coarseBest.pose), steps, {
        fTol: 1e-8,
        xTol: 1e-3,
        maxEval: 400 * names.length,
      })
    : { x: [], f: objective([]), evaluations: 1, converged: true };
  // A restart from the optimum guards against a collapsed simplex.
  const nm2 = names.length
    ? nelderMead(
        objective,
        nm.x,
        steps.map((s) => s / 4),
        { fTol: 1e-9, xTol: 1e-3, maxEval: 200 * names.length },
      )
    : nm;
  const pose = unpack(nm2.x);
  const { r, n } = poseR(reference, sampler, pose, fr, minCount);
  let failure: string | null = null;
  if (n < minCount) failure = `the maps overlap at ${n} positions, fewer than minOverlap (${minCount})`;
  else if (
    o.estimate.rotation &&
    o.maxRotationDeg > 0 &&
    Math.abs(pose.thetaDeg - start.thetaDeg) > o.maxRotationDeg - 0.05
  )
    failure = `the best rotation ${pose.thetaDeg.toFixed(2)}° lies on the edge of the search range ${start.thetaDeg} ± ${o.maxRotationDeg}°`;
  else if (
    o.estimate.scale &&
    (pose.s < start.s * o.scaleRange[0] * 1.001 || pose.s > start.s * o.scaleRange[1] * 0.999)
  )
    failure = `the best scale ${pose.s.toFixed(4)} lies on the edge of the search range [${o.scaleRange}] × ${start.s}`;
  return {
    pose,
    r,
    overlap: n,
    coarse: { factor: f, candidates, bestR: coarseBest.r },
    evaluations: nm.evaluations + nm2.evaluations,
    converged: nm.converged || nm2.converged,
    failure,
  };
}

/** Pearson r of the reference with the map at a pose, over the positions both cover. */
export function poseR(
  reference: Image,
  sampler: MapSampler,
  pose: Pose,
  fr: Frame,
  _minCount = 3,
): { r: number; n: number } {
  const a = linearOf(pose, fr);
  const m = subSamples(a, 1);
  const { ny, nx } = reference;
  const vals = new Float64Array(ny * nx);
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) {
      const i = y * nx + x;
      vals[i] = Number.isFinite(reference.data[i]) ? sampler.at(a, pose.tu, pose.tv, x, y, 1, m) : NaN;
    }
  return pairedPearson(reference.data, vals);
}

function range(lo: number, hi: number, step: number): number[] {
  const n = Math.max(1, Math.round((hi - lo) / step));
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

function geomRange(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => lo * Math.pow(hi / lo, i / (n - 1)));
}
