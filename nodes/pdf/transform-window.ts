/**
 * The factor on F(Q) before the sine transform, shared by pdf.reduce and pdf.transform so both
 * give the same G(r): W(Q) = 1 or Lorch sin(πQ/qmax)/(πQ/qmax), times the damping e^(−b s²),
 * s = Q/2π (b = 0: none).
 */
export function transformWindow(
  q: ArrayLike<number>,
  window: 'none' | 'lorch',
  qmax: number,
  damping: number,
): Float64Array {
  const n = q.length;
  const w = new Float64Array(n).fill(1);
  if (window === 'lorch') {
    for (let i = 0; i < n; i++) {
      const x = (Math.PI * q[i]) / qmax;
      w[i] = x === 0 ? 1 : Math.sin(x) / x;
    }
  }
  if (damping > 0) for (let i = 0; i < n; i++) w[i] *= Math.exp(-damping * (q[i] / (2 * Math.PI)) ** 2);
  return w;
}
