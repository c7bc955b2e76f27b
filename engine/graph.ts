/**
 * Graph files: parse, apply --set overrides, validate (JSON Schema, then semantics) and build the
 * DAG as a graphology graph. Every problem names the node and the field; all problems of a graph
 * are reported together in one message.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { DirectedGraph } from 'graphology';
import { hasCycle, topologicalSort } from 'graphology-dag';
import AjvModule from 'ajv';
import type { NodeDisplay } from './display-settings.ts';
import { UserError } from './errors.ts';
import { resolveParams } from './params.ts';
import { resultScope, type DatasetHandle, type Json, type OpDef, type Registry } from './types.ts';

const require = createRequire(import.meta.url);
const schema = require('../graphs/graph.schema.json');

export type GraphNodeSpec = {
  op: string;
  in?: Record<string, string>;
  params?: Record<string, Json>;
  description?: string;
  display?: NodeDisplay;
};

export interface GraphDoc {
  snem: 1;
  name?: string;
  description?: string;
  dataset?: {
    path: string;
    kind?: 'frames' | 'profiles';
    scan?: [number, number];
    [opt: string]: Json | undefined;
  };
  chunkSize?: number;
  /** `display`: how the node's maps are drawn (presentation only, never part of a node key). */
  nodes: Record<string, GraphNodeSpec>;
  outputs: string[];
}

export interface InputRef {
  node: string;
  /** A single field of the upstream value ("pdf.G" → field G), or undefined for the whole value. */
  field?: string;
}

export interface ResolvedNode {
  id: string;
  op: OpDef;
  params: Record<string, Json>;
  inputs: Record<string, InputRef>;
  /** Params set with --set. */
  overrides: string[];
}

export interface ResolvedGraph {
  doc: GraphDoc;
  file: string | null;
  name: string;
  nodes: Map<string, ResolvedNode>;
  dag: DirectedGraph;
  /** All nodes in a topological order. */
  order: string[];
  outputs: string[];
  /** Outputs and their ancestors: what a run computes. */
  needed: Set<string>;
  warnings: string[];
}

const Ajv = AjvModule as unknown as typeof AjvModule.default;
type Validator = ReturnType<InstanceType<typeof Ajv>['compile']>;
let validator: Validator | null = null;
/**
 * The graph schema's validator, compiled when first needed (not when a command that never checks
 * a graph loads this module). The schema is ours and fixed, so it is not itself checked against
 * JSON Schema's meta-schema each start — that doubled the compile time `snem plan` paid.
 */
function validateSchema(doc: unknown): Validator {
  validator ??= new Ajv({ allErrors: true, allowUnionTypes: true, validateSchema: false }).compile(schema);
  validator(doc);
  return validator;
}

/** Parse `NODE.PARAM=VALUE` (VALUE as JSON, else as a plain string). */
export function parseSet(s: string): { node: string; param: string; value: Json } {
  const m = /^([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(s);
  if (!m)
    throw new UserError(
      `--set '${s}': expected NODE.PARAM=VALUE (VALUE in JSON, e.g. mask.alpha=3 or geom.center='[71.5,70]')`,
    );
  let value: Json;
  try {
    value = JSON.parse(m[3]) as Json;
  } catch {
    value = m[3];
  }
  return { node: m[1], param: m[2], value };
}

export function readGraphFile(file: string): GraphDoc {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `${file}: ${code === 'ENOENT' ? 'no such graph file' : code === 'EISDIR' ? 'is a directory, expected a graph JSON file' : (e as Error).message}`,
    );
  }
  try {
    return JSON.parse(text) as GraphDoc;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

function schemaProblems(doc: unknown): string[] {
  const checked = validateSchema(doc);
  if (!checked.errors?.length) return [];
  return (checked.errors ?? []).map(
    (e: { instancePath: string; keyword: string; message?: string; params: unknown }) => {
      const where = e.instancePath ? e.instancePath.replace(/^\//, '').split('/') : [];
      let subject = 'graph';
      if (where[0] === 'nodes' && where[1])
        subject = `node '${where[1]}', field '${where.slice(2).join('.') || (e.params as { missingProperty?: string }).missingProperty || '(node)'}'`;
      else if (where.length) subject = `field '${where.join('.')}'`;
      let msg = e.message ?? 'invalid';
      if (e.keyword === 'additionalProperties')
        msg = `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
      if (e.keyword === 'required' && where[0] !== 'nodes')
        msg = `missing required field '${(e.params as { missingProperty: string }).missingProperty}'`;
      if (e.keyword === 'propertyNames')
        msg = `node ids must be letters, digits, '_' or '-' (no dots): ${msg}`;
      return `${subject}: ${msg}`;
    },
  );
}

function closest(name: string, options: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(name, o);
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return bestD <= Math.max(2, name.length / 3) ? best : null;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return dp[b.length];
}

export function parseRef(ref: string, nodes: Record<string, unknown>): InputRef {
  if (Object.hasOwn(nodes, ref)) return { node: ref };
  const dot = ref.indexOf('.');
  if (dot > 0) return { node: ref.slice(0, dot), field: ref.slice(dot + 1) };
  return { node: ref };
}

/** "did you mean" for a misspelt name: ` (did you mean 'x'?)` or ''. */
export type Hint = (name: string, options: Iterable<string>) => string;

/**
 * An extra per-node check a layer above the engine adds (display settings: viz/display-check.ts).
 * `op` is undefined when the node's op is unknown (reported separately). Returns problems.
 */
export type NodeCheck = (id: string, spec: GraphNodeSpec, op: OpDef | undefined, hint: Hint) => string[];

export interface ResolveOptions {
  file?: string | null;
  sets?: string[];
  /** The op catalogue (app/wiring.ts gives the built-in ops and plugins). */
  registry: Registry;
  /** Checks beyond ops, params and wiring, reported with every other problem. */
  nodeChecks?: NodeCheck[];
  dataset?: DatasetHandle | null;
  /** The graph names a dataset that is not opened (validate without the file). */
  datasetDeclared?: boolean;
  /** false: skip the ops' own checks, which may need the data (`snem report` reads only structure, params and display). */
  opChecks?: boolean;
}

/** Validate and resolve a graph document; throws one UserError listing every problem. */
export function resolveGraph(input: GraphDoc, opts: ResolveOptions): ResolvedGraph {
  const reg = opts.registry;
  const label = opts.file ?? 'graph';
  const fail = (problems: string[]) => {
    const head = problems.length === 1 ? `${label}: ` : `${label}: ${problems.length} problems:\n  - `;
    return new UserError(head + problems.join('\n  - '));
  };
  const problems = schemaProblems(input);
  // ids every JavaScript object already has (__proto__, constructor, hasOwnProperty …) break lookups
  for (const id of Object.keys(input.nodes)) {
    if (id in Object.prototype)
      problems.push(
        `node '${id}': '${id}' is a reserved name (a property of every JavaScript object); choose another node id`,
      );
  }
  if (problems.length) throw fail(problems);
  const doc = structuredClone(input) as GraphDoc;

  // --set overrides, recorded per node.
  const overrides = new Map<string, string[]>();
  for (const s of opts.sets ?? []) {
    const { node, param, value } = parseSet(s);
    const n = Object.hasOwn(doc.nodes, node) ? doc.nodes[node] : undefined;
    if (!n) {
      problems.push(`--set ${s}: no node '${node}'${hint(node, Object.keys(doc.nodes))}`);
      continue;
    }
    n.params = { ...(n.params ?? {}), [param]: value };
    overrides.set(node, [...(overrides.get(node) ?? []), param]);
  }

  const nodes = new Map<string, ResolvedNode>();
  const dag = new DirectedGraph();
  for (const id of Object.keys(doc.nodes)) dag.addNode(id);

  for (const [id, spec] of Object.entries(doc.nodes)) {
    const op = reg.get(spec.op);
    for (const check of opts.nodeChecks ?? []) problems.push(...check(id, spec, op, hint));
    if (!op) {
      problems.push(`node '${id}', field 'op': unknown op '${spec.op}'${hint(spec.op, reg.keys())}`);
      continue;
    }
    let params: Record<string, Json> = {};
    try {
      params = resolveParams(id, op, spec.params ?? {});
      if (opts.opChecks !== false)
        op.check?.(params as never, {
          node: id,
          dataset: opts.dataset ?? null,
          datasetDeclared: opts.datasetDeclared,
        });
    } catch (e) {
      if (e instanceof UserError) problems.push(e.message);
      else throw e;
    }
    const inputs: Record<string, InputRef> = {};
    const variadic = '*' in op.inputs;
    for (const [port, ref] of Object.entries(spec.in ?? {})) {
      if (!variadic && !Object.hasOwn(op.inputs, port)) {
        problems.push(
          `node '${id}', field 'in.${port}': op '${op.name}' has no input port '${port}' (ports: ${Object.keys(op.inputs).join(', ') || 'none'})`,
        );
        continue;
      }
      const r = parseRef(ref, doc.nodes);
      if (!Object.hasOwn(doc.nodes, r.node)) {
        problems.push(
          `node '${id}', field 'in.${port}': no node '${r.node}'${hint(r.node, Object.keys(doc.nodes))}`,
        );
        continue;
      }
      inputs[port] = r;
      if (r.node === id) problems.push(`node '${id}', field 'in.${port}': a node cannot take its own output`);
      else if (!dag.hasEdge(r.node, id)) dag.addEdge(r.node, id);
    }
    for (const [port, ps] of Object.entries(op.inputs)) {
      if (port === '*' || ps.optional || port in inputs) continue;
      problems.push(
        `node '${id}', field 'in.${port}': missing input (op '${op.name}' needs ${ps.description})`,
      );
    }
    nodes.set(id, { id, op, params, inputs, overrides: overrides.get(id) ?? [] });
  }

  // Scope compatibility once every op is known.
  for (const n of nodes.values()) {
    for (const [port, ref] of Object.entries(n.inputs)) {
      const up = nodes.get(ref.node);
      const want = (n.op.inputs[port] ?? n.op.inputs['*'])?.scope;
      if (!up || !want || want === 'any') continue;
      if (want !== resultScope(up.op)) {
        problems.push(
          `node '${n.id}', field 'in.${port}': expects a ${want === 'frame' ? 'per-position (frame)' : 'dataset-level'} result, but '${ref.node}' (${up.op.name}) is ${up.op.scope === 'frame' ? 'per-position' : 'dataset-level'}`,
        );
      }
    }
  }

  if (hasCycle(dag))
    problems.push(`nodes ${describeCycle(dag)}: the graph has a cycle (a node depends on its own result)`);

  doc.outputs.forEach((o, i) => {
    if (!Object.hasOwn(doc.nodes, o))
      problems.push(`field 'outputs[${i}]': no node '${o}'${hint(o, Object.keys(doc.nodes))}`);
  });
  if (problems.length) throw fail(problems);

  const order = topologicalSort(dag);
  // every ancestor of an output; an explicit stack, not recursion (a 2,000-node chain overflowed it)
  const needed = new Set<string>();
  const stack = [...doc.outputs];
  while (stack.length) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    dag.forEachInNeighbor(id, (up) => stack.push(up));
  }
  const warnings = order
    .filter((id) => !needed.has(id))
    .map((id) => `node '${id}' feeds no output and will not be computed`);
  const shown = new Set(doc.outputs);
  for (const [id, spec] of Object.entries(doc.nodes))
    if (spec.display && !shown.has(id))
      warnings.push(`node '${id}' has display settings but is not in "outputs": no figure shows it`);
  return {
    doc,
    file: opts.file ?? null,
    name: doc.name ?? (opts.file ? path.basename(opts.file, '.json') : 'graph'),
    nodes,
    dag,
    order,
    outputs: doc.outputs,
    needed,
    warnings,
  };
}

function hint(name: string, options: Iterable<string>): string {
  const c = closest(name, options);
  return c ? ` (did you mean '${c}'?)` : '';
}

/** Name the nodes on one cycle (depth-first search for a back edge). */
function describeCycle(dag: DirectedGraph): string {
  const state = new Map<string, number>();
  const stack: string[] = [];
  let cycle: string[] | null = null;
  const dfs = (n: string) => {
    state.set(n, 1);
    stack.push(n);
    for (const m of dag.outNeighbors(n)) {
      if (cycle) return;
      if (state.get(m) === 1) {
        cycle = [...stack.slice(stack.indexOf(m)), m];
        return;
      }
      if (!state.has(m)) dfs(m);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of dag.nodes()) if (!state.has(n) && !cycle) dfs(n);
  return cycle ? (cycle as string[]).map((c) => `'${c}'`).join(' → ') : '(unknown)';
}

export function loadGraph(file: string, opts: Omit<ResolveOptions, 'file'>): ResolvedGraph {
  return resolveGraph(readGraphFile(file), { ...opts, file });
}
