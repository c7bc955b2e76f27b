/**
 * The composition root: the engine given the built-in ops (plus SNEM_OPS plugins), the dataset
 * readers of formats/ and the display checks of viz/. The CLI, the studio and the cluster worker
 * all run the engine through this wiring; chunk workers rebuild it from this module's URL.
 */
import type { DatasetSpec } from '../engine/dataset.ts';
import type { EngineWiring } from '../engine/wiring.ts';
import { openDatasetAsync, type OpenOptions } from '../formats/open.ts';
import { loadPluginOps, registry } from '../nodes/registry.ts';
import { displayCheck } from '../viz/display-check.ts';

/** Open the dataset a graph names (async: HDF5 readers load h5wasm first). */
export function openDatasetSpec(spec: DatasetSpec) {
  return openDatasetAsync(spec.path, spec.options as OpenOptions);
}

/** The wiring with every op registered now (built-in, plugins from SNEM_OPS, and registerOps()). */
export async function engineWiring(): Promise<EngineWiring> {
  await loadPluginOps();
  return {
    registry: registry(),
    openDataset: openDatasetSpec,
    nodeChecks: [displayCheck],
    module: new URL('./wiring.ts', import.meta.url).href,
  };
}
