/**
 * Pearson's correlation coefficient r: the one implementation behind the ops (map.pearson,
 * map.correlate, Spearman's ρ, the NMF assignment), the simulator's accuracy scores and `snem diff`.
 *
 * Behaviour: r over the pairs (a[i], b[i]), i < n, where both values are finite and, when a mask is
 * given, mask[i] is set (non-zero); NaN when fewer than 3 such pairs remain or when either side is
 * constant over them. Two passes (the means, then centred sums): the one-pass Σab − ΣaΣb/n form
 * loses digits to cancellation for large, nearly equal maps.
 */
export function pearson(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  mask?: ArrayLike<boolean | number> | null,
  n = a.length,
): number {
  const use = (i: number) => (!mask || !!mask[i]) && Number.isFinite(a[i]) && Number.isFinite(b[i]);
  let count = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    if (!use(i)) continue;
    count++;
    sa += a[i];
    sb += b[i];
  }
  if (count < 3) return NaN;
  const ma = sa / count;
  const mb = sb / count;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    if (!use(i)) continue;
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}
