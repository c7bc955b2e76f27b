/**
 * A table of curves on one x axis, as structure-modelling tools export partial PDFs: a header line
 * naming the columns ("r,ZrZr,ZrX,XX"), then rows of numbers; commas, semicolons, tabs or spaces
 * between cells; lines starting with # are comments. The first column is x (strictly increasing).
 */
import { FileFormatError } from '../engine/errors.ts';

export interface CurveTable {
  xName: string;
  x: Float64Array;
  curves: Record<string, Float32Array>;
}

/** The data lines of a text table: trimmed, blank lines and # comments dropped. */
export function tableLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** The cells of one line: separated by commas, semicolons, tabs or spaces. */
export function tableCells(line: string): string[] {
  return line.split(/\s*[,;\t]\s*|\s+/);
}

export function parseCurveTable(file: string, text: string): CurveTable {
  const lines = tableLines(text);
  const header = lines.length ? tableCells(lines[0]) : [];
  if (header.length < 2 || header.some((c) => c === '' || Number.isFinite(Number(c)))) {
    throw new FileFormatError(
      file,
      `expected a header line naming the columns, e.g. "r,ZrZr,ZrX,XX", found ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`,
    );
  }
  if (new Set(header).size !== header.length)
    throw new FileFormatError(file, `column names repeat in the header ${JSON.stringify(lines[0])}`);
  const rows = lines.slice(1);
  if (rows.length < 2)
    throw new FileFormatError(file, `expected at least 2 data rows under the header, found ${rows.length}`);
  const x = new Float64Array(rows.length);
  const cols = header.slice(1).map(() => new Float32Array(rows.length));
  rows.forEach((l, i) => {
    const cells = tableCells(l).map(Number);
    if (cells.length !== header.length || cells.some((v) => !Number.isFinite(v))) {
      throw new FileFormatError(
        file,
        `row ${i + 2}: expected ${header.length} numbers (${header.join(', ')}), found ${JSON.stringify(l.slice(0, 80))}`,
      );
    }
    x[i] = cells[0];
    if (i > 0 && !(x[i] > x[i - 1]))
      throw new FileFormatError(
        file,
        `row ${i + 2}: ${header[0]} must increase, found ${x[i]} after ${x[i - 1]}`,
      );
    cols.forEach((c, j) => {
      c[i] = cells[j + 1];
    });
  });
  return { xName: header[0], x, curves: Object.fromEntries(header.slice(1).map((h, j) => [h, cols[j]])) };
}
