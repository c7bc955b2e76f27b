/**
 * A synthetic registration problem: one scene (intensity as a function of position in nm) sampled
 * on the scan grid and, through a known pose, on the pixel grid of a separately acquired map — the
 * transform map.register must recover; the search from the identity with map.register's default
 * ranges, and how far a result lands from the truth. Shared by the registration tests and
 * bench/map-register.ts.
 */
import {
  linearOf,
  MapSampler,
  registerMap,
  type Frame,
  type Pose,
  type SearchOptions,
  type SearchResult,
} from '../nodes/map/register-core.ts';

export interface RegistrationPairSpec {
  ny: number;
  nx: number;
  /** Scan step, nm (square). */
  step: number;
  /** Map size, pixels. */
  H: number;
  W: number;
  truth: Pose;
  frame: Frame;
  /** Draws noise of a given amplitude; called for the scan grid first, then for the map. */
  noise: (amplitude: number) => number;
  refNoise: number;
  mapNoise: number;
  /** The map's contrast against the reference: gain · scene + offset (another modality). */
  gain?: number;
  offset?: number;
}

export function registrationPair(scene: (Xnm: number, Ynm: number) => number, s: RegistrationPairSpec) {
  const { ny, nx, step, H, W, truth, noise } = s;
  const gain = s.gain ?? 1;
  const offset = s.offset ?? 0;
  const ref = new Float64Array(ny * nx);
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) ref[y * nx + x] = scene(x * step, y * step) + noise(s.refNoise);
  const a = linearOf(truth, s.frame);
  const det = a[0] * a[3] - a[1] * a[2];
  const map = new Float64Array(H * W);
  for (let v = 0; v < H; v++)
    for (let u = 0; u < W; u++) {
      const du = u - truth.tu,
        dv = v - truth.tv;
      map[v * W + u] =
        gain * scene(((a[3] * du - a[1] * dv) / det) * step, ((-a[2] * du + a[0] * dv) / det) * step) +
        offset +
        noise(s.mapNoise);
    }
  return { ref, map, a };
}

/** map.register's search with its params' defaults (offset and rotation, ±10° in 1° steps). */
export const DEFAULT_SEARCH: SearchOptions = {
  estimate: { offset: true, rotation: true, scale: false },
  maxRotationDeg: 10,
  rotationStepDeg: 1,
  scaleRange: [0.8, 1.25],
  sign: 0,
  minOverlap: 0.5,
};

/** Register an H × W map onto an ny × nx reference from the identity pose: the default search with what a case changes. */
export function registerFromIdentity(
  ref: Float64Array,
  map: Float64Array,
  s: Pick<RegistrationPairSpec, 'ny' | 'nx' | 'H' | 'W' | 'frame'>,
  search: Partial<SearchOptions> = {},
): SearchResult {
  return registerMap(
    { ny: s.ny, nx: s.nx, data: ref },
    new MapSampler(map, s.H, s.W),
    { s: 1, thetaDeg: 0, tu: 0, tv: 0 },
    s.frame,
    { ...DEFAULT_SEARCH, ...search },
  );
}

/**
 * Largest distance, in scan steps, between where an estimated and the true transform (linear part
 * a, offset t in map pixels) send the scan's four corners.
 */
export function worstCornerError(
  aEst: ArrayLike<number>,
  tEst: [number, number],
  aTrue: ArrayLike<number>,
  tTrue: [number, number],
  ny: number,
  nx: number,
): number {
  const mag = Math.sqrt(Math.abs(aTrue[0] * aTrue[3] - aTrue[1] * aTrue[2]));
  let worst = 0;
  for (const [x, y] of [
    [0, 0],
    [nx - 1, 0],
    [0, ny - 1],
    [nx - 1, ny - 1],
  ]) {
    const du = aEst[0] * x + aEst[1] * y + tEst[0] - (aTrue[0] * x + aTrue[1] * y + tTrue[0]);
    const dv = aEst[2] * x + aEst[3] * y + tEst[1] - (aTrue[2] * x + aTrue[3] * y + tTrue[1]);
    worst = Math.max(worst, Math.hypot(du, dv) / mag);
  }
  return worst;
}
