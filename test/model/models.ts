/** Atomic models built in code for the model.partials tests (no committed structure files). */
import type { AtomicStructure } from '../../nodes/model/structure-file.ts';

/** Small deterministic PRNG (the chain tests' mulberry32). */
export { rng as prng } from '../chain/synth.ts';
import { rng as prng } from '../chain/synth.ts';

const FCC_BASIS = [
  [0, 0, 0],
  [0.5, 0.5, 0],
  [0.5, 0, 0.5],
  [0, 0.5, 0.5],
];

/**
 * An FCC supercell of n³ conventional cells (lattice a); `pick(site, basisIndex)` names each atom's
 * element; `jitter` (Å) displaces atoms by a uniform random amount per coordinate.
 */
export function fcc(
  a: number,
  n: number,
  pick: (i: number, basis: number) => string,
  jitter = 0,
  seed = 1,
): AtomicStructure {
  const rand = prng(seed);
  const elements: string[] = [];
  const species: number[] = [];
  const positions: number[] = [];
  let i = 0;
  for (let x = 0; x < n; x++)
    for (let y = 0; y < n; y++)
      for (let z = 0; z < n; z++)
        FCC_BASIS.forEach((b, k) => {
          const el = pick(i++, k);
          if (!elements.includes(el)) elements.push(el);
          species.push(elements.indexOf(el));
          positions.push(...[x + b[0], y + b[1], z + b[2]].map((v) => v * a + jitter * (2 * rand() - 1)));
        });
  return {
    elements,
    species: Uint16Array.from(species),
    positions: Float64Array.from(positions),
    cell: [n * a, 0, 0, 0, n * a, 0, 0, 0, n * a],
    origin: [0, 0, 0],
    cellSource: 'file',
  };
}

/**
 * A disordered binary model by random sequential addition in a periodic cube: atoms (Zr with
 * probability c, else Cu) are placed at random where they keep the pair's contact distance from
 * every atom already placed (Zr–Zr 3.1, Zr–Cu 2.75, Cu–Cu 2.5 Å by default), so each partial g_ab
 * peaks at its own contact: three distinct shell shapes, as in a metallic glass.
 */
export function randomPacking(
  n: number,
  box: number,
  c: number,
  seed = 1,
  contact = { ZrZr: 3.1, ZrCu: 2.75, CuCu: 2.5 },
): AtomicStructure {
  const rand = prng(seed);
  const dmax = Math.max(contact.ZrZr, contact.ZrCu, contact.CuCu);
  const nc = Math.max(1, Math.floor(box / dmax));
  const grid: number[][] = Array.from({ length: nc ** 3 }, () => []);
  const pos: number[] = [];
  const sp: number[] = [];
  const cellOf = (x: number) => Math.min(nc - 1, Math.floor((x / box) * nc));
  let tries = 0;
  while (sp.length < n) {
    if (++tries > 200 * n) throw new Error(`random packing: could not place ${n} atoms in a ${box} Å cube`);
    const t = rand() < c ? 0 : 1;
    const p = [rand() * box, rand() * box, rand() * box];
    const [cx, cy, cz] = p.map(cellOf);
    let ok = true;
    for (let dx = -1; dx <= 1 && ok; dx++)
      for (let dy = -1; dy <= 1 && ok; dy++)
        for (let dz = -1; dz <= 1 && ok; dz++) {
          const id = (((cx + dx + nc) % nc) * nc + ((cy + dy + nc) % nc)) * nc + ((cz + dz + nc) % nc);
          for (const j of grid[id]) {
            let d2 = 0;
            for (let a = 0; a < 3; a++) {
              let d = pos[3 * j + a] - p[a];
              d -= box * Math.round(d / box);
              d2 += d * d;
            }
            const need = t + sp[j] === 0 ? contact.ZrZr : t + sp[j] === 1 ? contact.ZrCu : contact.CuCu;
            if (d2 < need * need) {
              ok = false;
              break;
            }
          }
        }
    if (!ok) continue;
    grid[(cx * nc + cy) * nc + cz].push(sp.length);
    sp.push(t);
    pos.push(...p);
  }
  return {
    elements: ['Zr', 'Cu'],
    species: Uint16Array.from(sp),
    positions: Float64Array.from(pos),
    cell: [box, 0, 0, 0, box, 0, 0, 0, box],
    origin: [0, 0, 0],
    cellSource: 'file',
  };
}

/**
 * FCC as its primitive (triclinic, 60°) cell repeated n³ times: a1 = L(1, 0, 0), a2 = L(½, √3/2, 0),
 * a3 = L(½, √3/6, √(2/3)), L = a/√2 — the LAMMPS orientation (a along x, b in the xy plane).
 */
export function fccPrimitive(a: number, n: number, element = 'Ni'): AtomicStructure {
  const L = a / Math.SQRT2;
  const v = [
    [L, 0, 0],
    [L / 2, (L * Math.sqrt(3)) / 2, 0],
    [L / 2, (L * Math.sqrt(3)) / 6, L * Math.sqrt(2 / 3)],
  ];
  const positions: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (let k = 0; k < n; k++)
        for (let d = 0; d < 3; d++) positions.push(i * v[0][d] + j * v[1][d] + k * v[2][d]);
  return {
    elements: [element],
    species: new Uint16Array(n ** 3),
    positions: Float64Array.from(positions),
    cell: v.flatMap((row) => row.map((x) => n * x)),
    origin: [0, 0, 0],
    cellSource: 'file',
  };
}

/** A LAMMPS dump (triclinic BOX BOUNDS with tilt factors, or orthogonal) of a structure whose cell is in LAMMPS orientation. */
export function lammpsDump(s: AtomicStructure, types: string[]): string {
  const [ax, , , bx, by, , cx, cy, cz] = s.cell;
  const [xy, xz, yz] = [bx, cx, cy];
  const tri = xy !== 0 || xz !== 0 || yz !== 0;
  const xlo = 0,
    ylo = 0,
    zlo = 0;
  const lines = ['ITEM: TIMESTEP', '0', 'ITEM: NUMBER OF ATOMS', `${s.species.length}`];
  if (tri) {
    lines.push('ITEM: BOX BOUNDS xy xz yz pp pp pp');
    lines.push(`${xlo + Math.min(0, xy, xz, xy + xz)} ${xlo + ax + Math.max(0, xy, xz, xy + xz)} ${xy}`);
    lines.push(`${ylo + Math.min(0, yz)} ${ylo + by + Math.max(0, yz)} ${xz}`);
    lines.push(`${zlo} ${zlo + cz} ${yz}`);
  } else lines.push('ITEM: BOX BOUNDS pp pp pp', `0 ${ax}`, `0 ${by}`, `0 ${cz}`);
  lines.push('ITEM: ATOMS id type x y z');
  for (let i = 0; i < s.species.length; i++)
    lines.push(
      `${i + 1} ${types.indexOf(s.elements[s.species[i]]) + 1} ${s.positions[3 * i]} ${s.positions[3 * i + 1]} ${s.positions[3 * i + 2]}`,
    );
  return `${lines.join('\n')}\n`;
}
