/**
 * Ground truth of a simulated scan: per-position maps (Zr fraction, pair fractions, α, region,
 * inclusion mask, thickness) and the noiseless I(Q), S(Q) and G(r) of a handful of positions.
 */
import { f32 } from '../engine/ndarray.ts';
import type { NDArray } from '../engine/types.ts';
import { sineTransform } from './glass.ts';
import { alphaOf, alphaWarrenCowley, pairFractions } from './partials.ts';
import type { Renderer } from './render.ts';
import { REGION } from './specimen.ts';

export const TRUTH_MAPS = [
  'zr_fraction',
  'p_zrzr',
  'p_zrx',
  'p_xx',
  'alpha',
  'alpha_wc',
  'region',
  'inclusion',
  'thickness',
] as const;
export type TruthMapName = (typeof TRUTH_MAPS)[number];

/**
 * Maps [ny, nx] float32. Ni positions: zr_fraction 0, pair fractions and α NaN (no glass).
 * Inclusion positions: zr_fraction is the inclusion's own Zr fraction; pair fractions and α are
 * those of the glass that shares the beam path.
 */
export function truthMaps(r: Renderer): Record<TruthMapName, NDArray<Float32Array>> {
  const { ny, nx } = r.p;
  const maps = Object.fromEntries(TRUTH_MAPS.map((k) => [k, f32([ny, nx])])) as Record<
    TruthMapName,
    NDArray<Float32Array>
  >;
  for (let iy = 0; iy < ny; iy++) {
    for (let ix = 0; ix < nx; ix++) {
      const i = iy * nx + ix;
      const st = r.local(iy, ix);
      maps.region.data[i] = st.region;
      maps.thickness.data[i] = st.thickness;
      maps.inclusion.data[i] = st.region === REGION.inclusion ? 1 : 0;
      if (st.region === REGION.ni) {
        maps.zr_fraction.data[i] = 0;
        for (const k of ['p_zrzr', 'p_zrx', 'p_xx', 'alpha', 'alpha_wc'] as const)
          maps[k].data[i] = Number.NaN;
        continue;
      }
      const p = pairFractions(st.c, st.alpha);
      maps.zr_fraction.data[i] =
        st.region === REGION.inclusion ? r.specimen.inclusions[st.inclusion].c : st.c;
      maps.p_zrzr.data[i] = p.ZrZr;
      maps.p_zrx.data[i] = p.ZrX;
      maps.p_xx.data[i] = p.XX;
      maps.alpha.data[i] = alphaOf(p);
      maps.alpha_wc.data[i] = alphaWarrenCowley(p);
    }
  }
  return maps;
}

export interface TruthPosition {
  iy: number;
  ix: number;
  label: string;
  region: number;
  zrFraction: number;
  alpha: number | null;
}

/** A handful of telling positions: glass centre, X-rich glass, ordering and clustering patches, an inclusion, Ni. */
export function truthPositions(r: Renderer): TruthPosition[] {
  const { ny, nx } = r.p;
  const picks: { label: string; score: (c: number, a: number, reg: number, ix: number) => number }[] = [
    {
      label: 'glass, centre',
      score: (_c, a, reg, ix) =>
        reg === REGION.glass ? -Math.abs(ix - nx / 2) - 10 * Math.abs(a) : -Infinity,
    },
    {
      label: 'glass, X-rich (near interface)',
      score: (c, a, reg) => (reg === REGION.glass ? -c - Math.abs(a) : -Infinity),
    },
    { label: 'glass, ordering patch (α > 0)', score: (_c, a, reg) => (reg === REGION.glass ? a : -Infinity) },
    {
      label: 'glass, clustering patch (α < 0)',
      score: (_c, a, reg) => (reg === REGION.glass ? -a : -Infinity),
    },
    { label: 'inclusion', score: (_c, _a, reg) => (reg === REGION.inclusion ? 1 : -Infinity) },
    { label: 'Ni', score: (_c, _a, reg) => (reg === REGION.ni ? 1 : -Infinity) },
  ];
  const out: TruthPosition[] = [];
  for (const pick of picks) {
    let best = -Infinity;
    let at: [number, number] | null = null;
    for (let iy = 0; iy < ny; iy++)
      for (let ix = 0; ix < nx; ix++) {
        const st = r.local(iy, ix);
        const s = pick.score(st.c, Number.isNaN(st.alpha) ? 0 : st.alpha, st.region, ix);
        if (s > best) {
          best = s;
          at = [iy, ix];
        }
      }
    if (!at) continue;
    const st = r.local(at[0], at[1]);
    out.push({
      iy: at[0],
      ix: at[1],
      label: pick.label,
      region: st.region,
      zrFraction: st.c,
      alpha: Number.isNaN(st.alpha) ? null : st.alpha,
    });
  }
  return out;
}

/** Reference r grid of the truth G(r) and the Q range of its transform (the reference defaults). */
export const TRUTH_R = { rmin: 0.5, rmax: 20, rstep: 0.01, qmin: 0.1, qmax: 8.1 } as const;

export interface TruthCurves {
  q: Float64Array;
  /** Noiseless radial profiles in counts per pixel, [k, nq]. */
  iq: Float32Array;
  /** Faber–Ziman S(Q) of the glass at the position (NaN for Ni), [k, nq]. */
  sq: Float32Array;
  r: Float64Array;
  /** G(r) = (2/π) ∫_{0.1}^{8.1} Q (S − 1) sin(Qr) dQ, [k, nr]. */
  gr: Float32Array;
}

export function truthCurves(r: Renderer, positions: TruthPosition[]): TruthCurves {
  const nq = r.nProfile;
  const nr = Math.round((TRUTH_R.rmax - TRUTH_R.rmin) / TRUTH_R.rstep) + 1;
  const rr = new Float64Array(nr);
  for (let j = 0; j < nr; j++) rr[j] = TRUTH_R.rmin + j * TRUTH_R.rstep;
  const iq = new Float32Array(positions.length * nq);
  const sq = new Float32Array(positions.length * nq).fill(Number.NaN);
  const gr = new Float32Array(positions.length * nr).fill(Number.NaN);
  positions.forEach((pos, k) => {
    iq.set(r.profileOf(pos.iy, pos.ix), k * nq);
    if (pos.region === REGION.ni || pos.alpha === null) return;
    const s = r.glass.structureFactor({ c: pos.zrFraction, alpha: pos.alpha });
    sq.set(s, k * nq);
    gr.set(sineTransform(r.q, s, rr, TRUTH_R.qmin, TRUTH_R.qmax), k * nr);
  });
  return { q: r.q, iq, sq, r: rr, gr };
}
