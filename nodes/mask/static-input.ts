/** Reading an optional mask.static value (uint8 [h, w], non-zero = excluded) as a consumer. */
import { UserError } from '../../engine/errors.ts';
import { fieldOf } from '../../engine/inputs.ts';
import type { Value } from '../../engine/types.ts';

export function staticMaskOf(
  v: Value | undefined,
  node: string,
  h: number,
  w: number,
  port = 'static',
): Uint8Array | null {
  if (!v) return null;
  const f = fieldOf(v, 'mask');
  if (!f)
    throw new UserError(`node '${node}', input '${port}': expected a mask.static result (field 'mask')`);
  if (f.data.length !== h * w)
    throw new UserError(
      `node '${node}', input '${port}': mask has ${f.data.length} pixels, the geometry's detector ${h} × ${w}`,
    );
  const out = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) out[p] = f.data[p] ? 1 : 0;
  return out;
}
