/**
 * model.partials reads extended XYZ (orthorhombic and triclinic Lattice), plain XYZ with `cell`
 * and LAMMPS dumps (orthogonal and triclinic boxes, typeMap, scaled coordinates); bad files give one
 * message naming node, param, file and line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetContext } from '../../engine/types.ts';
import { modelPartialsOp } from '../../nodes/model/partials-op.ts';
import { parseStructure, toExtendedXyz } from '../../nodes/model/structure-file.ts';
import { fcc, fccPrimitive, lammpsDump } from './models.ts';

const A = 3.524;
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-model-files-'));
});

const base = {
  format: 'auto',
  cell: null,
  typeMap: null,
  element: 'Ni',
  pairs: ['NiNi'],
  normalize: 'pairFraction',
  shellCut: null,
  rcut: 'auto',
  qmin: 0.1,
  qmax: 8.1,
  window: 'none',
  qResolution: 0,
  formFactors: 'lobato',
  rmin: 1,
  rmax: 5,
  rstep: 0.01,
};
function run(text: string, over: object = {}, name = 'model.xyz') {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  const ctx = {
    node: 'model',
    params: { ...base, file, ...over },
    inputs: {},
    scan: { ny: 1, nx: 1 },
    dataset: null,
    log: () => {},
    workers: 1,
  } as unknown as DatasetContext<never>;
  return modelPartialsOp.run!(ctx) as Awaited<ReturnType<NonNullable<typeof modelPartialsOp.run>>>;
}
const meta = (v: { meta?: Record<string, unknown> }) => v.meta as Record<string, any>;

describe('structure files', () => {
  it('extended XYZ, orthorhombic and triclinic (60° primitive cells), LAMMPS dumps orthogonal and triclinic: the same FCC shells', async () => {
    const cubic = fcc(A, 4, () => 'Ni');
    const tri = fccPrimitive(A, 8);
    const results = [
      await run(toExtendedXyz(cubic)),
      await run(toExtendedXyz(tri), {}, 'tri.extxyz'),
      await run(lammpsDump(cubic, ['Ni']), { typeMap: ['Ni'] }, 'cubic.dump'),
      await run(lammpsDump(tri, ['Ni']), { typeMap: { 1: 'Ni' } }, 'tri.dump'),
    ];
    for (const v of results) {
      expect(meta(v).meanCoordination).toBeCloseTo(12, 9);
      expect(meta(v).numberDensity).toBeCloseTo(4 / A ** 3, 6);
      expect(meta(v).composition).toEqual({ Ni: 1 });
    }
    expect(meta(results[1]).atoms).toBe(512);
    const g0 = results[0].fields.NiNi.data;
    // the same crystal, up to the different rcut (half of each cell's width) the taper sits at
    const j = 149; // r = 2.49 Å
    for (const v of results.slice(1)) expect(v.fields.NiNi.data[j] / g0[j]).toBeCloseTo(1, 1);
    expect(results[2].fields.NiNi.data[j]).toBeCloseTo(g0[j], 4);
  });

  it('plain XYZ takes the cell from `cell` (3 lengths or 9 numbers); Properties moves the columns; LAMMPS scaled xs ys zs and element columns', () => {
    const s = fcc(A, 2, () => 'Ni');
    const plain = [
      `${s.species.length}`,
      'no lattice here',
      ...Array.from(
        s.species,
        (_, i) => `Ni ${s.positions[3 * i]} ${s.positions[3 * i + 1]} ${s.positions[3 * i + 2]}`,
      ),
    ].join('\n');
    const opts = { format: 'auto' as const, typeMap: null };
    expect(parseStructure(plain, { ...opts, cell: [2 * A, 2 * A, 2 * A] }).cell).toEqual([
      2 * A,
      0,
      0,
      0,
      2 * A,
      0,
      0,
      0,
      2 * A,
    ]);
    expect(parseStructure(plain, { ...opts, cell: [2 * A, 0, 0, 0, 2 * A, 0, 0, 0, 2 * A] }).cellSource).toBe(
      'param',
    );
    const props = `2\nLattice="5 0 0 0 5 0 0 0 5" Properties=id:I:1:pos:R:3:species:S:1 energy=-3.2\n1 0 0 0 cu\n2 1.5 1.5 0 ZR\n`;
    const p = parseStructure(props, { ...opts, cell: null });
    expect(p.elements).toEqual(['Cu', 'Zr']);
    expect(Array.from(p.positions)).toEqual([0, 0, 0, 1.5, 1.5, 0]);
    const dump =
      'ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n2\nITEM: BOX BOUNDS pp pp pp\n-1 3\n0 4\n0 4\nITEM: ATOMS id element xs ys zs\n1 Zr 0.5 0.5 0.5\n2 Cu 0 0.25 1\n';
    const d = parseStructure(dump, { ...opts, cell: null });
    expect(d.elements).toEqual(['Zr', 'Cu']);
    expect(Array.from(d.positions)).toEqual([1, 2, 2, -1, 1, 4]);
    expect(d.origin).toEqual([-1, 0, 0]);
  });

  it('bad input: one message naming node, param, file and line', async () => {
    const good = toExtendedXyz(fcc(A, 4, () => 'Ni'));
    const lines = good.split('\n');
    const msg = async (text: string, over: object = {}, name = 'bad.xyz') => {
      try {
        await run(text, over, name);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    const file = (name: string) => path.join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(await msg(['300', ...lines.slice(1)].join('\n'))).toMatch(
      new RegExp(
        `^node 'model', param 'file': ${file('bad.xyz')}: line 259: the header promises 300 atoms, found only 256`,
      ),
    );
    expect(await msg(['100', ...lines.slice(1)].join('\n'))).toMatch(
      /line 103: the header promises 100 atoms, but more atom lines follow/,
    );
    expect(await msg([...lines.slice(0, 5), 'Ni 1.0 two 3.0', ...lines.slice(6)].join('\n'))).toMatch(
      /param 'file': .*bad\.xyz: line 6: cannot read the position in "Ni 1\.0 two 3\.0"/,
    );
    expect(await msg([...lines.slice(0, 5), 'Qq 1 2 3', ...lines.slice(6)].join('\n'))).toMatch(
      /line 6: unknown element 'Qq'/,
    );
    expect(await msg(['256', 'a comment', ...lines.slice(2)].join('\n'))).toMatch(
      /line 2: no Lattice=.*and no param 'cell'/,
    );
    expect(await msg('hello\n')).toMatch(/line 1: expected the number of atoms, found "hello"/);
    // a cell too small for rmax under the minimum image: say so, and what to do
    expect(await msg(good, { rmax: 8 })).toMatch(
      /param 'rmax': .*bad\.xyz: the cell is too small for rmax 8 Å under the minimum image: half its smallest perpendicular width is 7\.05 Å.*larger \(replicated\) model, lower rmax, or set rcut/,
    );
    // LAMMPS: types without a typeMap, a type missing from it
    const dump = lammpsDump(
      fcc(A, 4, (i) => (i % 2 ? 'Zr' : 'Cu')),
      ['Cu', 'Zr'],
    );
    expect(await msg(dump, {}, 'bad.dump')).toMatch(
      /bad\.dump: line 10: atoms are given by type \(1\): set param 'typeMap'/,
    );
    expect(await msg(dump, { typeMap: { 1: 'Cu' } }, 'bad.dump')).toMatch(
      /line 11: atom type 2 is not in param 'typeMap'/,
    );
    // pair names that do not fit the model
    expect(await msg(dump, { typeMap: ['Cu', 'Zr'], pairs: null, element: 'Fe' }, 'bad.dump')).toMatch(
      /param 'pairs': .*the model holds no Fe \(its elements: Cu, Zr\)/,
    );
    expect(await msg(dump, { typeMap: ['Cu', 'Zr'], pairs: ['ZrZr', 'ZrX'] }, 'bad.dump')).toMatch(
      /no pair name covers Cu–Cu pairs \(XX\)/,
    );
    expect(await msg(good, { pairs: ['NiNi', 'NiX'] })).toMatch(
      /'NiX' matches no pair of the model's elements \(Ni; every element is named, so there is no X\)/,
    );
  });
});
