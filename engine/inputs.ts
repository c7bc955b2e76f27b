/**
 * Uniform access for dataset-scope ops to an input that may be per-position (streamed in chunks)
 * or dataset-level (one value): `inputField` returns the whole field, per-position inputs
 * concatenated to [ny*nx, ...].
 */
import { UserError } from './errors.ts';
import type { DatasetInput, NDArray, Value } from './types.ts';

export async function inputField(
  input: DatasetInput,
  field: string | undefined,
  node: string,
  port: string,
): Promise<NDArray> {
  const first = input.scope === 'dataset' ? input.value : await input.first();
  const names = Object.keys(first.fields);
  const f = field ?? (names.length === 1 ? names[0] : undefined);
  if (!f || !names.includes(f)) {
    throw new UserError(
      `node '${node}', input '${port}': expected field ${field ? `'${field}'` : '(a single field)'}; found ${names.join(', ') || 'none'}`,
    );
  }
  return input.scope === 'dataset' ? input.value.fields[f] : input.gather(f);
}

/**
 * The field an op reads from one input value: the port's conventional field (`frames`, `mask`), else
 * the value's only field (an upstream with one field, or one selected as `node.field`). Undefined
 * when neither, so the caller can say what it expected.
 */
export function fieldOf(v: Value, name: string): NDArray | undefined {
  const own = v.fields[name];
  if (own) return own;
  const names = Object.keys(v.fields);
  return names.length === 1 ? v.fields[names[0]] : undefined;
}

/** fieldOf, or a message naming node, port and the fields found. */
export function requireFieldOf(v: Value, name: string, node: string, port: string): NDArray {
  const f = fieldOf(v, name);
  if (!f)
    throw new UserError(
      `node '${node}', input '${port}': expected field '${name}' (or a single field); found ${Object.keys(v.fields).join(', ') || 'none'}`,
    );
  return f;
}

/** Axes and meta of an input (first chunk for per-position inputs). */
export async function inputInfo(input: DatasetInput): Promise<Value> {
  return input.scope === 'dataset' ? input.value : input.first();
}

/**
 * Visit a per-position field block by block without holding it whole: chunk by chunk for a
 * per-position input (one chunk in memory at a time), the whole array at once for a dataset value.
 * `width(a, count)` returns the samples per position of a block `a` of `count` positions and
 * throws the caller's shape error when it has none; every block must have the first one's width.
 * `fn` gets positions start … start+count−1, `width` samples each, row-major. With `span`
 * [from, to), chunks holding none of those positions are not read.
 */
export async function forEachPositionBlock(
  input: DatasetInput,
  field: string,
  positions: number,
  width: (a: NDArray, count: number) => number,
  fn: (start: number, count: number, data: ArrayLike<number>) => void,
  span?: [number, number],
): Promise<void> {
  if (input.scope === 'dataset') {
    const a = input.value.fields[field];
    width(a, positions);
    fn(0, positions, a.data as ArrayLike<number>);
    return;
  }
  let w = -1;
  for (let i = 0; i < input.chunks.length; i++) {
    const c = input.chunks[i];
    if (span && (c.start + c.count <= span[0] || c.start >= span[1])) continue;
    const a = (await input.chunk(i)).fields[field];
    if (!a) throw new UserError(`input field '${field}' is missing from chunk ${i}`);
    const wi = width(a, c.count);
    if (w >= 0 && wi !== w)
      throw new UserError(`input field '${field}': chunk ${i} has ${wi} samples per position, chunk 0 ${w}`);
    w = wi;
    fn(c.start, c.count, a.data as ArrayLike<number>);
  }
}
