/**
 * A node's result as float32 arrays with axes, units and provenance: from the run directory when
 * the run wrote it, otherwise from the cache through the engine's `loadNodeValue`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../engine/errors.ts';
import type { Manifest, WrittenOutput } from '../../engine/run-types.ts';
import type { NDArray, Value } from '../../engine/types.ts';
import { readNpy } from '../../formats/npy.ts';
import { nodeProvenance, type FileProvenance } from '../provenance.ts';

export interface FieldArray {
  field: string;
  /** File base name: NODE or NODE.FIELD, as the run directory names it. */
  base: string;
  kind: WrittenOutput['kind'];
  shape: number[];
  data: Float32Array;
  unit?: string;
  axis?: Float32Array;
  axisName?: string;
}

export interface NodeArrays {
  node: string;
  fields: FieldArray[];
  /** Where the arrays came from. */
  source: 'run directory' | 'cache';
  provenance: FileProvenance;
}

const asF32 = (a: NDArray): Float32Array =>
  a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>);

export async function nodeArrays(
  runDir: string,
  m: Manifest,
  node: string,
  opts: { cacheDir?: string } = {},
): Promise<NodeArrays> {
  if (!m.nodes[node])
    throw new UserError(`${runDir}: run has no node '${node}' (nodes: ${Object.keys(m.nodes).join(', ')})`);
  const provenance = nodeProvenance(m, node, null, '', 'export');
  const written = m.outputs.filter((o) => o.node === node);
  if (written.length && written.every((o) => fs.existsSync(path.join(runDir, o.file)))) {
    const fields = written.map((o): FieldArray => {
      const a = readNpy(path.join(runDir, o.file));
      const f: FieldArray = {
        field: o.field,
        base: o.file.replace(/\.npy$/, ''),
        kind: o.kind,
        shape: a.shape,
        data: asF32(a),
        unit: o.unit,
      };
      if (o.axisFile && fs.existsSync(path.join(runDir, o.axisFile))) {
        f.axis = asF32(readNpy(path.join(runDir, o.axisFile)));
        f.axisName = o.axisName;
      }
      return f;
    });
    return { node, fields, source: 'run directory', provenance };
  }
  const value = await loadFromCache(runDir, node, opts.cacheDir);
  return { node, fields: fieldsOfValue(node, value, m), source: 'cache', provenance };
}

async function loadFromCache(runDir: string, node: string, cacheDir?: string): Promise<Value> {
  // engine/results.ts is the engine's; resolved at run time so this module does not depend on its presence.
  const url = new URL('../../engine/results.ts', import.meta.url);
  if (!fs.existsSync(url)) {
    throw new UserError(
      `node '${node}' was not written into ${runDir} and this build cannot read results from the cache; add it to the graph's "outputs" and run again`,
    );
  }
  const mod = (await import(url.href)) as {
    loadNodeValue(runDir: string, node: string, o: { cacheDir?: string }): Promise<Value>;
  };
  return mod.loadNodeValue(runDir, node, { cacheDir });
}

/** The engine's Value → named float32 fields, classified like the run directory's outputs. */
export function fieldsOfValue(node: string, value: Value, m: Manifest): FieldArray[] {
  const [ny, nx] = m.dataset?.scan ?? [0, 0];
  const names = Object.keys(value.fields);
  const axisOf = (value.meta?.axisOf ?? {}) as Record<string, string>;
  const units = (value.meta?.units ?? {}) as Record<string, string>;
  return names.map((f) => {
    const a = value.fields[f];
    let shape = a.shape;
    if (shape[0] === ny * nx && ny * nx > 0 && (shape.length === 1 || shape.length === 2))
      shape = [ny, nx, ...shape.slice(1)];
    const perPos = shape[0] === ny && shape[1] === nx;
    const kind: WrittenOutput['kind'] =
      perPos && shape.length === 2
        ? 'map'
        : perPos && shape.length === 3
          ? m.nodes[node]?.scope === 'frame'
            ? 'curves'
            : 'maps'
          : 'array';
    const axisName =
      axisOf[f] ??
      (names.length === 1 && value.axes && Object.keys(value.axes).length === 1
        ? Object.keys(value.axes)[0]
        : undefined);
    const axis = axisName ? value.axes?.[axisName] : undefined;
    return {
      field: f,
      base: names.length === 1 ? node : `${node}.${f}`,
      kind,
      shape,
      data: asF32(a),
      unit: units[f],
      ...(axis ? { axis: asF32(axis), axisName } : {}),
    };
  });
}
