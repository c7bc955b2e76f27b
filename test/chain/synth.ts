/** Deterministic synthetic data for the chain tests: seeded RNG, Poisson noise, supersampled ring images. */
import { ellipseMetric } from '../../nodes/calib/geometry-model.ts';

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export function poisson(lambda: number, rand: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda > 60) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(rand)));
  const L = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > L);
  return k - 1;
}

export interface RingScene {
  h: number;
  w: number;
  cx: number;
  cy: number;
  axisRatio: number;
  angleDeg: number;
  /** Intensity as a function of corrected radius (px). */
  profile: (r: number) => number;
  /** Sub-samples per pixel side (pixel-area integration). */
  supersample?: number;
}

/** Image whose pixels are the pixel-area average of profile(corrected radius). */
export function renderRings(s: RingScene): Float64Array {
  const m = ellipseMetric(s.axisRatio, s.angleDeg);
  const ss = s.supersample ?? 8;
  const img = new Float64Array(s.h * s.w);
  for (let y = 0; y < s.h; y++) {
    for (let x = 0; x < s.w; x++) {
      let acc = 0;
      for (let j = 0; j < ss; j++) {
        const dy = y - 0.5 + (j + 0.5) / ss - s.cy;
        for (let i = 0; i < ss; i++) {
          const dx = x - 0.5 + (i + 0.5) / ss - s.cx;
          acc += s.profile(Math.sqrt(m.xx * dx * dx + 2 * m.xy * dx * dy + m.yy * dy * dy));
        }
      }
      img[y * s.w + x] = acc / (ss * ss);
    }
  }
  return img;
}

/** An amorphous pattern: direct beam, a smooth background and a broad ring at `ringR`. */
export function amorphousProfile(
  opts: {
    beam?: number;
    beamR?: number;
    bg?: number;
    ring?: number;
    ringR?: number;
    ringSigma?: number;
  } = {},
) {
  const { beam = 200, beamR = 4, bg = 30, ring = 60, ringR = 40, ringSigma = 3 } = opts;
  return (r: number) =>
    beam / (1 + Math.exp((r - beamR) / 0.5)) +
    bg * Math.exp(-r / 35) +
    ring * Math.exp(-((r - ringR) ** 2) / (2 * ringSigma * ringSigma));
}

export function addPoisson(img: Float64Array, seed: number): Float64Array {
  const rand = rng(seed);
  const out = new Float64Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = poisson(img[i], rand);
  return out;
}
