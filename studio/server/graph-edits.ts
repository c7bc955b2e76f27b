/**
 * Graph edits as data (studio/API.md "Graph editing"): each gesture of the page is one of these,
 * applied to a copy of the graph document. Structural mistakes (no such node, a port that is not
 * there) are refused here; everything else is left to the engine's validator afterwards.
 */
import type { GraphDoc } from '../../engine/graph.ts';
import type { Json } from '../../engine/types.ts';
import { HttpError } from './http-errors.ts';

type NodeDef = GraphDoc['nodes'][string];

export type Edit =
  | { op: 'set'; node: string; param: string; value: Json }
  | { op: 'add'; node: string; def: NodeDef; output?: boolean }
  | { op: 'delete'; node: string }
  | { op: 'wire'; node: string; port: string; from: string }
  | { op: 'unwire'; node: string; port: string }
  | { op: 'display'; node: string; display: NodeDef['display'] | null }
  | { op: 'outputs'; outputs: string[] }
  | { op: 'rename'; node: string; to: string }
  | { op: 'replace'; graph: GraphDoc };

const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Names that collide with Object.prototype members (graphology and plain-object lookups trip on them). */
const RESERVED = new Set(Object.getOwnPropertyNames(Object.prototype));

function str(v: unknown, what: string, field?: string): string {
  if (typeof v !== 'string' || v === '')
    throw new HttpError(400, `edit: '${what}' must be a non-empty string`, field ? { field } : {});
  return v;
}

function nodeOf(doc: GraphDoc, id: unknown): NodeDef {
  const n = str(id, 'node');
  if (!Object.hasOwn(doc.nodes, n)) throw new HttpError(404, `edit: no node '${n}'`, { node: n });
  return doc.nodes[n];
}

function checkNewId(doc: GraphDoc, id: unknown): string {
  const n = str(id, 'node');
  if (!ID.test(n) || RESERVED.has(n))
    throw new HttpError(
      400,
      `node '${n}': ids are letters, digits, '_' or '-', starting with a letter or '_', and not a reserved name`,
      { node: n },
    );
  if (Object.hasOwn(doc.nodes, n)) throw new HttpError(400, `node '${n}' already exists`, { node: n });
  return n;
}

/** Apply one edit in place to `doc` (a private copy). */
export function applyEdit(doc: GraphDoc, e: Edit): void {
  if (!e || typeof e !== 'object') throw new HttpError(400, 'edit: expected an object {op, …}');
  switch (e.op) {
    case 'set': {
      const n = nodeOf(doc, e.node);
      const param = str(e.param, 'param');
      if (RESERVED.has(param))
        throw new HttpError(400, `node '${e.node}', param '${param}': not a param name`, {
          node: e.node,
          field: param,
        });
      const params = { ...(n.params ?? {}) };
      if (e.value === null || e.value === undefined) delete params[param];
      else params[param] = e.value;
      n.params = params;
      return;
    }
    case 'add': {
      const id = checkNewId(doc, e.node);
      if (!e.def || typeof e.def !== 'object' || typeof e.def.op !== 'string')
        throw new HttpError(400, `node '${id}': 'def' must be {op, in?, params?}`, { node: id, field: 'op' });
      doc.nodes[id] = structuredClone(e.def);
      if (e.output && !doc.outputs.includes(id)) doc.outputs.push(id);
      return;
    }
    case 'delete': {
      const id = str(e.node, 'node');
      nodeOf(doc, id);
      delete doc.nodes[id];
      doc.outputs = doc.outputs.filter((o) => o !== id);
      return;
    }
    case 'wire': {
      const n = nodeOf(doc, e.node);
      const port = str(e.port, 'port');
      n.in = { ...(n.in ?? {}), [port]: str(e.from, 'from') };
      return;
    }
    case 'unwire': {
      const n = nodeOf(doc, e.node);
      const port = str(e.port, 'port');
      if (!n.in || !(port in n.in))
        throw new HttpError(400, `node '${e.node}', input '${port}': not connected`, {
          node: e.node,
          field: port,
        });
      const ins = { ...n.in };
      delete ins[port];
      n.in = ins;
      return;
    }
    case 'display': {
      const n = nodeOf(doc, e.node);
      if (e.display === null || e.display === undefined) delete n.display;
      else n.display = structuredClone(e.display);
      return;
    }
    case 'outputs': {
      if (!Array.isArray(e.outputs) || !e.outputs.every((o) => typeof o === 'string'))
        throw new HttpError(400, "edit 'outputs': expected a list of node ids", { field: 'outputs' });
      doc.outputs = [...e.outputs];
      return;
    }
    case 'rename': {
      nodeOf(doc, e.node);
      const to = checkNewId(doc, e.to);
      const rebuilt: GraphDoc['nodes'] = {};
      for (const [id, def] of Object.entries(doc.nodes)) rebuilt[id === e.node ? to : id] = def;
      for (const def of Object.values(rebuilt)) {
        for (const [port, ref] of Object.entries(def.in ?? {})) {
          if (ref === e.node) def.in![port] = to;
          else if (ref.startsWith(`${e.node}.`)) def.in![port] = to + ref.slice(e.node.length);
        }
      }
      doc.nodes = rebuilt;
      doc.outputs = doc.outputs.map((o) => (o === e.node ? to : o));
      return;
    }
    case 'replace': {
      if (!e.graph || typeof e.graph !== 'object')
        throw new HttpError(400, "edit 'replace': expected {graph: {…}}");
      const g = structuredClone(e.graph);
      for (const k of Object.keys(doc)) delete (doc as unknown as Record<string, unknown>)[k];
      Object.assign(doc, g);
      return;
    }
    default:
      throw new HttpError(
        400,
        `edit: unknown op '${String((e as { op?: unknown }).op)}' (set, add, delete, wire, unwire, display, outputs, rename, replace)`,
      );
  }
}

/** After deletes: users of a deleted node make the graph invalid; name them (the validator would say "no node"). */
export function danglingUsers(doc: GraphDoc): { node: string; port: string; ref: string }[] {
  const out: { node: string; port: string; ref: string }[] = [];
  for (const [id, def] of Object.entries(doc.nodes)) {
    for (const [port, ref] of Object.entries(def.in ?? {})) {
      const target = Object.hasOwn(doc.nodes, ref) ? ref : ref.split('.')[0];
      if (!Object.hasOwn(doc.nodes, target)) out.push({ node: id, port, ref });
    }
  }
  return out;
}
