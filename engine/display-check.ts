/**
 * What the engine knows of `display` settings: which field names a node's op declares (for the
 * checks in viz/display-check.ts), and the graph without them (display never enters a hash).
 */
import type { GraphDoc } from './graph.ts';
import { catalogueOutputs, declaredOutputs, fieldMatcher } from './declared-outputs.ts';
import { resolveParams } from './params.ts';
import type { Json, OpDef } from './types.ts';

/**
 * Which field names a node's op produces with the node's params (its declared outputs; any name
 * where it declares data-named fields). Params that do not resolve: the catalogue's (their errors
 * are reported by the param check).
 */
export function fieldMatcherFor(
  op: OpDef,
  id: string,
  params: Record<string, unknown> | undefined,
): { known: (field: string) => boolean; declared: string[] } {
  let decl;
  try {
    decl = declaredOutputs(op, resolveParams(id, op, params ?? {}));
  } catch {
    decl = catalogueOutputs(op);
  }
  return { known: fieldMatcher(decl), declared: Object.keys(decl.fields) };
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
