/**
 * A small CIF reader for what a diffraction template needs: the cell, the atom sites (fractional
 * x, y, z, element, occupancy), the symmetry operations that generate the full cell from the
 * asymmetric unit, and the space-group number (→ Laue class). Errors name the file and line.
 */
import { UserError } from '../../engine/errors.ts';
import { knownElement } from '../pdf/formfactors.ts';
import type { Atom, Phase } from './phase-model.ts';
import type { LaueClass, Vec3 } from './symmetry.ts';

class CifError extends UserError {
  constructor(file: string, line: number, detail: string) {
    super(`${file}, line ${line}: ${detail}`);
  }
}

interface Token {
  text: string;
  line: number;
}

/** Split into tokens: quoted strings, ;-delimited text fields, bare words; comments dropped. */
function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const ln = lines[i];
    if (ln.startsWith(';')) {
      const start = i + 1;
      const parts = [ln.slice(1)];
      while (++i < lines.length && !lines[i].startsWith(';')) parts.push(lines[i]);
      if (i >= lines.length) throw new CifError(file, start, 'text field opened with ";" is never closed');
      out.push({ text: parts.join('\n').trim(), line: start });
      continue;
    }
    const re = /'([^']*)'(?=\s|$)|"([^"]*)"(?=\s|$)|(#.*)|(\S+)/g;
    for (let m = re.exec(ln); m; m = re.exec(ln)) {
      if (m[3] !== undefined) break;
      out.push({ text: m[1] ?? m[2] ?? m[4], line: i + 1 });
    }
  }
  return out;
}

/** CIF numbers may carry an uncertainty in brackets: 3.5240(2). */
function cifNumber(t: Token, file: string, what: string): number {
  const v = Number(t.text.replace(/\(\d+\)$/, ''));
  if (!Number.isFinite(v)) throw new CifError(file, t.line, `${what}: expected a number, got '${t.text}'`);
  return v;
}

/** Parse "x+1/2, -y, z" into a function of (x, y, z). */
function symop(t: Token, file: string): (p: Vec3) => Vec3 {
  const parts = t.text.replace(/\s+/g, '').toLowerCase().split(',');
  if (parts.length !== 3)
    throw new CifError(file, t.line, `symmetry operation '${t.text}': expected three comma-separated terms`);
  const rows = parts.map((expr) => {
    const coef = [0, 0, 0, 0];
    const re = /([+-]?)(\d*\.?\d*(?:\/\d+)?)\*?([xyz]?)/g;
    let pos = 0;
    for (let m = re.exec(expr); m && m[0] !== ''; m = re.exec(expr)) {
      if (m.index !== pos) break;
      pos += m[0].length;
      const sign = m[1] === '-' ? -1 : 1;
      let num = 1;
      if (m[2]) {
        const [n, d] = m[2].split('/');
        num = Number(n) / (d ? Number(d) : 1);
      }
      if (!Number.isFinite(num)) break;
      const axis = m[3] ? 'xyz'.indexOf(m[3]) : 3;
      coef[axis] += sign * num;
    }
    if (pos !== expr.length)
      throw new CifError(file, t.line, `symmetry operation '${t.text}': cannot read '${expr}'`);
    return coef;
  });
  return (p) => rows.map((c) => c[0] * p[0] + c[1] * p[1] + c[2] * p[2] + c[3]) as Vec3;
}

function laueOfSpaceGroup(n: number | null, cell: Phase['cell']): LaueClass {
  if (n !== null) {
    if (n >= 221) return 'm-3m';
    if (n >= 195) return 'm-3';
    if (n >= 177 && n <= 194) return '6/mmm';
    if (n >= 89 && n <= 142) return '4/mmm';
    if (n >= 16 && n <= 74) return 'mmm';
    return '-1';
  }
  // Without a space group, trust no symmetry beyond Friedel's.
  void cell;
  return '-1';
}

/** Element symbol from a type symbol or label such as "Ni", "Ni2+", "O1". */
function elementOf(t: Token, file: string): string {
  const m = /^([A-Z][a-z]?)/.exec(t.text.trim());
  const el = m?.[1];
  if (el && knownElement(el)) return el;
  const one = el?.[0];
  if (one && knownElement(one)) return one;
  throw new CifError(file, t.line, `atom site '${t.text}': not an element symbol`);
}

export function parseCif(text: string, file: string, bIso: number): Phase {
  const toks = tokenize(text, file);
  const tags = new Map<string, Token>();
  const loops: { names: string[]; rows: Token[][]; line: number }[] = [];
  let i = 0;
  let name = file.replace(/^.*[\\/]/, '');
  while (i < toks.length) {
    const t = toks[i];
    const low = t.text.toLowerCase();
    if (low.startsWith('data_')) {
      name = t.text.slice(5) || name;
      i++;
    } else if (low === 'loop_') {
      const names: string[] = [];
      i++;
      while (i < toks.length && toks[i].text.startsWith('_')) names.push(toks[i++].text.toLowerCase());
      if (!names.length) throw new CifError(file, t.line, 'loop_ without any _tag names');
      const vals: Token[] = [];
      while (i < toks.length && !toks[i].text.startsWith('_') && !/^(loop_|data_)/i.test(toks[i].text))
        vals.push(toks[i++]);
      if (vals.length % names.length !== 0)
        throw new CifError(
          file,
          t.line,
          `loop_ with ${names.length} columns has ${vals.length} values (not a multiple)`,
        );
      const rows: Token[][] = [];
      for (let r = 0; r < vals.length; r += names.length) rows.push(vals.slice(r, r + names.length));
      loops.push({ names, rows, line: t.line });
    } else if (t.text.startsWith('_')) {
      const v = toks[i + 1];
      if (!v || v.text.startsWith('_') || /^(loop_|data_)$/i.test(v.text))
        throw new CifError(file, t.line, `tag ${t.text} has no value`);
      tags.set(low, v);
      i += 2;
    } else {
      throw new CifError(file, t.line, `unexpected '${t.text}' (expected a _tag, loop_ or data_ block)`);
    }
  }
  const cellTags = [
    '_cell_length_a',
    '_cell_length_b',
    '_cell_length_c',
    '_cell_angle_alpha',
    '_cell_angle_beta',
    '_cell_angle_gamma',
  ];
  const cell = cellTags.map((k, j) => {
    const v = tags.get(k);
    if (!v) {
      if (j >= 3) return 90;
      throw new UserError(`${file}: no ${k} (the unit cell is required)`);
    }
    const x = cifNumber(v, file, k);
    if (!(x > 0)) throw new CifError(file, v.line, `${k} must be > 0, got ${x}`);
    return x;
  }) as Phase['cell'];

  const sites = loops.find((l) => l.names.includes('_atom_site_fract_x'));
  if (!sites) throw new UserError(`${file}: no atom_site loop with _atom_site_fract_x/y/z`);
  const col = (n: string) => sites.names.indexOf(n);
  const [cx, cy, cz] = ['_atom_site_fract_x', '_atom_site_fract_y', '_atom_site_fract_z'].map(col);
  if (cy < 0 || cz < 0) throw new CifError(file, sites.line, 'atom_site loop lacks _atom_site_fract_y or _z');
  const cType = col('_atom_site_type_symbol') >= 0 ? col('_atom_site_type_symbol') : col('_atom_site_label');
  if (cType < 0)
    throw new CifError(
      file,
      sites.line,
      'atom_site loop has neither _atom_site_type_symbol nor _atom_site_label',
    );
  const cOcc = col('_atom_site_occupancy');

  const opLoop = loops.find(
    (l) =>
      l.names.includes('_symmetry_equiv_pos_as_xyz') || l.names.includes('_space_group_symop_operation_xyz'),
  );
  const ops = opLoop
    ? opLoop.rows.map((r) =>
        symop(
          r[
            Math.max(
              opLoop.names.indexOf('_symmetry_equiv_pos_as_xyz'),
              opLoop.names.indexOf('_space_group_symop_operation_xyz'),
            )
          ],
          file,
        ),
      )
    : [(p: Vec3) => p];

  const atoms: Atom[] = [];
  const wrap = (x: number) => x - Math.floor(x + 1e-9);
  for (const r of sites.rows) {
    const el = elementOf(r[cType], file);
    const p: Vec3 = [
      cifNumber(r[cx], file, 'fract_x'),
      cifNumber(r[cy], file, 'fract_y'),
      cifNumber(r[cz], file, 'fract_z'),
    ];
    const occ =
      cOcc >= 0 && r[cOcc].text !== '?' && r[cOcc].text !== '.' ? cifNumber(r[cOcc], file, 'occupancy') : 1;
    for (const op of ops) {
      const q = op(p).map(wrap) as Vec3;
      const dup = atoms.some(
        (a) =>
          a.element === el &&
          [0, 1, 2].every((k) => Math.min(Math.abs(a.xyz[k] - q[k]), 1 - Math.abs(a.xyz[k] - q[k])) < 1e-4),
      );
      if (!dup) atoms.push({ element: el, xyz: q, occupancy: occ });
    }
  }
  const sgTok = tags.get('_space_group_it_number') ?? tags.get('_symmetry_int_tables_number');
  const sg = sgTok ? cifNumber(sgTok, file, 'space group number') : null;
  return { name, cell, atoms, laue: laueOfSpaceGroup(sg, cell), bIso };
}
