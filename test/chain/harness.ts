/** Calling ops directly (without the engine executor): params resolved like the engine does. */
import { resolveParams } from '../../engine/params.ts';
import type { ChunkInfo, OpDef, Value } from '../../engine/types.ts';

export function params(op: OpDef, given: Record<string, unknown> = {}, node = 'n'): any {
  const p = resolveParams(node, op, given);
  op.check?.(p, { node, dataset: null });
  return p;
}

/** Run a dataset op whose inputs are whole values (dataset scope) or one chunk of frames. */
export async function runDataset(
  op: OpDef,
  given: Record<string, unknown>,
  inputs: Record<string, Value | { frames: Value; chunk: ChunkInfo }>,
  scan = { ny: 1, nx: 1 },
  node = 'n',
): Promise<Value> {
  const p = params(op, given, node);
  const ins: Record<string, any> = {};
  for (const [k, v] of Object.entries(inputs)) {
    if ('chunk' in v) {
      const val = (v as { frames: Value }).frames;
      const c = (v as { chunk: ChunkInfo }).chunk;
      ins[k] = {
        scope: 'frame',
        chunks: [c],
        chunk: async () => val,
        first: async () => val,
        gather: async (f: string) => val.fields[f],
      };
    } else ins[k] = { scope: 'dataset', value: v };
  }
  const ctx = { node, params: p, scan, dataset: null, log: () => {}, inputs: ins, workers: 1 };
  if (op.scope !== 'reduce') return op.run!(ctx);
  // a reduce op as the engine runs it: its partial of the (one) chunk of its reduce ports, when it wants one, then finish
  const ported = op.reduce!.ports.filter((k) => k in inputs && 'chunk' in inputs[k]);
  const c = ported.length ? (inputs[ported[0]] as { chunk: ChunkInfo }).chunk : null;
  const positions =
    op.reduce!.positions?.(p, { scan, dataset: null, connected: Object.keys(inputs) }) ?? 'all';
  const wanted = c && (positions === 'all' || positions.some((q) => q >= c.start && q < c.start + c.count));
  const chunkInputs = Object.fromEntries(ported.map((k) => [k, (inputs[k] as { frames: Value }).frames]));
  const partial = wanted
    ? await op.process!({
        node,
        params: p,
        scan,
        dataset: null,
        log: () => {},
        chunk: c,
        inputs: chunkInputs,
        state: undefined,
      })
    : null;
  return op.finish!({ ...ctx, partial });
}

/** prepare + process of a frame op on one chunk. */
export async function runFrame(
  op: OpDef,
  given: Record<string, unknown>,
  datasetInputs: Record<string, Value>,
  chunkInputs: Record<string, Value>,
  count: number,
  start = 0,
  scan = { ny: 1, nx: count },
  node = 'n',
): Promise<Value> {
  const p = params(op, given, node);
  const base = { node, params: p, scan, dataset: null, log: () => {} };
  const state = op.prepare ? await op.prepare({ ...base, inputs: datasetInputs }) : undefined;
  return op.process!({
    ...base,
    chunk: { index: 0, start, count },
    inputs: { ...datasetInputs, ...chunkInputs },
    state,
  });
}
