/**
 * snem as a library: `import { openGraph, plan, run } from 'snem'`. The CLI, the studio and the
 * cluster worker all drive the engine through this module (README, "Programmatic use").
 */
export {
  openGraph,
  plan,
  run,
  type GraphRunOptions,
  type OpenGraphOptions,
  type SnemGraph,
} from './open-graph.ts';
export { prepare, runGraph, runPrepared, type RunOptions, type RunResult } from './run.ts';
export { planGraph } from './plan.ts';
export { engineWiring } from './wiring.ts';
export type { Plan, PlanEntry } from '../engine/plan.ts';
export type { ProgressEvent } from '../engine/progress.ts';
export type { GraphDoc, ResolvedGraph, ResolvedNode } from '../engine/graph.ts';
export type { Manifest, WrittenOutput } from '../engine/run-types.ts';
export type { ChunkInfo, DatasetHandle, NDArray, OpDef, Registry, Value } from '../engine/types.ts';
export { RunAborted, UserError } from '../engine/errors.ts';
