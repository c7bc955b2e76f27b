/**
 * model.partials: reference partial PDFs from an atomic model (an MD snapshot, a relaxed small box)
 * for decompose.assign's `references` input with referencesWeighted: true. The file is a content-
 * hashed param (engine/param-files.ts): editing it recomputes this node and what depends on it.
 * Physics and convention: partials.ts; neighbour search: pair-histogram.ts; files: structure-file.ts.
 */
import fs from 'node:fs';
import { ParamError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { resolveParamFile } from '../../engine/param-files.ts';
import { defineOp, type Json, type OpParams, type Value } from '../../engine/types.ts';
import { sroAlpha, warrenCowleyAlpha } from '../qoi/sro-formulas.ts';
import { pairHistogram, perpendicularWidths } from './pair-histogram.ts';
import { TAPER_FRACTION, modelPartials, PartialsError } from './partials.ts';
import { parseStructure, StructureFileError, type AtomicStructure } from './structure-file.ts';
import { checkRGrid } from '../size-limits.ts';

/** Histogram bin (Å): the phase error Q·Δr/2 stays below 0.01 rad at Q = 8 Å⁻¹. */
const BIN = 0.002;
/** Automatic rcut: rmax + this (Å), at least AUTO_MIN, at most half the cell's smallest width. */
const AUTO_MARGIN = 10;
const AUTO_MIN = 20;

type Params = OpParams<typeof modelPartialsOp>;

function pairNames(p: Params): string[] {
  return p.pairs ?? [`${p.element}${p.element}`, `${p.element}X`, 'XX'];
}

function checkParams(p: Params, node: string): void {
  if (!(p.qmin < p.qmax))
    throw new ParamError(node, 'qmin', `empty Q range: qmin ${p.qmin} ≥ qmax ${p.qmax} Å⁻¹`);
  if (!(p.rmax > p.rmin)) throw new ParamError(node, 'rmax', `rmax ${p.rmax} must be above rmin ${p.rmin} Å`);
  checkRGrid(node, p.rmin, p.rmax, p.rstep, 8, 'per partial (float64)');
  if (p.pairs !== null && p.pairs.length === 0)
    throw new ParamError(node, 'pairs', 'give at least one pair name, e.g. ["ZrZr", "ZrX", "XX"]');
  if (p.cell !== null && p.cell.length !== 3 && p.cell.length !== 9)
    throw new ParamError(
      node,
      'cell',
      `needs 3 lengths (a, b, c of an orthorhombic cell) or 9 numbers (rows a, b, c), got ${p.cell.length}`,
    );
  const tm = p.typeMap;
  if (
    tm !== null &&
    !(Array.isArray(tm)
      ? tm.every((v) => typeof v === 'string')
      : typeof tm === 'object' && Object.values(tm).every((v) => typeof v === 'string'))
  ) {
    throw new ParamError(
      node,
      'typeMap',
      'expected LAMMPS atom type → element, e.g. {"1": "Zr", "2": "Cu"} or ["Zr", "Cu"]',
    );
  }
}

/** The neighbour range: auto within the minimum image; the output must end before the taper. */
function rcutOf(p: Params, s: AtomicStructure, node: string, file: string): number {
  const half = 0.5 * Math.min(...perpendicularWidths(s.cell));
  const need = p.rmax / (1 - TAPER_FRACTION);
  if (p.rcut === 'auto') {
    const rc = Math.min(half, Math.max(AUTO_MIN, p.rmax + AUTO_MARGIN));
    if (rc < need) {
      throw new ParamError(
        node,
        'rmax',
        `${file}: the cell is too small for rmax ${p.rmax} Å under the minimum image: half its smallest perpendicular width is ${half.toFixed(2)} Å, and the model's G(r) must reach ${need.toFixed(2)} Å (rmax plus the ${TAPER_FRACTION * 100} % taper of rcut). Use a larger (replicated) model, lower rmax, or set rcut explicitly (beyond the minimum image, periodic images count as neighbours: right for a crystal, an artefact for a glass)`,
      );
    }
    return rc;
  }
  if (p.rcut < need)
    throw new ParamError(
      node,
      'rcut',
      `${p.rcut} Å leaves no room for rmax ${p.rmax} Å before the taper over the last ${TAPER_FRACTION * 100} % of rcut: needs ≥ ${need.toFixed(2)} Å`,
    );
  return p.rcut;
}

export const modelPartialsOp = defineOp({
  name: 'model.partials',
  version: 1,
  scope: 'dataset',
  title: 'Reference partial PDFs from an atomic model',
  description:
    'Reads a periodic atomic model (extended XYZ with Lattice="…", plain XYZ with `cell`, or a LAMMPS dump with BOX BOUNDS and `typeMap`; the first frame) and gives one reference curve per pair name (quasi-binary: ZrZr, ZrX, XX with X = every element the names do not name) for decompose.assign\'s `references` input with referencesWeighted: true. ' +
    "Pair histograms by a cell list (periodic, any cell shape) → per element pair c_a c_b G_ab(r) = c_a c_b 4πrρ₀(g_ab − 1), tapered to 0 over the last 25 % of rcut → F_ab(Q) by the sine transform → summed per pair name with f_a f_b/⟨f⟩² at each Q (the model's own composition, as they enter pdf.reduce's F(Q)) → optional Gaussian Q blur (qResolution) and Lorch window → transformed back over [qmin, qmax] like pdf.reduce. " +
    'Convention (as sim/references.ts): each curve is the partial as it enters the electron G(r) per unit pair fraction — normalize "pairFraction" divides by the model\'s first-shell pair fraction P_t (pairs within shellCut), so Σ_t P_t G_t is the model\'s whole G(r) and every curve holds the mean coordination Z̄ in its first shell; "composition" divides by Σ c_a c_b (the Faber–Ziman partial; the same for random mixing). meta: composition, number density, atom count, cell, shellCut, pair fractions, coordination numbers, α and α_WC of the model (three names).',
  inputs: {},
  params: {
    file: {
      type: 'string',
      file: true,
      description:
        'the model: .xyz / .extxyz (line 1 atom count, line 2 comment with Lattice="ax ay az bx by bz cx cy cz" and optionally Properties=species:S:1:pos:R:3, then species x y z per atom) or a LAMMPS dump (ITEM: BOX BOUNDS, ITEM: ATOMS id type x y z or element / xs ys zs / xu yu zu); positions in Å, the cell periodic',
    },
    format: {
      type: 'enum',
      values: ['auto', 'extxyz', 'lammps-dump'],
      default: 'auto',
      description: 'auto: a file starting with "ITEM:" is a LAMMPS dump, else XYZ',
    },
    cell: {
      type: 'number[]',
      optional: true,
      length: [3, 9],
      unit: 'Å',
      description:
        "the periodic cell when the file has none (plain XYZ): [a, b, c] (orthorhombic) or 9 numbers (rows a, b, c); given, it replaces the file's",
    },
    typeMap: {
      type: 'json',
      optional: true,
      description:
        'LAMMPS dump with numeric types: type → element, {"1": "Zr", "2": "Cu"} or ["Zr", "Cu"] (type 1 first)',
    },
    element: {
      type: 'string',
      default: 'Zr',
      description: 'the named element of the quasi-binary names (EE, EX, XX) when `pairs` is not given',
    },
    pairs: {
      type: 'string[]',
      optional: true,
      description:
        'pair names, each two species (an element or X), e.g. ["ZrZr", "ZrX", "XX"] or ["NiNi"]; every element pair of the model must fall under exactly one',
    },
    normalize: {
      type: 'enum',
      values: ['pairFraction', 'composition'],
      default: 'pairFraction',
      description:
        "pairFraction: per unit first-shell pair fraction of the model (decompose.assign then returns the model's own pair fractions); composition: per unit c_a c_b (Faber–Ziman partial)",
    },
    shellCut: {
      type: 'number',
      exclusiveMin: 0,
      optional: true,
      unit: 'Å',
      description:
        "end of the first coordination shell (pair fractions, coordination numbers); absent: the first minimum of the model's g(r)",
    },
    rcut: {
      type: 'number',
      exclusiveMin: 0,
      auto: true,
      default: 'auto',
      unit: 'Å',
      description: `how far pairs are counted; auto: rmax + ${AUTO_MARGIN} Å (at least ${AUTO_MIN}), at most half the cell's smallest perpendicular width (minimum image). The model's G(r) is tapered to 0 over the last 25 %, so rmax ≤ 0.75·rcut`,
    },
    qmin: {
      type: 'number',
      min: 0,
      default: 0.1,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: "transform band: the data's pdf.reduce qmin",
    },
    qmax: {
      type: 'number',
      exclusiveMin: 0,
      default: 8.1,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description: "transform band: the data's pdf.reduce qmax",
    },
    window: {
      type: 'enum',
      values: ['none', 'lorch'],
      default: 'none',
      description: "as the data's pdf.reduce window",
    },
    qResolution: {
      type: 'number',
      min: 0,
      default: 0,
      unit: 'Å⁻¹ (Q = 2π/d)',
      description:
        "Gaussian σ of the Q resolution the data's G(r) carries (pdf.reduce qResolution): F_t(Q) is blurred by it before the band cut; 0 = none",
    },
    formFactors: {
      type: 'enum',
      values: ['lobato', 'kirkland'],
      default: 'lobato',
      description: "electron form-factor table (as pdf.reduce's)",
    },
    rmin: { type: 'number', min: 0, default: 0, unit: 'Å', description: 'first r of the curves' },
    rmax: { type: 'number', exclusiveMin: 0, default: 10, unit: 'Å', description: 'last r of the curves' },
    rstep: { type: 'number', exclusiveMin: 0, default: 0.01, unit: 'Å', description: 'r step of the curves' },
  },
  outputs: {
    fields: {
      '<name>': {
        dims: ['n'],
        unit: 'Å⁻²',
        axis: 'r',
        description: 'one reference partial G_t(r) per pair name, per unit pair fraction (see normalize)',
      },
    },
    axes: { r: { unit: 'Å', description: 'r of the curves' } },
  },
  check(p, { node }) {
    checkParams(p, node);
  },
  run({ node, params: p, dataset }): Value {
    checkParams(p, node);
    const file = resolveParamFile(node, 'file', p.file, dataset?.path ?? null);
    let s: AtomicStructure;
    try {
      s = parseStructure(fs.readFileSync(file, 'utf8'), {
        format: p.format,
        cell: p.cell,
        typeMap: p.typeMap as Record<string, string> | string[] | null,
      });
    } catch (e) {
      if (e instanceof StructureFileError) throw new ParamError(node, 'file', `${file}: ${e.message}`);
      throw e;
    }
    const rcut = rcutOf(p, s, node, file);
    const t0 = performance.now();
    const hist = pairHistogram(s, rcut, BIN);
    const names = pairNames(p);
    const n = Math.floor((p.rmax - p.rmin) / p.rstep + 1e-9) + 1;
    let m: ReturnType<typeof modelPartials>;
    try {
      m = modelPartials(hist, s.elements, {
        names,
        normalize: p.normalize,
        shellCut: p.shellCut,
        qmin: p.qmin,
        qmax: p.qmax,
        window: p.window,
        qResolution: p.qResolution,
        formFactors: p.formFactors,
        rmin: p.rmin,
        rstep: p.rstep,
        n,
      });
    } catch (e) {
      if (e instanceof PartialsError) throw new ParamError(node, e.param, `${file}: ${e.message}`);
      throw e;
    }
    const P = names.map((nm) => m.pairFractions[nm]);
    const sro: Record<string, Json> =
      names.length === 3
        ? { alpha: sroAlpha(P[0], P[1], P[2]), alphaWC: warrenCowleyAlpha(P[0], P[1], P[2]) }
        : {};
    return {
      fields: Object.fromEntries(names.map((nm) => [nm, f32([n], Float32Array.from(m.curves[nm]))])),
      axes: { r: { dtype: 'float64', shape: [n], data: m.r } },
      meta: {
        axisOf: Object.fromEntries(names.map((nm) => [nm, 'r'])),
        units: { ...Object.fromEntries(names.map((nm) => [nm, 'Å⁻²'])), r: 'Å' },
        file: p.file,
        atoms: s.species.length,
        composition: m.composition,
        numberDensity: m.numberDensity,
        cell: s.cell,
        cellSource: s.cellSource,
        rcut,
        shellCut: m.shellCut,
        pairFractions: m.pairFractions,
        members: m.members,
        coordination: m.coordination,
        meanCoordination: m.meanCoordination,
        ...sro,
        normalize: p.normalize,
        band: { qmin: p.qmin, qmax: p.qmax, window: p.window, qResolution: p.qResolution },
        convention: `per unit ${p.normalize === 'pairFraction' ? 'first-shell pair fraction' : 'c_a c_b'}, f_a f_b/<f>^2-weighted at each Q, transformed over Q ${p.qmin}-${p.qmax} 1/A: feed decompose.assign with referencesWeighted: true`,
        seconds: Math.round(performance.now() - t0) / 1000,
      },
    };
  },
});
