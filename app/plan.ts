/** `snem plan` with the app's wiring: open the graph, plan it, close it. */
import { planPrepared, type Plan } from '../engine/plan.ts';
import type { PrepareOptions } from '../engine/prepare.ts';
import { prepare } from './prepare.ts';

export async function planGraph(opts: PrepareOptions): Promise<Plan> {
  const pre = await prepare(opts);
  try {
    return await planPrepared(pre, opts);
  } finally {
    pre.dataset?.close();
    await pre.store.close();
  }
}
