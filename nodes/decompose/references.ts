/**
 * Reference partial-PDF-like curves for naming NMF components when no structure model is given: for
 * each pair type, the shells of a close-packed (FCC) arrangement with first-neighbour distance d —
 * d, d√2, d√3, 2d with 12, 6, 24, 12 neighbours — as Gaussians whose width grows with r, in the
 * convention of G(r) = 4πrρ₀(g − 1): a shell of N neighbours at distance d adds N·δ(r − d)/r, so each
 * Gaussian is divided by r. Per neighbour (unit coordination), without form-factor weight: the
 * amount of a pair type in a G(r) is then its coordination × f_a f_b / ⟨f⟩² (see unmix.ts).
 */
export const DEFAULT_FIRST_SHELL: Record<string, number> = { ZrZr: 3.2, ZrX: 2.85, XX: 2.5 };

export function shellCurve(d: number, r: ArrayLike<number>, sigma0 = 0.1): Float64Array {
  const shells: [number, number][] = [
    [1, 12],
    [Math.SQRT2, 6],
    [Math.sqrt(3), 24],
    [2, 12],
  ];
  const out = new Float64Array(r.length);
  const z = shells[0][1];
  for (const [f, nc0] of shells) {
    const nc = nc0 / z; // per first-shell neighbour
    const c = d * f;
    const s = sigma0 * Math.sqrt(f);
    for (let i = 0; i < r.length; i++) {
      const x = r[i];
      if (x <= 0) continue;
      out[i] += ((nc / (s * Math.sqrt(2 * Math.PI))) * Math.exp(-((x - c) ** 2) / (2 * s * s))) / x;
    }
  }
  return out;
}

/** Best assignment of rows (components) to columns (references) maximising Σ score; brute force for ≤ 8. */
export function bestAssignment(score: number[][]): number[] {
  const nr = score.length;
  const nc = score[0]?.length ?? 0;
  let best: number[] = [];
  let bestSum = -Infinity;
  const used = new Array(nc).fill(false);
  const cur: number[] = [];
  const rec = (i: number, sum: number) => {
    if (i === nr) {
      if (sum > bestSum) {
        bestSum = sum;
        best = cur.slice();
      }
      return;
    }
    for (let j = 0; j < nc; j++) {
      if (used[j]) continue;
      used[j] = true;
      cur.push(j);
      rec(i + 1, sum + score[i][j]);
      cur.pop();
      used[j] = false;
    }
    if (nr > nc) {
      // more components than references: a component may stay unassigned
      cur.push(-1);
      rec(i + 1, sum);
      cur.pop();
    }
  };
  rec(0, 0);
  return best;
}

/**
 * The curve as a G(r) measured over the transform band [qmin, qmax] shows it: F(Q) = ∫ G(r) sin(Qr) dr,
 * then G_band(x) = (2/π) ∫_{qmin}^{qmax} F(Q) sin(Qx) dQ (termination broadening and ripples, as in
 * pdf.reduce's G(r)). A least-squares amount is only the amount of a partial when the reference has
 * the data's resolution: a narrow reference fitted to a broadened peak measures its height, not its area.
 * `g` is sampled on the uniform grid `rFine` (from near 0 to well past the last shell).
 */
export function bandLimit(
  rFine: Float64Array,
  g: ArrayLike<number>,
  x: ArrayLike<number>,
  qmin: number,
  qmax: number,
  dq = 0.01,
): Float64Array {
  const nq = Math.max(2, Math.round((qmax - qmin) / dq) + 1);
  const step = (qmax - qmin) / (nq - 1);
  const dr = rFine[1] - rFine[0];
  const F = new Float64Array(nq);
  for (let i = 0; i < nq; i++) {
    const q = qmin + i * step;
    let s = 0;
    for (let j = 0; j < rFine.length; j++) if (g[j] !== 0) s += g[j] * Math.sin(q * rFine[j]);
    F[i] = s * dr * (i === 0 || i === nq - 1 ? 0.5 : 1);
  }
  const out = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) {
    let s = 0;
    for (let i = 0; i < nq; i++) s += F[i] * Math.sin((qmin + i * step) * x[k]);
    out[k] = (2 / Math.PI) * s * step;
  }
  return out;
}

/** shellCurve(d) as it appears in a G(r) transformed over [qmin, qmax]. */
export function bandLimitedShellCurve(
  d: number,
  x: ArrayLike<number>,
  qmin: number,
  qmax: number,
): Float64Array {
  const dr = 0.005;
  const rFine = Float64Array.from({ length: Math.ceil((2 * d + 1.5) / dr) }, (_, j) => (j + 1) * dr);
  return bandLimit(rFine, shellCurve(d, rFine), x, qmin, qmax);
}
