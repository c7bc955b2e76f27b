/**
 * qoi.expr: a derived quantity per position from other nodes' scalar results, written as an
 * expression over `port.field` names (e.g. `fit.height1 / fit.sigma1` with "in": {"fit": "fitnode"}).
 * Parsed and compiled once; evaluated as vector loops over each chunk. Never uses eval.
 */
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { defineOp, type NDArray, type Value } from '../../engine/types.ts';
import { ExprError, compileExpr, parseExpr, references, type Ast, type Program } from './expr-parser.ts';

function parseOrThrow(node: string, expr: string): Ast {
  try {
    return parseExpr(expr);
  } catch (e) {
    if (e instanceof ExprError) throw new ParamError(node, 'expr', e.message);
    throw e;
  }
}

/**
 * The chunk's values of one scalar field: a per-position field [count] as is; a dataset-level map
 * [ny, nx] (or [ny·nx]) sliced to this chunk's positions.
 */
export function scalarField(
  a: NDArray,
  start: number,
  count: number,
  total: number,
): ArrayLike<number> | null {
  const size = a.data.length;
  if (a.shape[0] === count && size === count) return a.data;
  if (size === total) return a.data.subarray(start, start + count);
  return null;
}

export const qoiExpr = defineOp({
  name: 'qoi.expr',
  version: 1,
  scope: 'frame',
  title: 'Derived quantity from an expression',
  description:
    'Evaluates a safe arithmetic expression per position over other nodes\' scalar results: + − × ÷ ^, unary −, abs sqrt log exp min max, comparisons (< <= > >= == != give 1/0), parentheses, constants pi e. Names are port.field (or a bare port with one field); bind ports with "in".',
  inputs: {
    '*': { scope: 'any', description: 'any port names; referenced in the expression as port.field' },
  },
  params: {
    expr: { type: 'string', description: 'the expression, e.g. "fit.height1 / fit.sigma1"' },
    unit: { type: 'string', optional: true, description: 'unit of the result (documentation)' },
  },
  outputs: (p) => ({
    fields: {
      value: {
        dims: ['positions'],
        unit: p.unit || undefined,
        description: 'the expression per position (unit: the unit param)',
      },
    },
  }),
  check(p, { node }) {
    parseOrThrow(node, p.expr);
  },
  prepare({ node, params }): { program: Program; ast: Ast } {
    const ast = parseOrThrow(node, params.expr);
    return { ast, program: compileExpr(ast) };
  },
  process({ node, params, chunk, inputs, state, scan }) {
    const total = scan.ny * scan.nx;
    const resolve = (ref: { port: string; field: string | null; col: number }) => {
      const v: Value | undefined = Object.hasOwn(inputs, ref.port) ? inputs[ref.port] : undefined;
      const where = `node '${node}', param 'expr', column ${ref.col}`;
      if (!v)
        throw new UserError(
          `${where}: '${ref.port}' is not an input port of this node (ports: ${Object.keys(inputs).join(', ') || 'none'}); bind it with "in": {"${ref.port}": NODE}`,
        );
      const names = Object.keys(v.fields);
      const field = ref.field ?? (names.length === 1 ? names[0] : null);
      if (!field || !Object.hasOwn(v.fields, field)) {
        throw new UserError(
          `${where}: input '${ref.port}' has no field '${ref.field ?? ''}' (fields: ${names.join(', ')})`,
        );
      }
      const arr = scalarField(v.fields[field], chunk.start, chunk.count, total);
      if (!arr)
        throw new UserError(
          `${where}: '${ref.port}.${field}' is not a scalar per position (shape [${v.fields[field].shape}])`,
        );
      return arr;
    };
    // validate every reference up front so the error names the first bad column
    for (const ref of references(state.ast)) resolve(ref);
    const out = state.program(resolve, chunk.count);
    return {
      fields: { value: f32([chunk.count], out) },
      meta: { expr: params.expr, ...(params.unit ? { units: { value: params.unit } } : {}) },
    };
  },
});
