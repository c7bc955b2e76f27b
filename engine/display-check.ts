/**
 * What the engine knows of `display` settings: which field names an op declares (for the checks
 * in viz/display-check.ts), and the graph without them (display never enters a hash).
 */
import type { GraphDoc } from './graph.ts';
import type { Json, OpDef } from './types.ts';

/**
 * Which field names an op produces, read from its declared outputs: plain names, comma lists
 * ("XX, ZrZr, ZrX"), numbered families ("A1…An" → A1, A2, …), "<param>_err" (any name ending in
 * _err) and open names ("<name>", "<field>": anything).
 */
export function fieldMatcher(op: OpDef): (field: string) => boolean {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  let open = false;
  for (const key of Object.keys(op.outputs)) {
    for (const part of key.split(/\s*,\s*/)) {
      const family = /^([A-Za-z_]+)1…\1n$/.exec(part);
      if (family) patterns.push(new RegExp(`^${family[1]}\\d+$`));
      else if (/^<[^>]+>$/.test(part)) open = true;
      else if (/^<[^>]+>(.+)$/.test(part))
        patterns.push(
          new RegExp(`^.+${part.replace(/^<[^>]+>/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
        );
      else exact.add(part);
    }
  }
  return (f) => open || exact.has(f) || patterns.some((p) => p.test(f));
}

/** The graph without its display settings: what determines the results (graph hash, `snem report` comparisons). */
export function withoutDisplay(doc: GraphDoc): GraphDoc {
  if (
    !doc ||
    typeof doc !== 'object' ||
    !doc.nodes ||
    !Object.values(doc.nodes).some((n) => n && typeof n === 'object' && 'display' in n)
  )
    return doc;
  const nodes: GraphDoc['nodes'] = {};
  for (const [id, n] of Object.entries(doc.nodes)) {
    const { display: _display, ...rest } = n as GraphDoc['nodes'][string] & { display?: Json };
    nodes[id] = rest;
  }
  return { ...doc, nodes };
}
