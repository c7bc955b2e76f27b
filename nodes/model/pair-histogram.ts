/**
 * Pair-distance histograms of a periodic model, per ordered element pair, out to rcut, by a cell
 * list: the cell is cut into nₐ × n_b × n_c parallelepipeds in fractional coordinates whose
 * perpendicular widths are ≥ rcut/2, and each atom looks at the ±m cells around its own (m = ⌈rcut/width⌉,
 * wrapped through the periodic boundary with the matching lattice translation). Every (cell, image)
 * combination is distinct, so each pair — and each periodic image of it within rcut — is counted
 * exactly once, whatever the cell's shape; rcut may exceed half the cell (images beyond the minimum
 * image, for crystals), though the op's default stays within it. Work O(N ρ rcut³).
 */
import { cellVolume, type AtomicStructure } from './structure-file.ts';

export interface PairHistogram {
  /** Element count k: counts has k·k rows (ordered pairs: row a·k + b counts b atoms around a atoms). */
  k: number;
  /** Bin width (Å); bin j covers [j·dr, (j + 1)·dr). */
  dr: number;
  nbins: number;
  /** Ordered pair counts [k·k, nbins] (symmetric in a, b). */
  counts: Float64Array;
  /** Atoms per element. */
  atoms: Float64Array;
  n: number;
  volume: number;
  rcut: number;
}

/** Perpendicular widths of the cell (distance between opposite faces), Å. */
export function perpendicularWidths(h: number[]): [number, number, number] {
  const v = Math.abs(cellVolume(h));
  const row = (i: number) => [h[3 * i], h[3 * i + 1], h[3 * i + 2]];
  const cross = (u: number[], w: number[]) => [
    u[1] * w[2] - u[2] * w[1],
    u[2] * w[0] - u[0] * w[2],
    u[0] * w[1] - u[1] * w[0],
  ];
  const norm = (u: number[]) => Math.hypot(u[0], u[1], u[2]);
  return [v / norm(cross(row(1), row(2))), v / norm(cross(row(2), row(0))), v / norm(cross(row(0), row(1)))];
}

/** Inverse of the row-vector cell matrix (s = x · H⁻¹). */
function inverse3(h: number[]): number[] {
  const d = cellVolume(h);
  const [a, b, c, e, f, g, i, j, k] = h;
  return [
    (f * k - g * j) / d,
    (c * j - b * k) / d,
    (b * g - c * f) / d,
    (g * i - e * k) / d,
    (a * k - c * i) / d,
    (c * e - a * g) / d,
    (e * j - f * i) / d,
    (b * i - a * j) / d,
    (a * f - b * e) / d,
  ];
}

export function pairHistogram(s: AtomicStructure, rcut: number, dr: number): PairHistogram {
  const n = s.species.length;
  const k = s.elements.length;
  const h = s.cell;
  const hi = inverse3(h);
  const widths = perpendicularWidths(h);
  // Cells at least rcut/2 wide: a sphere of rcut spans ±2 of them (±m when the cell is thinner).
  const nc = widths.map((w) => Math.max(1, Math.floor((2 * w) / rcut)));
  const reach = widths.map((w, a) => Math.ceil((rcut * nc[a]) / w - 1e-12));
  const ncell = nc[0] * nc[1] * nc[2];
  // wrapped fractional coordinates → cell index, then cartesian positions sorted by cell
  const cellOf = new Int32Array(n);
  const frac = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const x = s.positions[3 * i] - s.origin[0];
    const y = s.positions[3 * i + 1] - s.origin[1];
    const z = s.positions[3 * i + 2] - s.origin[2];
    let id = 0;
    for (let a = 0; a < 3; a++) {
      let f = x * hi[a] + y * hi[3 + a] + z * hi[6 + a];
      f -= Math.floor(f);
      if (f >= 1) f = 0;
      frac[3 * i + a] = f;
      id = id * nc[a] + Math.min(nc[a] - 1, Math.floor(f * nc[a]));
    }
    cellOf[i] = id;
  }
  const start = new Int32Array(ncell + 1);
  for (let i = 0; i < n; i++) start[cellOf[i] + 1]++;
  for (let c = 0; c < ncell; c++) start[c + 1] += start[c];
  const fill = start.slice(0, ncell);
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  const pz = new Float64Array(n);
  const sp = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = fill[cellOf[i]]++;
    const [f0, f1, f2] = [frac[3 * i], frac[3 * i + 1], frac[3 * i + 2]];
    px[t] = f0 * h[0] + f1 * h[3] + f2 * h[6];
    py[t] = f0 * h[1] + f1 * h[4] + f2 * h[7];
    pz[t] = f0 * h[2] + f1 * h[5] + f2 * h[8];
    sp[t] = s.species[i];
  }
  const nbins = Math.ceil(rcut / dr);
  const counts = new Float64Array(k * k * nbins);
  const rc2 = rcut * rcut;
  const inv = 1 / dr;
  for (let c0 = 0; c0 < nc[0]; c0++)
    for (let c1 = 0; c1 < nc[1]; c1++)
      for (let c2 = 0; c2 < nc[2]; c2++) {
        const home = (c0 * nc[1] + c1) * nc[2] + c2;
        for (let d0 = -reach[0]; d0 <= reach[0]; d0++)
          for (let d1 = -reach[1]; d1 <= reach[1]; d1++)
            for (let d2 = -reach[2]; d2 <= reach[2]; d2++) {
              const e0 = c0 + d0,
                e1 = c1 + d1,
                e2 = c2 + d2;
              const s0 = Math.floor(e0 / nc[0]),
                s1 = Math.floor(e1 / nc[1]),
                s2 = Math.floor(e2 / nc[2]);
              const other = ((e0 - s0 * nc[0]) * nc[1] + (e1 - s1 * nc[1])) * nc[2] + (e2 - s2 * nc[2]);
              // each unordered (cell, image) pairing once: the other cell's index (then the shift) is not below
              const self = other === home && s0 === 0 && s1 === 0 && s2 === 0;
              if (other < home) continue;
              if (other === home && !self && (s0 < 0 || (s0 === 0 && (s1 < 0 || (s1 === 0 && s2 < 0)))))
                continue;
              const tx = s0 * h[0] + s1 * h[3] + s2 * h[6];
              const ty = s0 * h[1] + s1 * h[4] + s2 * h[7];
              const tz = s0 * h[2] + s1 * h[5] + s2 * h[8];
              const b0 = start[other],
                b1 = start[other + 1];
              for (let i = start[home]; i < start[home + 1]; i++) {
                const xi = px[i] - tx,
                  yi = py[i] - ty,
                  zi = pz[i] - tz;
                const row = sp[i] * k;
                const col = sp[i];
                for (let j = self ? i + 1 : b0; j < b1; j++) {
                  const dx = px[j] - xi,
                    dy = py[j] - yi,
                    dz = pz[j] - zi;
                  const d2 = dx * dx + dy * dy + dz * dz;
                  if (d2 >= rc2 || d2 === 0) continue;
                  const bin = (Math.sqrt(d2) * inv) | 0;
                  counts[(row + sp[j]) * nbins + bin]++;
                  counts[(sp[j] * k + col) * nbins + bin]++;
                }
              }
            }
      }
  const atoms = new Float64Array(k);
  for (let i = 0; i < n; i++) atoms[s.species[i]]++;
  return { k, dr, nbins, counts, atoms, n, volume: Math.abs(cellVolume(h)), rcut };
}
