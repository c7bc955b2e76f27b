/**
 * crystal.phase: a crystalline phase for template matching — a built-in lattice (fcc, bcc, hcp,
 * diamond) with a lattice parameter and elements, or a CIF file. Ni in one line:
 * {"lattice": "fcc", "a": 3.524, "elements": ["Ni"]}.
 */
import fs from 'node:fs';
import { ParamError } from '../../engine/errors.ts';
import { resolveParamFile } from '../../engine/param-files.ts';
import { f64 } from '../../engine/ndarray.ts';
import { defineOp } from '../../engine/types.ts';
import { knownElement } from '../pdf/formfactors.ts';
import { parseCif } from './cif.ts';
import {
  BUILTIN_LATTICES,
  builtinPhase,
  phaseToJson,
  type BuiltinLattice,
  type Phase,
} from './phase-model.ts';
import { LAUE_CLASSES, type LaueClass } from './symmetry.ts';

export const crystalPhase = defineOp({
  name: 'crystal.phase',
  version: 1,
  scope: 'dataset',
  title: 'Crystalline phase (lattice + basis, or CIF)',
  description:
    'A phase for crystal.templates: built-in fcc / bcc / hcp / diamond with lattice parameter a (and c for hcp, default ideal c/a = √(8/3)) and elements, or a CIF `file` (cell, atom sites, symmetry operations, space-group number → Laue class). Structure factors use Lobato electron form factors and an isotropic Debye–Waller B. Result: field `cell` [a, b, c, α, β, γ] and the phase in meta.',
  inputs: {},
  params: {
    lattice: {
      type: 'string',
      optional: true,
      description: `built-in lattice: ${BUILTIN_LATTICES.join(' | ')} (or give file)`,
    },
    a: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å',
      description: 'lattice parameter a of a built-in lattice',
    },
    c: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å',
      description: 'hcp: lattice parameter c (default a·√(8/3))',
    },
    elements: {
      type: 'string[]',
      optional: true,
      description:
        'element symbols: one for every site, or one per site of the basis (diamond: two sublattices)',
    },
    file: {
      type: 'string',
      file: true,
      optional: true,
      description: 'a CIF file instead of a built-in lattice',
    },
    name: { type: 'string', optional: true, description: 'label of the phase in maps and reports' },
    bIso: {
      type: 'number',
      min: 0,
      default: 0.45,
      unit: 'Å²',
      description: 'isotropic Debye–Waller B of every atom (Ni at room temperature ≈ 0.4)',
    },
    laue: {
      type: 'string',
      optional: true,
      description: `override the Laue class (${LAUE_CLASSES.join(', ')}); default from the lattice or the CIF space group`,
    },
  },
  outputs: { fields: { cell: { dims: ['6'], description: '[a, b, c (Å), α, β, γ (°)]' } } },
  check(p, { node }) {
    if (p.file == null && p.lattice == null)
      throw new ParamError(
        node,
        'lattice',
        `give a built-in lattice (${BUILTIN_LATTICES.join(', ')}) with a and elements, or a CIF file`,
      );
    if (p.file != null && p.lattice != null)
      throw new ParamError(node, 'file', 'give either lattice or file, not both');
    if (p.lattice != null) {
      if (!(BUILTIN_LATTICES as readonly string[]).includes(p.lattice))
        throw new ParamError(
          node,
          'lattice',
          `unknown phase lattice '${p.lattice}' (expected one of ${BUILTIN_LATTICES.join(', ')}, or give a CIF file)`,
        );
      if (p.a == null)
        throw new ParamError(node, 'a', `lattice '${p.lattice}' needs the lattice parameter a (Å)`);
      if (!p.elements?.length) throw new ParamError(node, 'elements', 'give the element(s), e.g. ["Ni"]');
    }
    for (const el of p.elements ?? [])
      if (!knownElement(el)) throw new ParamError(node, 'elements', `unknown element '${el}'`);
    if (p.laue != null && !(LAUE_CLASSES as readonly string[]).includes(p.laue))
      throw new ParamError(
        node,
        'laue',
        `unknown Laue class '${p.laue}' (expected one of ${LAUE_CLASSES.join(', ')})`,
      );
  },
  run({ node, params: p, dataset }) {
    let phase: Phase;
    if (p.file != null) {
      const file = resolveParamFile(node, 'file', p.file, dataset?.path ?? null);
      try {
        phase = parseCif(fs.readFileSync(file, 'utf8'), file, p.bIso);
      } catch (e) {
        throw new ParamError(node, 'file', (e as Error).message);
      }
      if (!phase.atoms.length) throw new ParamError(node, 'file', `${file}: no atoms`);
      if (p.name) phase.name = p.name;
    } else {
      phase = builtinPhase(p.lattice as BuiltinLattice, p.a!, p.c, p.elements!, p.bIso, p.name ?? undefined);
    }
    if (p.laue) phase.laue = p.laue as LaueClass;
    return {
      fields: { cell: f64([6], phase.cell) },
      meta: { phase: phaseToJson(phase), name: phase.name, laue: phase.laue, atoms: phase.atoms.length },
    };
  },
});
