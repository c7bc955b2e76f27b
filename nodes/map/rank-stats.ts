/**
 * Correlation of two paired samples: Pearson r (linear) and Spearman ρ (Pearson r of the ranks,
 * ties given their mean rank), which only asks that one rise with the other — e.g. an EELS Zr
 * at.% against a QoI that follows composition non-linearly.
 */
import { pearson } from './pearson-core.ts';

/** Ranks 1 … n, tied values sharing their mean rank. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && v[order[j + 1]] === v[order[i]]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]] = mean;
    i = j + 1;
  }
  return out;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/** The pairs where both values are finite (and `keep`, if given, is nonzero). */
export function finitePairs(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  keep: ArrayLike<number> | null,
): { a: Float64Array; b: Float64Array; index: Int32Array } {
  const idx: number[] = [];
  for (let i = 0; i < a.length; i++)
    if ((!keep || keep[i]) && Number.isFinite(a[i]) && Number.isFinite(b[i])) idx.push(i);
  return {
    a: Float64Array.from(idx, (i) => a[i]),
    b: Float64Array.from(idx, (i) => b[i]),
    index: Int32Array.from(idx),
  };
}
