/**
 * Chemical short-range order from pair fractions of a quasi-binary Zr / X glass (SCIENCE.md).
 * Fractions are normalised to sum 1 first, so percentages work as well.
 *   P_max = P_ZrX + 2·min(P_XX, P_ZrZr)  (the most Zr–X pairs reachable by swapping atoms; the source
 *           paper prints a minus sign, a typo that would make P_max negative)
 *   P_random = P_max / 2,  α = P_ZrX / P_random − 1   (> 0 ordering, < 0 clustering, 0 random)
 *   Warren–Cowley: c_Zr = P_ZrZr + P_ZrX/2,  α_WC = 1 − P_ZrX / (2·c_Zr·(1 − c_Zr))
 */
export function sroAlpha(zrzr: number, zrx: number, xx: number): number {
  const s = zrzr + zrx + xx;
  if (!(s > 0)) return NaN;
  const pZrX = zrx / s;
  const pMax = pZrX + (2 * Math.min(xx, zrzr)) / s;
  const pRandom = pMax / 2;
  return pRandom > 0 ? pZrX / pRandom - 1 : NaN;
}

export function warrenCowleyAlpha(zrzr: number, zrx: number, xx: number): number {
  const s = zrzr + zrx + xx;
  if (!(s > 0)) return NaN;
  const c = (zrzr + zrx / 2) / s;
  const d = 2 * c * (1 - c);
  return d > 0 ? 1 - zrx / s / d : NaN;
}
