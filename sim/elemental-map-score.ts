/**
 * Accuracy rows for the external-map path (source.map → map.register): how far the estimated
 * transform puts the map from where the simulator put it, and how well the registered Zr map
 * follows the true Zr fraction. Part of compareRun's table.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Manifest, WrittenOutput } from '../engine/run-types.ts';
import { readNpy } from '../formats/npy.ts';
import { pearson } from '../nodes/map/pearson-core.ts';
import { finitePairs } from '../nodes/map/rank-stats.ts';
import type { AgreementRow } from './compare.ts';

interface EelsTruth {
  files: Record<string, string>;
  matrix: [[number, number, number], [number, number, number]];
}

/**
 * Distance (scan px) between where the estimated and the true transform send each scan position
 * the map covers (map px converted by the true magnification): its root mean square over those
 * positions (the target registration error) and its largest value (at a corner of the overlap).
 */
export function registrationError(
  est: ArrayLike<number>,
  truth: EelsTruth['matrix'],
  ny: number,
  nx: number,
  covered: ArrayLike<number>,
): { rms: number; max: number } {
  const [[a, b, c], [d, e, f]] = truth;
  const mag = Math.sqrt(Math.abs(a * e - b * d));
  let worst = 0,
    ss = 0,
    n = 0;
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) {
      if (!Number.isFinite(covered[y * nx + x])) continue;
      const du = est[0] * x + est[1] * y + est[2] - (a * x + b * y + c);
      const dv = est[3] * x + est[4] * y + est[5] - (d * x + e * y + f);
      const dist = Math.hypot(du, dv) / mag;
      worst = Math.max(worst, dist);
      ss += dist * dist;
      n++;
    }
  return { rms: n ? Math.sqrt(ss / n) : NaN, max: worst };
}

export function elementalMapRows(
  runDir: string,
  simDir: string,
  m: Manifest,
  zrTruth: ArrayLike<number>,
  glass: ArrayLike<number>,
): AgreementRow[] {
  const infoFile = path.join(simDir, 'truth', 'eels.json');
  if (!fs.existsSync(infoFile)) return [];
  const truth = JSON.parse(fs.readFileSync(infoFile, 'utf8')) as EelsTruth;
  const zrFile = truth.files.Zr;
  // The map.register node whose source.map reads the simulator's Zr map.
  const reg = m.outputs.find((o: WrittenOutput) => {
    if (o.op !== 'map.register' || o.field !== 'map') return false;
    const src = m.nodes[m.nodes[o.node]?.inputNodes?.map ?? ''];
    const file = src?.params?.file;
    return src?.op === 'source.map' && typeof file === 'string' && file.endsWith(zrFile);
  });
  if (!reg) return [];
  const tf = m.outputs.find((o) => o.node === reg.node && o.field === 'transform');
  const map = readNpy(path.join(runDir, reg.file));
  const [ny, nx] = map.shape;
  const values = map.data as ArrayLike<number>;
  const rows: AgreementRow[] = [];
  if (tf) {
    const err = registrationError(
      readNpy(path.join(runDir, tf.file)).data as ArrayLike<number>,
      truth.matrix,
      ny,
      nx,
      values,
    );
    rows.push({
      name: 'EELS Zr map registration (vs true transform)',
      source: `${reg.node}.transform`,
      metric: 'RMS error (scan px)',
      value: err.rms,
      target: '≤ 0.5',
      pass: err.rms <= 0.5,
      note: `largest ${err.max.toFixed(2)} px`,
    });
    rows.push({
      name: '(info) EELS Zr map registration, worst position',
      source: `${reg.node}.transform`,
      metric: 'max error (scan px)',
      value: err.max,
      target: '(info)',
      pass: null,
    });
  }
  const g = finitePairs(values, zrTruth, glass);
  const r = g.a.length >= 3 ? pearson(g.a, g.b) : NaN;
  rows.push({
    name: 'registered EELS Zr vs true Zr fraction (glass)',
    source: `${reg.node}.map`,
    metric: 'Pearson r',
    value: r,
    target: '≥ 0.9',
    pass: r >= 0.9,
    note: `${g.a.length} positions`,
  });
  const all = finitePairs(values, zrTruth, null);
  rows.push({
    name: '(info) registered EELS Zr vs true Zr fraction (all covered)',
    source: `${reg.node}.map`,
    metric: 'Pearson r',
    value: pearson(all.a, all.b),
    target: '(info)',
    pass: null,
    note: `${all.a.length} positions`,
  });
  return rows;
}
