/**
 * Calibrant d-spacings (Å) for ring overlays and setting the Q scale from a known ring, as
 * pyFAI-calib2 does. Cubic lattices: d = a / √(h² + k² + l²) for the allowed reflections.
 */
export interface Calibrant {
  name: string;
  /** Lattice constant a (Å) and the allowed (h k l) of the first rings. */
  a: number;
  hkl: [number, number, number][];
}

const FCC: [number, number, number][] = [
  [1, 1, 1],
  [2, 0, 0],
  [2, 2, 0],
  [3, 1, 1],
  [2, 2, 2],
  [4, 0, 0],
  [3, 3, 1],
  [4, 2, 0],
  [4, 2, 2],
];
const DIAMOND: [number, number, number][] = [
  [1, 1, 1],
  [2, 2, 0],
  [3, 1, 1],
  [4, 0, 0],
  [3, 3, 1],
  [4, 2, 2],
  [5, 1, 1],
];

export const CALIBRANTS: Calibrant[] = [
  { name: 'Au (fcc, a 4.0782 Å)', a: 4.0782, hkl: FCC },
  { name: 'Al (fcc, a 4.0495 Å)', a: 4.0495, hkl: FCC },
  { name: 'Ni (fcc, a 3.524 Å)', a: 3.524, hkl: FCC },
  { name: 'Si (diamond, a 5.4309 Å)', a: 5.4309, hkl: DIAMOND },
];

export interface Ring {
  label: string;
  d: number;
  /** Q = 2π/d in Å⁻¹. */
  q: number;
}

export function calibrantRings(c: Calibrant): Ring[] {
  return c.hkl.map(([h, k, l]) => {
    const d = c.a / Math.sqrt(h * h + k * k + l * l);
    return { label: `${h}${k}${l}`, d, q: (2 * Math.PI) / d };
  });
}

/** Q per pixel that puts a ring of spacing d (Å) at radius rPx: Q = 2π/d = rPx · qPerPixel. */
export const qPerPixelFromRing = (d: number, rPx: number) => (2 * Math.PI) / d / rPx;
