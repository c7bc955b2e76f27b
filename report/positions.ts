/** Representative scan positions for plots: where the first map has its minimum, median and maximum. */
import type { LoadedOutput } from './run-data.ts';

export interface Position {
  iy: number;
  ix: number;
  label: string;
}

export function representativePositions(map: LoadedOutput | null, ny: number, nx: number): Position[] {
  if (!map) {
    return dedupe([
      { iy: Math.floor(ny / 2), ix: Math.floor(nx / 2), label: 'centre' },
      { iy: 0, ix: 0, label: 'corner' },
    ]);
  }
  const idx: number[] = [];
  for (let p = 0; p < ny * nx; p++) if (Number.isFinite(map.data[p])) idx.push(p);
  if (idx.length === 0) return representativePositions(null, ny, nx);
  idx.sort((a, b) => map.data[a] - map.data[b]);
  const name =
    map.out.field && map.out.file !== `${map.out.node}.npy`
      ? `${map.out.node}.${map.out.field}`
      : map.out.node;
  const at = (p: number, what: string): Position => ({
    iy: Math.floor(p / nx),
    ix: p % nx,
    label: `${what} of ${name}`,
  });
  return dedupe([
    at(idx[0], 'min'),
    at(idx[Math.floor((idx.length - 1) / 2)], 'median'),
    at(idx[idx.length - 1], 'max'),
  ]);
}

function dedupe(ps: Position[]): Position[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.iy},${p.ix}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function positionName(p: { iy: number; ix: number }): string {
  return `(y ${p.iy}, x ${p.ix})`;
}
