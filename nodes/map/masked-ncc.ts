/**
 * Masked normalised cross-correlation of two images for every integer shift at once, in the Fourier
 * domain (Padfield, "Masked object registration in the Fourier domain", IEEE TIP 2012 — what
 * scikit-image's phase_cross_correlation does with masks). Unlike plain phase correlation it is a
 * true Pearson r over the positions both images have data at, so NaN regions, partial overlap and
 * maps of different modality (Zr at.% against a dark-field intensity) are scored fairly.
 *
 * Convention: r(d) = Pearson r of f(x) and g(x + d) over x where both are valid.
 */
import { Fft2, nextPow2 } from './fft2.ts';

export interface Image {
  ny: number;
  nx: number;
  /** Row-major values; non-finite = no data. */
  data: ArrayLike<number>;
}

export interface NccMap {
  /** Correlation per shift, [h, w] indexed by (dy mod h, dx mod w); NaN where the overlap is too small. */
  r: Float64Array;
  /** Overlapping positions per shift. */
  n: Float64Array;
  h: number;
  w: number;
  /** Shape of g: shifts 0 … g.ny − 1 are positive, the wrapped rest negative. */
  gy: number;
  gx: number;
}

function split(img: Image): { v: Float64Array; v2: Float64Array; m: Float64Array } {
  const len = img.ny * img.nx;
  const v = new Float64Array(len);
  const v2 = new Float64Array(len);
  const m = new Float64Array(len);
  // Centre on the mean first: the sums of squares then lose no precision in float64.
  let s = 0,
    c = 0;
  for (let i = 0; i < len; i++) if (Number.isFinite(img.data[i])) (s += img.data[i]), c++;
  const mean = c ? s / c : 0;
  for (let i = 0; i < len; i++) {
    const x = img.data[i];
    if (!Number.isFinite(x)) continue;
    v[i] = x - mean;
    v2[i] = v[i] * v[i];
    m[i] = 1;
  }
  return { v, v2, m };
}

/** r(d) for every shift d with at least `minOverlap` common positions. */
export function maskedNcc(f: Image, g: Image, minOverlap: number): NccMap {
  const h = nextPow2(f.ny + g.ny);
  const w = nextPow2(f.nx + g.nx);
  const fft = new Fft2(h, w);
  const F = split(f);
  const G = split(g);
  const zero = new Float64Array(Math.max(f.ny * f.nx, g.ny * g.nx));
  const Zf = fft.packed(F.v, F.v2, f.ny, f.nx);
  const Zfm = fft.packed(F.m, zero, f.ny, f.nx);
  const Zg = fft.packed(G.v, G.v2, g.ny, g.nx);
  const Zgm = fft.packed(G.m, zero, g.ny, g.nx);
  const sF = fft.unpack(Zf, 0),
    sF2 = fft.unpack(Zf, 1),
    sMf = fft.unpack(Zfm, 0);
  const sG = fft.unpack(Zg, 0),
    sG2 = fft.unpack(Zg, 1),
    sMg = fft.unpack(Zgm, 0);
  const [N, Sf] = fft.correlatePair(sMf, sMg, sF, sMg);
  const [Sff, Sg] = fft.correlatePair(sF2, sMg, sMf, sG);
  const [Sgg, Sfg] = fft.correlatePair(sMf, sG2, sF, sG);
  const len = h * w;
  const r = new Float64Array(len).fill(Number.NaN);
  const n = new Float64Array(len);
  for (let k = 0; k < len; k++) {
    const cnt = Math.max(0, Math.round(N[k]));
    n[k] = cnt;
    if (cnt < Math.max(3, minOverlap)) continue;
    const cov = Sfg[k] - (Sf[k] * Sg[k]) / cnt;
    const vf = Sff[k] - (Sf[k] * Sf[k]) / cnt;
    const vg = Sgg[k] - (Sg[k] * Sg[k]) / cnt;
    // Rounding in the transforms leaves ~1e-12 of the total; a variance below 1e-9 of it is none.
    if (vf > 1e-9 * (Sff[k] + 1e-300) && vg > 1e-9 * (Sgg[k] + 1e-300)) r[k] = cov / Math.sqrt(vf * vg);
  }
  return { r, n, h, w, gy: g.ny, gx: g.nx };
}

/** The shift (dy, dx) of a wrapped index. */
export function shiftOf(k: number, m: NccMap): [number, number] {
  const y = Math.floor(k / m.w);
  const x = k % m.w;
  return [y < m.gy ? y : y - m.h, x < m.gx ? x : x - m.w];
}
