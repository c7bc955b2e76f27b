/**
 * Read, open, hash and validate a graph with the app's wiring (ops, formats, display checks) —
 * on its own so that `snem plan` loads what planning needs, not the run directory writers and
 * the report's drawing libraries.
 */
import { prepare as prepareWith, type Prepared, type PrepareOptions } from '../engine/prepare.ts';
import { engineWiring } from './wiring.ts';

export async function prepare(opts: PrepareOptions): Promise<Prepared> {
  return prepareWith(opts, await engineWiring());
}
