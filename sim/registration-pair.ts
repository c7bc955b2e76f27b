/**
 * A synthetic registration problem: one scene (intensity as a function of position in nm) sampled
 * on the scan grid and, through a known pose, on the pixel grid of a separately acquired map — the
 * transform map.register must recover. Shared by the registration tests and bench/map-register.ts.
 */
import { linearOf, type Frame, type Pose } from '../nodes/map/register-core.ts';

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
