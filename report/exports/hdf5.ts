/**
 * HDF5 export through h5wasm: `/NODE/FIELD` float32 datasets (maps [ny, nx], curves [ny, nx, n],
 * anything else as is) with attributes unit, kind, key, valueHash and the axis as `/NODE/FIELD_axis`;
 * the root carries the run id, graph hash and the whole manifest (JSON) as attributes.
 */
import type { Manifest } from '../../engine/run-types.ts';
import { loadHdf5 } from '../../formats/hdf5.ts';
import type { NodeArrays } from './node-data.ts';

/** `load` is called one node at a time, so only one node's arrays are in memory at once. */
export async function writeHdf5(
  file: string,
  m: Manifest,
  nodeIds: string[],
  load: (node: string) => Promise<NodeArrays>,
): Promise<NodeArrays['source'][]> {
  const sources: NodeArrays['source'][] = [];
  const h5 = await loadHdf5();
  const f = new h5.File(file, 'w');
  try {
    f.create_attribute('snem_run', m.run);
    f.create_attribute('snem_graph_hash', m.graphHash);
    f.create_attribute('snem_dataset_hash', m.datasetHash ?? '');
    f.create_attribute('snem_manifest', JSON.stringify(m));
    if (m.dataset?.meta?.scanStepNm !== undefined)
      f.create_attribute('scan_step_nm', JSON.stringify(m.dataset.meta.scanStepNm));
    for (const id of nodeIds) {
      const n = await load(id);
      sources.push(n.source);
      const g = f.create_group(n.node);
      const mn = m.nodes[n.node];
      g.create_attribute('op', mn?.op ?? '');
      g.create_attribute('key', mn?.key ?? '');
      g.create_attribute('valueHash', mn?.valueHash ?? '');
      g.create_attribute('params', JSON.stringify(mn?.params ?? {}));
      g.create_attribute('inputs', JSON.stringify(mn?.inputNodes ?? {}));
      for (const fa of n.fields) {
        const d = g.create_dataset({ name: fa.field, data: fa.data, shape: fa.shape, dtype: '<f' });
        d.create_attribute('kind', fa.kind);
        if (fa.unit) d.create_attribute('unit', fa.unit);
        if (fa.axis) {
          g.create_dataset({ name: `${fa.field}_axis`, data: fa.axis, shape: [fa.axis.length], dtype: '<f' });
          d.create_attribute('axis', `${fa.field}_axis`);
          d.create_attribute('axis_name', fa.axisName ?? '');
        }
      }
    }
  } finally {
    f.close();
  }
  return sources;
}

/** Root attributes of an HDF5 file (for `snem provenance`). */
export async function readHdf5RootAttrs(file: string): Promise<Record<string, unknown>> {
  const h5 = await loadHdf5();
  const f = new h5.File(file, 'r');
  try {
    const out: Record<string, unknown> = {};
    for (const [k, a] of Object.entries(f.attrs)) out[k] = (a as { value: unknown }).value;
    return out;
  } finally {
    f.close();
  }
}
