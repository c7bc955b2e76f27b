/**
 * Nelder–Mead simplex minimisation (standard coefficients 1, 2, ½, ½): derivative-free, for the
 * few-parameter, piecewise-smooth objectives of image registration (bilinear sampling has kinks at
 * every pixel, which gradient methods stumble on). Stops when the simplex's spread in f falls below
 * `fTol` and its extent below `xTol`, or after `maxEval` evaluations.
 */
export interface NelderMeadResult {
  x: number[];
  f: number;
  evaluations: number;
  converged: boolean;
}

export function nelderMead(
  fn: (x: number[]) => number,
  x0: number[],
  steps: number[],
  opts: { fTol?: number; xTol?: number; maxEval?: number } = {},
): NelderMeadResult {
  const n = x0.length;
  const fTol = opts.fTol ?? 1e-7;
  const xTol = opts.xTol ?? 1e-4;
  const maxEval = opts.maxEval ?? 200 * n;
  let evals = 0;
  const f = (x: number[]) => {
    evals++;
    const v = fn(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  let simplex = [x0.slice(), ...steps.map((s, i) => x0.map((v, j) => (j === i ? v + s : v)))];
  let values = simplex.map(f);
  const extent = () =>
    Math.max(
      ...simplex
        .slice(1)
        .map((p) => Math.max(...p.map((v, j) => Math.abs(v - simplex[0][j]) / (Math.abs(steps[j]) || 1)))),
    );
  while (evals < maxEval) {
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
    simplex = order.map(([, i]) => simplex[i]);
    values = order.map(([v]) => v);
    if (Math.abs(values[n] - values[0]) <= fTol && extent() <= xTol)
      return { x: simplex[0], f: values[0], evaluations: evals, converged: true };
    const centroid = new Array(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n][j] - c));
    const xr = along(-1);
    const fr = f(xr);
    if (fr < values[0]) {
      const xe = along(-2);
      const fe = f(xe);
      [simplex[n], values[n]] = fe < fr ? [xe, fe] : [xr, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [xr, fr];
    } else {
      const xc = fr < values[n] ? along(-0.5) : along(0.5);
      const fc = f(xc);
      if (fc < Math.min(fr, values[n])) [simplex[n], values[n]] = [xc, fc];
      else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = simplex[i].map((v, j) => simplex[0][j] + 0.5 * (v - simplex[0][j]));
          values[i] = f(simplex[i]);
        }
      }
    }
  }
  const best = values.indexOf(Math.min(...values));
  return { x: simplex[best], f: values[best], evaluations: evals, converged: false };
}
