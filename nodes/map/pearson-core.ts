/** Pearson correlation of two equally long sequences (NaN when either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>, aOff = 0, bOff = 0, n = a.length): number {
  let sa = 0, sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[aOff + i];
    sb += b[bOff + i];
  }
  const ma = sa / n;
  const mb = sb / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[aOff + i] - ma;
    const db = b[bOff + i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}
