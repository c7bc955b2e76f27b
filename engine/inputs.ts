/**
 * Uniform access for dataset-scope ops to an input that may be per-position (streamed in chunks)
 * or dataset-level (one value): `inputField` returns the whole field, per-position inputs
 * concatenated to [ny*nx, ...].
 */
import { UserError } from './errors.ts';
import type { DatasetInput, NDArray, Value } from './types.ts';

export async function inputField(input: DatasetInput, field: string | undefined, node: string, port: string): Promise<NDArray> {
  const first = input.scope === 'dataset' ? input.value : await input.first();
  const names = Object.keys(first.fields);
  const f = field ?? (names.length === 1 ? names[0] : undefined);
  if (!f || !names.includes(f)) {
    throw new UserError(`node '${node}', input '${port}': expected field ${field ? `'${field}'` : '(a single field)'}; found ${names.join(', ') || 'none'}`);
  }
  return input.scope === 'dataset' ? input.value.fields[f] : input.gather(f);
}

/** Axes and meta of an input (first chunk for per-position inputs). */
export async function inputInfo(input: DatasetInput): Promise<Value> {
  return input.scope === 'dataset' ? input.value : input.first();
}
