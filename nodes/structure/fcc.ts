/**
 * Neighbour shells of a face-centred cubic lattice, in units of the lattice parameter a.
 *
 * FCC lattice points are (a/2)(h, k, l) with h + k + l even, so a shell sits at r = a·√N / 2 with
 * N = h² + k² + l² (always even) and holds as many points as there are such (h, k, l): 12, 6, 24,
 * 12, 24, 8, 48, … at a/√2, a, a√(3/2), a√2, a√(5/2), a√3, a√(7/2), … Enumerated once; a fit only
 * rescales the distances.
 */
export interface Shells {
  /** Shell distance / a, ascending. */
  d: Float64Array;
  /** Neighbours in the shell (coordination per atom). */
  m: Float64Array;
}

/** Every FCC shell with distance ≤ dMax·a. */
export function fccShells(dMax: number): Shells {
  const nMax = Math.floor(4 * dMax * dMax + 1e-9); // N = (2r/a)²
  const lim = Math.floor(Math.sqrt(nMax));
  const count = new Float64Array(nMax + 1);
  for (let h = -lim; h <= lim; h++)
    for (let k = -lim; k <= lim; k++)
      for (let l = -lim; l <= lim; l++) {
        if ((h + k + l) & 1) continue;
        const n = h * h + k * k + l * l;
        if (n > 0 && n <= nMax) count[n]++;
      }
  const d: number[] = [];
  const m: number[] = [];
  for (let n = 1; n <= nMax; n++) {
    if (!count[n]) continue;
    d.push(Math.sqrt(n) / 2);
    m.push(count[n]);
  }
  return { d: Float64Array.from(d), m: Float64Array.from(m) };
}

/** Atoms per Å³ of an FCC crystal with lattice parameter a (4 atoms per cubic cell). */
export function fccDensity(a: number): number {
  return 4 / (a * a * a);
}
