/**
 * CSV for maps (tidy: iy, ix, value per position), multi-maps (iy, ix, one column per component),
 * curves (first column the axis, one column per position), [k, n] components (axis + one column
 * per component) and line cuts (one row per position along the cut).
 */
import type { LineCut } from '../../viz/linecut.ts';

/** Shortest decimal that reads back as the same float32. */
export function f32(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  const target = Math.fround(v);
  for (let p = 6; p < 10; p++) {
    const s = String(Number(v.toPrecision(p)));
    if (Math.fround(Number(s)) === target) return s;
  }
  return String(v);
}

const header = (cols: string[]) =>
  `${cols.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')}\n`;

export function mapCsv(data: ArrayLike<number>, ny: number, nx: number, name: string): string {
  const out = [header(['iy', 'ix', name])];
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out.push(`${y},${x},${f32(data[y * nx + x])}\n`);
  return out.join('');
}

export function mapsCsv(data: ArrayLike<number>, ny: number, nx: number, k: number, name: string): string {
  const out = [header(['iy', 'ix', ...Array.from({ length: k }, (_, j) => `${name}[${j + 1}]`)])];
  for (let p = 0; p < ny * nx; p++) {
    const row = [String(Math.floor(p / nx)), String(p % nx)];
    for (let j = 0; j < k; j++) row.push(f32(data[p * k + j]));
    out.push(`${row.join(',')}\n`);
  }
  return out.join('');
}

/** Curves [ny, nx, n] at the given positions (default all): axis column, then `y{iy}_x{ix}` columns. */
export function curvesCsv(
  data: ArrayLike<number>,
  shape: number[],
  axis: ArrayLike<number> | null,
  axisName: string,
  positions?: { iy: number; ix: number }[],
): string {
  const [ny, nx, n] = shape;
  const pos =
    positions ?? Array.from({ length: ny * nx }, (_, p) => ({ iy: Math.floor(p / nx), ix: p % nx }));
  const out = [header([axisName, ...pos.map((p) => `y${p.iy}_x${p.ix}`)])];
  for (let i = 0; i < n; i++) {
    const row = [axis ? f32(axis[i]) : String(i)];
    for (const p of pos) row.push(f32(data[(p.iy * nx + p.ix) * n + i]));
    out.push(`${row.join(',')}\n`);
  }
  return out.join('');
}

/** [k, n] rows over an axis: axis column, then one column per row. */
export function componentsCsv(
  data: ArrayLike<number>,
  k: number,
  n: number,
  axis: ArrayLike<number> | null,
  axisName: string,
  name: string,
): string {
  const out = [header([axisName, ...Array.from({ length: k }, (_, j) => `${name}${j + 1}`)])];
  for (let i = 0; i < n; i++) {
    const row = [axis ? f32(axis[i]) : String(i)];
    for (let j = 0; j < k; j++) row.push(f32(data[j * n + i]));
    out.push(`${row.join(',')}\n`);
  }
  return out.join('');
}

/** Any other array: 1-D as one column, otherwise rows of the last axis. */
export function arrayCsv(data: ArrayLike<number>, shape: number[], name: string): string {
  const n = shape.length ? shape[shape.length - 1] : 1;
  const rows = data.length / n;
  const out = [header(shape.length <= 1 ? [name] : Array.from({ length: n }, (_, j) => `${name}[${j}]`))];
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let j = 0; j < n; j++) row.push(f32(data[r * n + j]));
    out.push(`${row.join(',')}\n`);
  }
  return out.join('');
}

/** A map along a line cut. */
export function cutCsv(values: ArrayLike<number>, cut: LineCut, name: string): string {
  const out = [header(['i', 'iy', 'ix', `distance_${cut.unit}`, name])];
  for (let i = 0; i < cut.iy.length; i++)
    out.push(`${i},${cut.iy[i]},${cut.ix[i]},${f32(cut.distance[i])},${f32(values[i])}\n`);
  return out.join('');
}
