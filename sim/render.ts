/**
 * One diffraction pattern per scan position, from the specimen model:
 *   amorphous / diffuse scattering — a radial profile I(ρ) (linear combination of fixed basis
 *     curves, see glass.ts), read through the per-pixel ρ of the distorted geometry (lerp);
 *   Bragg spots of Ni grains and inclusions — Gaussian stamps at the exact reflection positions;
 *   the direct beam — a disc, saturating;
 *   then Poisson counting noise at the given dose, 8-bit saturation, dead and hot pixels.
 * The detector point spread is applied where it is cheap and exact enough: the radial profile is
 * convolved with it in ρ (1-D), the spot and beam-edge widths include it. The expected image
 * (before noise) is what `renderExpected` returns; it is the ground truth the integrator must
 * reproduce.
 *
 * Everything is a pure function of (params, seed, iy, ix): the per-position random stream is keyed
 * on exactly those (rng.ts), so any worker renders any position identically.
 */
import { formFactorCurve, formFactorQ } from '../nodes/pdf/formfactors.ts';
import { parseComposition, xMix } from './composition.ts';
import { debyeWaller, spotIntensity, zoneBasis, zoneReflections, type Vec3 } from './crystal.ts';
import { DetectorGeometry } from './detector.ts';
import { GlassModel, N_GLASS_BASIS } from './glass.ts';
import type { SimParams } from './presets.ts';
import { poissonFill } from './poisson.ts';
import { Rng, STREAM } from './rng.ts';
import { REGION, Specimen, newLocalState, type Grain, type LocalState } from './specimen.ts';

/** Radial sampling of the profiles (px). */
export const RHO_STEP = 0.25;
/** FCC Ni lattice parameter (Å). */
export const NI_LATTICE = 3.524;
/** Effective FCC lattice of the inclusions (Å): a stand-in for the Zr₂(Cu,Ni) big-cube phase whose strong reflections fall on the amorphous ring. */
export const INCLUSION_LATTICE = 4.5;
const B_NI = 0.45;
const B_INCL = 0.6;
/** Peak counts of a (111) Ni spot of unit strength (saturates the 8-bit range). */
const NI_SPOT_PEAK = 1100;
const INCLUSION_SPOT_PEAK = 520;
const BEAM_PEAK = 4000;
const SPOT_BEAM_SIGMA = 0.75;

const N_EXTRA_BASIS = 3; // Ni diffuse, Ni inelastic, direct-beam halo
export const N_BASIS = N_GLASS_BASIS + N_EXTRA_BASIS;

interface SpotList {
  /** Pixel offsets from the centre and peak heights (counts at unit strength). */
  dc: Float64Array;
  dr: Float64Array;
  amp: Float64Array;
}

export interface SimGeometry {
  center: [number, number];
  qPerPixel: number;
  ellipse: [number, number];
  size: number;
}

/** The true detector geometry of a parameter set. */
export function simGeometry(p: SimParams): SimGeometry {
  const scale = 144 / p.size;
  const mid = (p.size - 1) / 2;
  return {
    size: p.size,
    center: [mid + p.centerOffset[0] / scale, mid + p.centerOffset[1] / scale],
    qPerPixel: p.qPerPixel144 * scale,
    ellipse: [p.ellipse[0], p.ellipse[1]],
  };
}

/** σ (px) of a Bragg spot on the detector: the beam's convergence and the point spread. */
export function simSpotSigmaPx(p: Pick<SimParams, 'size' | 'psfSigma'>): number {
  return Math.hypot(SPOT_BEAM_SIGMA / (144 / p.size), p.psfSigma);
}

function gaussianBlur1d(src: Float64Array, n: number, sigmaSamples: number): Float64Array {
  if (sigmaSamples <= 0) return src.slice();
  const half = Math.ceil(4 * sigmaSamples);
  const w = new Float64Array(2 * half + 1);
  let ws = 0;
  for (let j = -half; j <= half; j++)
    ws += w[j + half] = Math.exp((-0.5 * j * j) / (sigmaSamples * sigmaSamples));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = -half; j <= half; j++) {
      let k = i + j;
      if (k < 0) k = -k; // radial profile: even about ρ = 0
      if (k >= n) k = n - 1;
      acc += w[j + half] * src[k];
    }
    out[i] = acc / ws;
  }
  return out;
}

export class Renderer {
  readonly geometry: DetectorGeometry;
  readonly specimen: Specimen;
  readonly glass: GlassModel;
  /** Q of each profile sample (Å⁻¹). */
  readonly q: Float64Array;
  readonly nProfile: number;
  /** Basis curves [N_BASIS][nProfile], already in counts per unit coefficient and PSF-blurred. */
  readonly basis: Float64Array;
  /** Counts per unit of glass I(Q) (Å²): scales the nominal ring maximum to `dose`. */
  readonly scale: number;
  private readonly rhoIdx: Int32Array;
  private readonly rhoFrac: Float32Array;
  private readonly grainSpots: SpotList[];
  private readonly inclusionSpots: SpotList[];
  private readonly beamProfile: Float64Array;
  private readonly beamReach: number;
  private readonly dead: Int32Array;
  private readonly hot: Int32Array;
  private readonly hotValue: Uint8Array;
  private readonly spotSigma: number;
  private readonly state: LocalState = newLocalState();
  private readonly coef = new Float64Array(N_BASIS);
  private readonly profile: Float64Array;
  private readonly lam: Float32Array;
  private readonly rng = new Rng(0);
  private readonly wx = new Float64Array(16);
  private readonly wy = new Float64Array(16);

  constructor(readonly p: SimParams) {
    const g = simGeometry(p);
    this.geometry = new DetectorGeometry(g);
    this.specimen = new Specimen(p);
    const maxShift = Math.hypot(p.descan[0], p.descan[1]);
    this.nProfile = Math.ceil((this.geometry.maxRho() + maxShift + 4) / RHO_STEP) + 2;
    const n = this.nProfile;
    this.q = new Float64Array(n);
    for (let i = 0; i < n; i++) this.q[i] = i * RHO_STEP * g.qPerPixel;
    const mix = xMix(parseComposition(p.composition));
    this.glass = new GlassModel(this.q, mix);

    // Scale: nominal glass ring maximum (Q in 1.5–4 Å⁻¹) → dose counts.
    const nominal = this.glass.intensity({ c: this.specimen.cNominal, alpha: 0 });
    let peak = 0;
    for (let i = 0; i < n; i++) if (this.q[i] > 1.5 && this.q[i] < 4) peak = Math.max(peak, nominal[i]);
    this.scale = p.dose / peak;

    const raw = new Float64Array(N_BASIS * n);
    raw.set(this.glass.basis.subarray(0, N_GLASS_BASIS * n));
    for (let i = 0; i < N_GLASS_BASIS * n; i++) raw[i] *= this.scale;
    const fNi = formFactorCurve('Ni', this.q);
    const f0 = formFactorQ('Zr', 0);
    for (let i = 0; i < n; i++) {
      const qi = this.q[i];
      // Ni: thermal diffuse scattering f²(1 − DW) plus inelastic, in the same units as the glass.
      raw[(N_GLASS_BASIS + 0) * n + i] =
        this.scale * fNi[i] * fNi[i] * (1 - debyeWaller(qi, B_NI) ** 2 + 0.08);
      raw[(N_GLASS_BASIS + 1) * n + i] = (this.scale * 0.004 * f0 * f0 * 28) / (1 + (qi / 2.2) ** 2);
      // Halo of the direct beam (small-angle inelastic and beam tails), in counts.
      raw[(N_GLASS_BASIS + 2) * n + i] = 2.5 * p.dose * Math.exp(-qi / 0.45);
    }
    this.basis = new Float64Array(N_BASIS * n);
    for (let m = 0; m < N_BASIS; m++) {
      this.basis.set(gaussianBlur1d(raw.subarray(m * n, (m + 1) * n), n, p.psfSigma / RHO_STEP), m * n);
    }

    // Per-pixel profile index for the undisplaced centre.
    const rho = this.geometry.rhoImage();
    this.rhoIdx = new Int32Array(rho.length);
    this.rhoFrac = new Float32Array(rho.length);
    for (let i = 0; i < rho.length; i++) {
      const t = rho[i] / RHO_STEP;
      const k = Math.min(Math.floor(t), n - 2);
      this.rhoIdx[i] = k;
      this.rhoFrac[i] = t - k;
    }

    const qMax = this.geometry.maxRho() * g.qPerPixel + 1;
    const spotScale = 144 / p.size;
    this.spotSigma = simSpotSigmaPx(p);
    const niRef = spotIntensity(
      formFactorQ('Ni', (2 * Math.PI * Math.sqrt(3)) / NI_LATTICE),
      (2 * Math.PI * Math.sqrt(3)) / NI_LATTICE,
      B_NI,
    );
    this.grainSpots = this.specimen.grains.map((gr, i) =>
      this.spotList(
        gr,
        NI_LATTICE,
        qMax,
        (q) => spotIntensity(formFactorQ('Ni', q), q, B_NI) / niRef,
        NI_SPOT_PEAK * gr.strength,
        new Rng(p.seed, STREAM.grains, 1000 + i),
      ),
    );
    const qIncl = (2 * Math.PI * Math.sqrt(3)) / INCLUSION_LATTICE;
    const fIncl = (q: number) => {
      let f = 0;
      const cInc = this.specimen.cNominal;
      f += cInc * formFactorQ('Zr', q);
      for (const [el, x] of Object.entries(mix)) f += (1 - cInc) * x * formFactorQ(el, q);
      return f;
    };
    const inclRef = spotIntensity(fIncl(qIncl), qIncl, B_INCL);
    this.inclusionSpots = this.specimen.inclusions.map((inc, i) =>
      this.spotList(
        inc,
        INCLUSION_LATTICE,
        Math.min(qMax, 9),
        (q) => spotIntensity(fIncl(q), q, B_INCL) / inclRef,
        INCLUSION_SPOT_PEAK * inc.strength * inc.crystalFraction,
        new Rng(p.seed, STREAM.inclusions, 1000 + i),
      ),
    );

    // Direct beam: a disc with a soft (PSF-blurred) edge, radial profile on a fine grid.
    const radius = p.beamRadius / spotScale;
    const edge = Math.hypot(p.psfSigma, 0.35);
    this.beamReach = radius + 5 * edge;
    this.beamProfile = new Float64Array(Math.ceil(this.beamReach / 0.05) + 2);
    for (let i = 0; i < this.beamProfile.length; i++) {
      const r = i * 0.05;
      this.beamProfile[i] = BEAM_PEAK * 0.5 * erfc((r - radius) / (Math.SQRT2 * edge));
    }

    // Dead and hot pixels: fixed for the detector.
    const drng = new Rng(p.seed, STREAM.detector);
    const npx = p.size * p.size;
    this.dead = Int32Array.from({ length: p.deadPixels }, () => drng.int(npx));
    this.hot = Int32Array.from({ length: p.hotPixels }, () => drng.int(npx));
    this.hotValue = Uint8Array.from({ length: p.hotPixels }, () => 180 + drng.int(76));

    this.profile = new Float64Array(n);
    this.lam = new Float32Array(npx);
  }

  private spotList(
    gr: Grain,
    a: number,
    qMax: number,
    rel: (q: number) => number,
    peak: number,
    rng: Rng,
  ): SpotList {
    const refl = zoneReflections(a, gr.zone, qMax);
    const cr = Math.cos(gr.rot);
    const sr = Math.sin(gr.rot);
    const dc = new Float64Array(refl.length);
    const dr = new Float64Array(refl.length);
    const amp = new Float64Array(refl.length);
    refl.forEach((r, i) => {
      const qc = r.q1 * cr - r.q2 * sr;
      const qr = r.q1 * sr + r.q2 * cr;
      [dc[i], dr[i]] = this.geometry.offsetOf(qc, qr);
      // Dynamical scattering and residual tilt make equivalent reflections unequal.
      amp[i] = peak * rel(r.q) * Math.exp(0.25 * rng.normal());
    });
    return { dc, dr, amp };
  }

  /** Zone-axis basis used for a grain (exposed for tests). */
  static zoneBasis(zone: Vec3) {
    return zoneBasis(zone);
  }

  /** Centre shift (px) of position (iy, ix) from descan. */
  descanShift(iy: number, ix: number): [number, number] {
    const [a, b] = this.p.descan;
    if (a === 0 && b === 0) return [0, 0];
    const fx = this.p.nx > 1 ? ix / (this.p.nx - 1) - 0.5 : 0;
    const fy = this.p.ny > 1 ? iy / (this.p.ny - 1) - 0.5 : 0;
    return [a * fx, b * fy];
  }

  /** Specimen state of a position. */
  local(iy: number, ix: number): LocalState {
    return this.specimen.describe(iy, ix, this.state);
  }

  /** Basis coefficients of a position's radial profile. */
  coefficients(st: LocalState, out: Float64Array = this.coef): Float64Array {
    out.fill(0);
    const t = st.thickness;
    if (st.region === REGION.ni) {
      out[N_GLASS_BASIS + 0] = t;
      out[N_GLASS_BASIS + 1] = t;
      out[N_GLASS_BASIS + 2] = 1;
      return out;
    }
    this.glass.coefficients({ c: st.c, alpha: st.alpha }, out);
    let glassPart = t;
    if (st.region === REGION.inclusion) {
      const inc = this.specimen.inclusions[st.inclusion];
      glassPart = t * (1 - inc.crystalFraction);
      const cryst = t * inc.crystalFraction;
      // The crystal's diffuse part: self (Laue + thermal) and inelastic terms of its composition.
      for (let m = 0; m < N_GLASS_BASIS; m++) out[m] *= glassPart;
      out[0] += cryst * inc.c;
      out[1] += cryst * (1 - inc.c);
      out[8] += cryst * inc.c;
      out[9] += cryst * (1 - inc.c);
    } else {
      for (let m = 0; m < N_GLASS_BASIS; m++) out[m] *= glassPart;
    }
    out[N_GLASS_BASIS + 2] = 1;
    return out;
  }

  /** The noiseless radial profile (counts per pixel vs `q`) of a position. */
  profileOf(iy: number, ix: number, out: Float64Array = new Float64Array(this.nProfile)): Float64Array {
    const coef = this.coefficients(this.local(iy, ix));
    const n = this.nProfile;
    out.fill(0);
    for (let m = 0; m < N_BASIS; m++) {
      const k = coef[m];
      if (k === 0) continue;
      const off = m * n;
      for (let i = 0; i < n; i++) out[i] += k * this.basis[off + i];
    }
    return out;
  }

  /** The expected (noiseless) image of position (iy, ix), counts per pixel, row-major. */
  renderExpected(iy: number, ix: number, out: Float32Array = this.lam): Float32Array {
    const size = this.p.size;
    const prof = this.profileOf(iy, ix, this.profile);
    const st = this.state;
    const [sc, sr] = this.descanShift(iy, ix);
    if (sc === 0 && sr === 0) {
      const idx = this.rhoIdx;
      const frac = this.rhoFrac;
      for (let i = 0; i < out.length; i++) {
        const k = idx[i];
        out[i] = prof[k] + frac[i] * (prof[k + 1] - prof[k]);
      }
    } else {
      const g = this.geometry;
      const n = this.nProfile;
      for (let r = 0, i = 0; r < size; r++) {
        for (let c = 0; c < size; c++, i++) {
          const t = g.rho(c, r, sc, sr) / RHO_STEP;
          const k = Math.min(Math.floor(t), n - 2);
          out[i] = prof[k] + (t - k) * (prof[k + 1] - prof[k]);
        }
      }
    }
    const cx = this.geometry.cx + sc;
    const cy = this.geometry.cy + sr;
    if (st.region === REGION.ni && st.grain >= 0)
      this.stamp(out, this.grainSpots[st.grain], st.thickness, cx, cy);
    if (st.region === REGION.inclusion && st.inclusion >= 0)
      this.stamp(out, this.inclusionSpots[st.inclusion], st.thickness, cx, cy);
    // Direct beam, weaker where the specimen scatters more (Ni, thicker areas).
    const trans = (st.region === REGION.ni ? 0.55 : 0.8) / st.thickness;
    const reach = this.beamReach;
    const r0 = Math.max(0, Math.floor(cy - reach));
    const r1 = Math.min(size - 1, Math.ceil(cy + reach));
    const c0 = Math.max(0, Math.floor(cx - reach));
    const c1 = Math.min(size - 1, Math.ceil(cx + reach));
    const bp = this.beamProfile;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const d = Math.hypot(c - cx, r - cy) / 0.05;
        const k = Math.floor(d);
        if (k >= bp.length - 1) continue;
        out[r * size + c] += trans * (bp[k] + (d - k) * (bp[k + 1] - bp[k]));
      }
    }
    return out;
  }

  private stamp(out: Float32Array, spots: SpotList, strength: number, cx: number, cy: number) {
    const size = this.p.size;
    const s2 = 2 * this.spotSigma * this.spotSigma;
    const half = Math.min(7, Math.ceil(3 * this.spotSigma));
    const { wx, wy } = this;
    for (let s = 0; s < spots.amp.length; s++) {
      const col = cx + spots.dc[s];
      const row = cy + spots.dr[s];
      const ic = Math.round(col);
      const ir = Math.round(row);
      if (ic < -half || ir < -half || ic >= size + half || ir >= size + half) continue;
      for (let j = -half; j <= half; j++) {
        wx[j + half] = Math.exp(-((ic + j - col) ** 2) / s2);
        wy[j + half] = Math.exp(-((ir + j - row) ** 2) / s2);
      }
      const a = spots.amp[s] * strength;
      for (let j = -half; j <= half; j++) {
        const r = ir + j;
        if (r < 0 || r >= size) continue;
        const ay = a * wy[j + half];
        for (let i = -half; i <= half; i++) {
          const c = ic + i;
          if (c < 0 || c >= size) continue;
          out[r * size + c] += ay * wx[i + half];
        }
      }
    }
  }

  /**
   * The recorded 8-bit pattern of position (iy, ix), written at `offset` in `out`:
   * Poisson(λ) per pixel (poisson.ts: exact inversion below λ = 30, normal approximation above),
   * clipped to 0–255, then dead (0) and hot pixels.
   */
  renderCounts(iy: number, ix: number, out: Uint8Array, offset = 0): void {
    const lam = this.renderExpected(iy, ix, this.lam);
    const rng = this.rng.reseed(this.p.seed, STREAM.poisson, iy, ix);
    poissonFill(lam, out, offset, rng);
    for (let i = 0; i < this.dead.length; i++) out[offset + this.dead[i]] = 0;
    for (let i = 0; i < this.hot.length; i++) out[offset + this.hot[i]] = this.hotValue[i];
  }

  /** Positions start … start+count−1 (ix fastest) into one [count, size, size] uint8 buffer. */
  renderRange(
    start: number,
    count: number,
    out = new Uint8Array(count * this.p.size * this.p.size),
  ): Uint8Array {
    const npx = this.p.size * this.p.size;
    for (let j = 0; j < count; j++) {
      const pos = start + j;
      this.renderCounts(Math.floor(pos / this.p.nx), pos % this.p.nx, out, j * npx);
    }
    return out;
  }
}

function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
