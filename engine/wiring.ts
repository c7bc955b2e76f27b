/**
 * What the engine is given rather than imports: the op catalogue, how a dataset file is opened,
 * and extra graph checks. The engine never imports ops, formats or the report (a test over the
 * import graph keeps it so); app/wiring.ts builds the wiring the CLI, studio and cluster use.
 *
 * Worker threads cannot receive functions, so a pipeline setup names a *module* by URL whose
 * `engineWiring()` builds the same wiring inside the worker.
 */
import type { DatasetSpec } from './dataset.ts';
import type { NodeCheck } from './graph.ts';
import type { DatasetHandle, Registry } from './types.ts';

export interface EngineWiring {
  /** The op catalogue graphs are resolved against. */
  registry: Registry;
  /** Open a dataset file (format dispatch lives in formats/). Async: some readers load a library. */
  openDataset(spec: DatasetSpec): Promise<DatasetHandle>;
  /** Checks beyond ops and params (display settings), reported with every other graph problem. */
  nodeChecks?: NodeCheck[];
  /** URL of a module exporting `engineWiring(): Promise<EngineWiring>`, loaded by chunk workers. */
  module: string;
}

/** Build the wiring a worker needs from the module the main thread named. */
export async function loadWiring(moduleUrl: string): Promise<EngineWiring> {
  const mod = (await import(moduleUrl)) as { engineWiring?: () => Promise<EngineWiring> };
  if (typeof mod.engineWiring !== 'function')
    throw new Error(`wiring module ${moduleUrl} does not export engineWiring()`);
  return mod.engineWiring();
}
