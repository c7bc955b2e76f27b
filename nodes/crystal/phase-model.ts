/**
 * A crystalline phase: unit cell, atoms of the basis (fractional coordinates, isotropic B) and its
 * Laue class; built-in lattices (FCC, BCC, HCP, diamond) or read from a CIF. Reciprocal vectors
 * are in g = 1/d units (Å⁻¹); Q = 2π g. Structure factors use the Lobato electron form factors.
 */
import { UserError } from '../../engine/errors.ts';
import type { Json } from '../../engine/types.ts';
import { atomicNumber, lobatoFg } from '../pdf/formfactors.ts';
import type { LaueClass, Vec3 } from './symmetry.ts';

export interface Atom {
  element: string;
  /** Fractional coordinates. */
  xyz: Vec3;
  occupancy: number;
}

export interface Phase {
  name: string;
  /** a, b, c (Å), α, β, γ (degrees). */
  cell: [number, number, number, number, number, number];
  atoms: Atom[];
  laue: LaueClass;
  /** Isotropic Debye–Waller B (Å²) applied to every atom. */
  bIso: number;
}

export const BUILTIN_LATTICES = ['fcc', 'bcc', 'hcp', 'diamond'] as const;
export type BuiltinLattice = (typeof BUILTIN_LATTICES)[number];

const BASIS: Record<BuiltinLattice, Vec3[]> = {
  fcc: [
    [0, 0, 0],
    [0, 0.5, 0.5],
    [0.5, 0, 0.5],
    [0.5, 0.5, 0],
  ],
  bcc: [
    [0, 0, 0],
    [0.5, 0.5, 0.5],
  ],
  hcp: [
    [1 / 3, 2 / 3, 0.25],
    [2 / 3, 1 / 3, 0.75],
  ],
  diamond: [
    [0, 0, 0],
    [0, 0.5, 0.5],
    [0.5, 0, 0.5],
    [0.5, 0.5, 0],
    [0.25, 0.25, 0.25],
    [0.25, 0.75, 0.75],
    [0.75, 0.25, 0.75],
    [0.75, 0.75, 0.25],
  ],
};

/**
 * A built-in phase. `elements`: one symbol for all sites, or one per site of the basis
 * (e.g. diamond ["Ga", "As"] alternates over the two FCC sublattices: zinc blende).
 */
export function builtinPhase(
  lattice: BuiltinLattice,
  a: number,
  c: number | null,
  elements: string[],
  bIso: number,
  name?: string,
): Phase {
  const basis = BASIS[lattice];
  const hex = lattice === 'hcp';
  const cc = hex ? (c ?? a * Math.sqrt(8 / 3)) : a;
  const atoms = basis.map((xyz, i) => {
    const el =
      elements.length === 1
        ? elements[0]
        : lattice === 'diamond'
          ? elements[i < 4 ? 0 : 1]
          : elements[i % elements.length];
    return { element: el, xyz, occupancy: 1 };
  });
  return {
    name:
      name ?? `${elements.join('')} (${lattice}, a = ${a} Å${hex ? `, c = ${Number(cc.toFixed(4))} Å` : ''})`,
    cell: [a, a, cc, 90, 90, hex ? 120 : 90],
    atoms,
    laue: hex ? '6/mmm' : 'm-3m',
    bIso,
  };
}

/** Direct basis vectors (rows: a, b, c) in the crystal Cartesian frame: a ∥ x, b in the xy plane. */
export function directBasis(cell: Phase['cell']): Float64Array {
  const [a, b, c, al, be, ga] = cell;
  const rad = Math.PI / 180;
  const [ca, cb, cg, sg] = [Math.cos(al * rad), Math.cos(be * rad), Math.cos(ga * rad), Math.sin(ga * rad)];
  const cx = c * cb;
  const cy = (c * (ca - cb * cg)) / sg;
  const cz = Math.sqrt(Math.max(0, c * c - cx * cx - cy * cy));
  return Float64Array.of(a, 0, 0, b * cg, b * sg, 0, cx, cy, cz);
}

/** Reciprocal basis (rows a*, b*, c*) in g = 1/d units: a·a* = 1. */
export function reciprocalBasis(cell: Phase['cell']): Float64Array {
  const d = directBasis(cell);
  const [a, b, c] = [d.subarray(0, 3), d.subarray(3, 6), d.subarray(6, 9)];
  const cross = (u: ArrayLike<number>, v: ArrayLike<number>) => [
    u[1] * v[2] - u[2] * v[1],
    u[2] * v[0] - u[0] * v[2],
    u[0] * v[1] - u[1] * v[0],
  ];
  const bc = cross(b, c);
  const vol = a[0] * bc[0] + a[1] * bc[1] + a[2] * bc[2];
  const ca = cross(c, a);
  const ab = cross(a, b);
  return Float64Array.of(...bc.map((x) => x / vol), ...ca.map((x) => x / vol), ...ab.map((x) => x / vol));
}

export interface Reflection {
  hkl: Vec3;
  /** Reciprocal vector in the crystal Cartesian frame, g = 1/d units (Å⁻¹). */
  g: Vec3;
  /** |g| (Å⁻¹, 1/d). */
  gLen: number;
  /** Kinematic |F|² (Å²) with the Debye–Waller factor. */
  intensity: number;
}

/**
 * Every reflection with 0 < |g| ≤ gMax (1/d units) whose kinematic |F|² is above 1e-6 of the
 * strongest (systematic absences drop out by themselves).
 */
export function reflections(phase: Phase, gMax: number): Reflection[] {
  const rb = reciprocalBasis(phase.cell);
  // Bound on each index: |h| ≤ gMax · |a| (a = direct vector length) is safe for any cell.
  const d = directBasis(phase.cell);
  const lim = [0, 1, 2].map((i) => Math.ceil(gMax * Math.hypot(d[i * 3], d[i * 3 + 1], d[i * 3 + 2])));
  const zs = phase.atoms.map((at) => atomicNumber(at.element));
  const out: Reflection[] = [];
  let strongest = 0;
  for (let h = -lim[0]; h <= lim[0]; h++)
    for (let k = -lim[1]; k <= lim[1]; k++)
      for (let l = -lim[2]; l <= lim[2]; l++) {
        if (h === 0 && k === 0 && l === 0) continue;
        const g: Vec3 = [0, 1, 2].map((j) => h * rb[j] + k * rb[3 + j] + l * rb[6 + j]) as Vec3;
        const gLen = Math.hypot(g[0], g[1], g[2]);
        if (gLen > gMax) continue;
        let re = 0;
        let im = 0;
        for (let a = 0; a < phase.atoms.length; a++) {
          const at = phase.atoms[a];
          const f = at.occupancy * lobatoFg(zs[a], gLen);
          const ph = 2 * Math.PI * (h * at.xyz[0] + k * at.xyz[1] + l * at.xyz[2]);
          re += f * Math.cos(ph);
          im += f * Math.sin(ph);
        }
        // DW: exp(−B s²) on F with s = g/2 (= sinθ/λ) → exp(−2 B s²) on |F|².
        const intensity = (re * re + im * im) * Math.exp(-0.5 * phase.bIso * gLen * gLen);
        if (intensity > strongest) strongest = intensity;
        out.push({ hkl: [h, k, l], g, gLen, intensity });
      }
  return out.filter((r) => r.intensity > 1e-6 * strongest);
}

/** The JSON form a crystal.phase node carries in its meta. */
export function phaseToJson(p: Phase): Json {
  return {
    name: p.name,
    cell: p.cell,
    laue: p.laue,
    bIso: p.bIso,
    atoms: p.atoms.map((a) => ({ element: a.element, xyz: a.xyz, occupancy: a.occupancy })),
  };
}

export function phaseFromJson(j: Json, where: string): Phase {
  const o = j as Record<string, Json>;
  if (!o || typeof o !== 'object' || !Array.isArray(o.cell) || !Array.isArray(o.atoms))
    throw new UserError(`${where}: expected a crystal.phase result`);
  return {
    name: String(o.name),
    cell: o.cell as Phase['cell'],
    laue: o.laue as LaueClass,
    bIso: Number(o.bIso),
    atoms: (o.atoms as Record<string, Json>[]).map((a) => ({
      element: String(a.element),
      xyz: a.xyz as Vec3,
      occupancy: Number(a.occupancy),
    })),
  };
}
