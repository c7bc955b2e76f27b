/**
 * How a map is drawn by default, as the report draws it: colormap and colour limits from the
 * node's `display` settings (else viridis / RdBu_r for signed quantities, limits at the 1st–99th
 * percentile). Sent with every map so the page starts from the report's look; the page may change
 * colormap, log and limits without asking the server.
 */
import type { NodeDisplay } from '../../viz/display.ts';
import { displayFor, limitsOf, mapStyleOf, styleRecord } from '../../viz/display.ts';

export function mapStyle(
  display: NodeDisplay | null | undefined,
  hint: { node: string; field: string; op: string },
  values: ArrayLike<number>,
) {
  const style = mapStyleOf(displayFor(display, hint.field), hint);
  return styleRecord(style, limitsOf(values, style));
}
