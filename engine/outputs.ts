/**
 * Writing output nodes into the run directory (CONTRACT.md): one `NAME.npy` per single-field node,
 * `NAME.FIELD.npy` otherwise, float32; per-position results reshaped to [ny, nx, ...]; each curve's
 * x axis beside it as `….axis.npy`.
 */
import path from 'node:path';
import { writeNpy } from '../formats/npy.ts';
import { sizeOf, toFloat32 } from './ndarray.ts';
import type { NDArray, ScanShape, Value } from './types.ts';
import type { WrittenOutput } from './run-types.ts';

export interface OutputSource {
  node: string;
  op: string;
  scope: 'frame' | 'dataset';
  key: string;
  valueHash: string;
  value: Value;
}

function classify(shape: number[], scan: ScanShape): WrittenOutput['kind'] {
  if (shape[0] === scan.ny && shape[1] === scan.nx) {
    if (shape.length === 2) return 'map';
    if (shape.length === 3) return 'maps';
  }
  return 'array';
}

export function writeNodeOutputs(runDir: string, src: OutputSource, scan: ScanShape): WrittenOutput[] {
  const { value } = src;
  const names = Object.keys(value.fields);
  const axisOf = (value.meta?.axisOf ?? {}) as Record<string, string>;
  const units = (value.meta?.units ?? {}) as Record<string, string>;
  const written: WrittenOutput[] = [];
  for (const f of names) {
    let a: NDArray = value.fields[f];
    const packed = value.meta?.packed === 'bits';
    if (src.scope === 'frame' && a.shape[0] === scan.ny * scan.nx) a = { ...a, shape: [scan.ny, scan.nx, ...a.shape.slice(1)] };
    let kind = classify(a.shape, scan);
    if (src.scope === 'frame' && a.shape.length === 3) kind = 'curves';
    const out = packed || (a.dtype !== 'float64' && a.dtype !== 'float32' && sizeOf(a.shape) > 1 << 24) ? a : toFloat32(a);
    const base = names.length === 1 ? src.node : `${src.node}.${f}`;
    const file = `${base}.npy`;
    writeNpy(path.join(runDir, file), out);
    const w: WrittenOutput = { node: src.node, op: src.op, field: f, file, kind, shape: out.shape, key: src.key, valueHash: src.valueHash };
    if (units[f]) w.unit = units[f];
    const axisName = axisOf[f] ?? (names.length === 1 && value.axes && Object.keys(value.axes).length === 1 ? Object.keys(value.axes)[0] : undefined);
    const axis = axisName ? value.axes?.[axisName] : undefined;
    if (axis && axisName) {
      const axisFile = `${base}.axis.npy`;
      writeNpy(path.join(runDir, axisFile), toFloat32(axis));
      w.axisFile = axisFile;
      w.axisName = axisName;
    }
    written.push(w);
  }
  return written;
}
