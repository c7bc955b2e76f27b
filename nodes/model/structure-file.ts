/**
 * Atomic structure files of a periodic model (an MD snapshot, a relaxed small box): extended XYZ
 * (`Lattice="ax ay az bx by bz cx cy cz"` in the comment line, optional `Properties=species:S:1:pos:R:3:…`
 * naming the columns), plain XYZ with the cell given separately, and LAMMPS dump files
 * (`ITEM: BOX BOUNDS` orthogonal or triclinic `xy xz yz`, `ITEM: ATOMS id type x y z` or with
 * `element`, scaled `xs ys zs` or unwrapped `xu yu zu`). Only the first frame is read.
 *
 * Every error names the line it is about (1-based) through StructureFileError, which the op turns
 * into a message naming node, param and file.
 */
import { knownElement } from '../pdf/formfactors.ts';

export class StructureFileError extends Error {
  constructor(
    readonly line: number | null,
    detail: string,
  ) {
    super(line === null ? detail : `line ${line}: ${detail}`);
  }
}

export interface AtomicStructure {
  /** Element symbols present, in order of first appearance. */
  elements: string[];
  /** Index into `elements` per atom. */
  species: Uint16Array;
  /** Cartesian positions x, y, z per atom (Å). */
  positions: Float64Array;
  /** Cell vectors as rows a, b, c (Å), row-major [ax ay az bx by bz cx cy cz]. */
  cell: number[];
  /** Cell origin (Å): LAMMPS boxes start at (xlo, ylo, zlo); XYZ cells at 0. */
  origin: [number, number, number];
  /** Where the cell came from: the file (Lattice, BOX BOUNDS) or the `cell` param. */
  cellSource: 'file' | 'param';
}

export type StructureFormat = 'auto' | 'extxyz' | 'lammps-dump';

export interface ReadOptions {
  format: StructureFormat;
  /** 3 lengths (orthorhombic a, b, c) or 9 numbers (rows a, b, c); used when given. */
  cell: number[] | null;
  /** LAMMPS atom type → element: {"1": "Zr", "2": "Cu"} or ["Zr", "Cu"] (type 1 first). */
  typeMap: Record<string, string> | string[] | null;
}

/** "ZR", "zr" → "Zr"; the symbol must be a known element. */
function element(raw: string, line: number): string {
  const s = raw.length <= 2 ? raw.charAt(0).toUpperCase() + raw.slice(1).toLowerCase() : raw;
  if (!knownElement(s)) throw new StructureFileError(line, `unknown element '${raw}'`);
  return s;
}

function cellFromParam(cell: number[]): number[] {
  if (cell.length === 3) return [cell[0], 0, 0, 0, cell[1], 0, 0, 0, cell[2]];
  if (cell.length === 9) return [...cell];
  throw new StructureFileError(
    null,
    `param 'cell' needs 3 lengths (a, b, c of an orthorhombic cell) or 9 numbers (rows a, b, c), got ${cell.length}`,
  );
}

export function cellVolume(h: number[]): number {
  return (
    h[0] * (h[4] * h[8] - h[5] * h[7]) -
    h[1] * (h[3] * h[8] - h[5] * h[6]) +
    h[2] * (h[3] * h[7] - h[4] * h[6])
  );
}

function checkCell(h: number[], line: number | null): void {
  if (!h.every(Number.isFinite) || !(Math.abs(cellVolume(h)) > 1e-9))
    throw new StructureFileError(
      line,
      `the cell [${h.join(' ')}] has no volume (its vectors are not independent)`,
    );
}

const FLOAT = (s: string) =>
  /^[-+]?(\d+\.?\d*|\.\d+)([eEdD][-+]?\d+)?$/.test(s) ? Number(s.replace(/[dD]/, 'e')) : NaN;

class AtomList {
  elements: string[] = [];
  species: number[] = [];
  positions: number[] = [];
  private readonly index = new Map<string, number>();
  add(el: string, x: number, y: number, z: number): void {
    let k = this.index.get(el);
    if (k === undefined) {
      k = this.elements.length;
      this.index.set(el, k);
      this.elements.push(el);
    }
    this.species.push(k);
    this.positions.push(x, y, z);
  }
}

/** Column layout of an extended-XYZ Properties string: where species and the 3 position columns are. */
function xyzColumns(
  properties: string | undefined,
  line: number,
): { species: number; pos: number; count: number } {
  if (properties === undefined) return { species: 0, pos: 1, count: 4 };
  const parts = properties.split(':');
  if (parts.length % 3 !== 0)
    throw new StructureFileError(
      line,
      `cannot read Properties=${properties} (expected name:type:count triples)`,
    );
  let col = 0;
  let species = -1;
  let pos = -1;
  for (let i = 0; i < parts.length; i += 3) {
    const [name, , countText] = parts.slice(i, i + 3);
    const count = Number(countText);
    if (!(Number.isInteger(count) && count > 0))
      throw new StructureFileError(line, `Properties=${properties}: '${countText}' is not a column count`);
    if (name === 'species') species = col;
    if (name === 'pos') pos = col;
    col += count;
  }
  if (species < 0 || pos < 0)
    throw new StructureFileError(line, `Properties=${properties} names no 'species' or no 'pos' column`);
  return { species, pos, count: col };
}

/** key=value pairs of an extended-XYZ comment line (values may be "quoted"). */
function commentKeys(comment: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of comment.matchAll(/([A-Za-z_][\w-]*)\s*=\s*("([^"]*)"|'([^']*)'|\{([^}]*)\}|(\S+))/g)) {
    out.set(m[1].toLowerCase(), m[3] ?? m[4] ?? m[5] ?? m[6]);
  }
  return out;
}

function readXyz(lines: string[], opts: ReadOptions): AtomicStructure {
  const countText = (lines[0] ?? '').trim();
  const n = Number(countText);
  if (!(Number.isInteger(n) && n > 0))
    throw new StructureFileError(
      1,
      `expected the number of atoms, found ${JSON.stringify(countText.slice(0, 60))}`,
    );
  const keys = commentKeys(lines[1] ?? '');
  let cell: number[];
  let cellSource: 'file' | 'param' = 'file';
  if (opts.cell) {
    cell = cellFromParam(opts.cell);
    cellSource = 'param';
  } else {
    const lattice = keys.get('lattice');
    if (lattice === undefined)
      throw new StructureFileError(
        2,
        'no Lattice="ax ay az bx by bz cx cy cz" in the comment line and no param \'cell\': a periodic model needs its cell',
      );
    cell = lattice.trim().split(/\s+/).map(FLOAT);
    if (cell.length !== 9 || cell.some((v) => !Number.isFinite(v)))
      throw new StructureFileError(2, `Lattice="${lattice}" is not 9 numbers`);
  }
  checkCell(cell, cellSource === 'file' ? 2 : null);
  const cols = xyzColumns(keys.get('properties'), 2);
  const atoms = new AtomList();
  for (let i = 0; i < n; i++) {
    const ln = i + 3;
    const text = lines[i + 2];
    if (text === undefined || text.trim() === '')
      throw new StructureFileError(ln, `the header promises ${n} atoms, found only ${i}`);
    const cells = text.trim().split(/\s+/);
    if (cells.length < cols.count)
      throw new StructureFileError(
        ln,
        `expected ${cols.count} columns (species x y z), found ${JSON.stringify(text.trim().slice(0, 80))}`,
      );
    const xyz = cells.slice(cols.pos, cols.pos + 3).map(FLOAT);
    if (xyz.some((v) => !Number.isFinite(v)))
      throw new StructureFileError(
        ln,
        `cannot read the position in ${JSON.stringify(text.trim().slice(0, 80))}`,
      );
    atoms.add(element(cells[cols.species], ln), xyz[0], xyz[1], xyz[2]);
  }
  // Anything after the atoms must be blank or a further frame (its atom count); the first frame is used.
  const next = lines.slice(n + 2).findIndex((l) => l.trim() !== '');
  if (next >= 0 && !/^\d+$/.test(lines[n + 2 + next].trim())) {
    throw new StructureFileError(
      n + 3 + next,
      `the header promises ${n} atoms, but more atom lines follow (${JSON.stringify(lines[n + 2 + next].trim().slice(0, 60))})`,
    );
  }
  return finish(atoms, cell, [0, 0, 0], cellSource);
}

function typeElement(type: string, opts: ReadOptions, line: number): string {
  const m = opts.typeMap;
  const el = Array.isArray(m) ? m[Number(type) - 1] : m?.[type];
  if (el === undefined)
    throw new StructureFileError(
      line,
      m
        ? `atom type ${type} is not in param 'typeMap'`
        : `atoms are given by type (${type}): set param 'typeMap', e.g. {"1": "Zr", "2": "Cu"}`,
    );
  return element(el, line);
}

function readLammpsDump(lines: string[], opts: ReadOptions): AtomicStructure {
  const find = (item: string, from = 0) =>
    lines.findIndex((l, i) => i >= from && l.trim().toUpperCase().startsWith(`ITEM: ${item}`));
  const iN = find('NUMBER OF ATOMS');
  if (iN < 0) throw new StructureFileError(null, 'no "ITEM: NUMBER OF ATOMS" (not a LAMMPS dump?)');
  const n = Number((lines[iN + 1] ?? '').trim());
  if (!(Number.isInteger(n) && n > 0))
    throw new StructureFileError(
      iN + 2,
      `expected the number of atoms, found ${JSON.stringify((lines[iN + 1] ?? '').trim())}`,
    );
  const iB = find('BOX BOUNDS');
  let cell: number[];
  let origin: [number, number, number] = [0, 0, 0];
  let cellSource: 'file' | 'param' = 'file';
  if (iB >= 0) {
    const rows = [1, 2, 3].map((k) => {
      const v = (lines[iB + k] ?? '').trim().split(/\s+/).map(FLOAT);
      if (v.length < 2 || v.some((x) => !Number.isFinite(x)))
        throw new StructureFileError(
          iB + k + 1,
          `expected "lo hi" (and a tilt factor for a triclinic box), found ${JSON.stringify((lines[iB + k] ?? '').trim())}`,
        );
      return v;
    });
    const triclinic = /xy\s+xz\s+yz/i.test(lines[iB]);
    const [xy, xz, yz] = triclinic ? [rows[0][2] ?? 0, rows[1][2] ?? 0, rows[2][2] ?? 0] : [0, 0, 0];
    // Triclinic dumps give the bounding box; the cell's own bounds follow from the tilt factors.
    const xlo = rows[0][0] - Math.min(0, xy, xz, xy + xz);
    const xhi = rows[0][1] - Math.max(0, xy, xz, xy + xz);
    const ylo = rows[1][0] - Math.min(0, yz);
    const yhi = rows[1][1] - Math.max(0, yz);
    const [zlo, zhi] = rows[2];
    cell = [xhi - xlo, 0, 0, xy, yhi - ylo, 0, xz, yz, zhi - zlo];
    origin = [xlo, ylo, zlo];
  } else if (!opts.cell) {
    throw new StructureFileError(null, 'no "ITEM: BOX BOUNDS" and no param \'cell\'');
  } else cell = [];
  if (opts.cell) {
    cell = cellFromParam(opts.cell);
    cellSource = 'param';
  }
  checkCell(cell, cellSource === 'file' ? iB + 1 : null);
  const iA = find('ATOMS');
  if (iA < 0) throw new StructureFileError(null, 'no "ITEM: ATOMS" section');
  const header = lines[iA].trim().split(/\s+/).slice(2);
  const col = (names: string[]) => names.map((nm) => header.indexOf(nm));
  const cands = [
    col(['x', 'y', 'z']),
    col(['xu', 'yu', 'zu']),
    col(['xs', 'ys', 'zs']),
    col(['xsu', 'ysu', 'zsu']),
  ];
  const pick = cands.findIndex((c) => c.every((j) => j >= 0));
  if (pick < 0)
    throw new StructureFileError(
      iA + 1,
      `the ATOMS columns (${header.join(' ')}) hold no x y z, xu yu zu, xs ys zs or xsu ysu zsu`,
    );
  const scaled = pick >= 2;
  const pos = cands[pick];
  const elCol = header.indexOf('element');
  const typeCol = header.indexOf('type');
  if (elCol < 0 && typeCol < 0)
    throw new StructureFileError(
      iA + 1,
      `the ATOMS columns (${header.join(' ')}) hold neither 'type' nor 'element'`,
    );
  const atoms = new AtomList();
  for (let i = 0; i < n; i++) {
    const ln = iA + i + 2;
    const text = lines[iA + 1 + i];
    if (text === undefined || text.trim() === '' || text.startsWith('ITEM:'))
      throw new StructureFileError(ln, `NUMBER OF ATOMS promises ${n} atoms, found only ${i}`);
    const cells = text.trim().split(/\s+/);
    if (cells.length < header.length)
      throw new StructureFileError(
        ln,
        `expected ${header.length} columns (${header.join(' ')}), found ${JSON.stringify(text.trim().slice(0, 80))}`,
      );
    let [x, y, z] = pos.map((j) => FLOAT(cells[j]));
    if (![x, y, z].every(Number.isFinite))
      throw new StructureFileError(
        ln,
        `cannot read the position in ${JSON.stringify(text.trim().slice(0, 80))}`,
      );
    if (scaled)
      [x, y, z] = [
        x * cell[0] + y * cell[3] + z * cell[6] + origin[0],
        y * cell[4] + z * cell[7] + origin[1],
        z * cell[8] + origin[2],
      ];
    atoms.add(elCol >= 0 ? element(cells[elCol], ln) : typeElement(cells[typeCol], opts, ln), x, y, z);
  }
  const after = lines[iA + 1 + n];
  if (after !== undefined && after.trim() !== '' && !after.startsWith('ITEM:'))
    throw new StructureFileError(
      iA + n + 2,
      `NUMBER OF ATOMS promises ${n} atoms, but more atom lines follow`,
    );
  return finish(atoms, cell, origin, cellSource);
}

function finish(
  atoms: AtomList,
  cell: number[],
  origin: [number, number, number],
  cellSource: 'file' | 'param',
): AtomicStructure {
  if (atoms.elements.length > 65535) throw new StructureFileError(null, 'too many distinct elements');
  return {
    elements: atoms.elements,
    species: Uint16Array.from(atoms.species),
    positions: Float64Array.from(atoms.positions),
    cell,
    origin,
    cellSource,
  };
}

/** Parse a structure file's text (format auto: a LAMMPS dump starts with "ITEM:", else XYZ). */
export function parseStructure(text: string, opts: ReadOptions): AtomicStructure {
  const lines = text.split(/\r?\n/);
  const lammps =
    opts.format === 'lammps-dump' ||
    (opts.format === 'auto' && (lines.find((l) => l.trim() !== '') ?? '').trim().startsWith('ITEM:'));
  return lammps ? readLammpsDump(lines, opts) : readXyz(lines, opts);
}

/** Extended XYZ text of a structure (tests and examples write their models with it). */
export function toExtendedXyz(
  s: Pick<AtomicStructure, 'elements' | 'species' | 'positions' | 'cell'>,
  comment = '',
): string {
  const out = [
    `${s.species.length}`,
    `Lattice="${s.cell.join(' ')}" Properties=species:S:1:pos:R:3${comment ? ` ${comment}` : ''}`,
  ];
  for (let i = 0; i < s.species.length; i++)
    out.push(
      `${s.elements[s.species[i]]} ${s.positions[3 * i].toFixed(6)} ${s.positions[3 * i + 1].toFixed(6)} ${s.positions[3 * i + 2].toFixed(6)}`,
    );
  return `${out.join('\n')}\n`;
}
