import { describe, expect, it } from 'vitest';
import { ParamError, UserError } from '../../engine/errors.ts';
import { f32 } from '../../engine/ndarray.ts';
import { ExprError, compileExpr, parseExpr } from '../../nodes/qoi/expr-parser.ts';
import { qoiExpr } from '../../nodes/qoi/expr.ts';

function evalExpr(src: string, vars: Record<string, number[]> = {}) {
  const n = Object.values(vars)[0]?.length ?? 1;
  const prog = compileExpr(parseExpr(src));
  return Array.from(prog((ref) => vars[ref.field ? `${ref.port}.${ref.field}` : ref.port], n));
}

function columnOf(src: string): number {
  try {
    parseExpr(src);
  } catch (e) {
    if (e instanceof ExprError) return e.column;
    throw e;
  }
  throw new Error(`accepted: ${src}`);
}

describe('expression language', () => {
  it('evaluates arithmetic with the usual precedence', () => {
    expect(evalExpr('1 + 2 * 3')).toEqual([7]);
    expect(evalExpr('(1 + 2) * 3')).toEqual([9]);
    expect(evalExpr('2 ^ 3 ^ 2')).toEqual([512]); // right-associative
    expect(evalExpr('-2 ^ 2')).toEqual([-4]);
    expect(evalExpr('10 / 4 - 1')).toEqual([1.5]);
    expect(evalExpr('6 ÷ 3 × 2 − 1')).toEqual([3]);
    expect(evalExpr('abs(-3) + sqrt(16) + exp(0) + log(1)')).toEqual([8]);
    expect(evalExpr('min(3, 1, 2) + max(4, 5)')).toEqual([6]);
    expect(evalExpr('1.5e1 + .5')).toEqual([15.5]);
    expect(evalExpr('pi')[0]).toBeCloseTo(Math.PI, 12);
  });

  it('compares to 1/0 and keeps NaN', () => {
    expect(evalExpr('fit.status == 0', { 'fit.status': [0, 1, 2] })).toEqual([1, 0, 0]);
    expect(evalExpr('x.v <= 2', { 'x.v': [1, 2, 3] })).toEqual([1, 1, 0]);
    expect(evalExpr('x.v != 2', { 'x.v': [1, 2, NaN] }).map(String)).toEqual(['1', '0', 'NaN']);
  });

  it('reads port.field per position', () => {
    const v = evalExpr('fit.height1 / fit.sigma1', { 'fit.height1': [2, 9], 'fit.sigma1': [0.5, 3] });
    expect(v).toEqual([4, 3]);
    expect(evalExpr('fit.c1 + fit.c2', { 'fit.c1': [2.7], 'fit.c2': [3.2] })[0]).toBeCloseTo(5.9, 12);
  });

  it.each([
    ['1 +', 4],
    ['fit.c1 + + ', 12],
    ['eval("x")', 6],
    ['eval(1)', 1],
    ['a; b', 2],
    ['process.exit(1)', 13],
    ['fit.c1 ** 2', 9],
    ['x[0]', 2],
    ['(1 + 2', 7],
    ['1 + 2)', 6],
    ['abs(1, 2)', 1],
    ['min(1)', 1],
    ['a < b < c', 7],
    ["'str'", 1],
    ['x.', 3],
    ['', 1],
    ['a = 1', 3],
    ['2 3', 3],
    ['`x`', 1],
  ])('rejects %j at column %i', (src, col) => {
    expect(columnOf(src)).toBe(col);
  });

  it('constructor-like names are only input references, never JS properties', () => {
    const prog = compileExpr(parseExpr('constructor.constructor + 1'));
    expect(() => prog(() => { throw new UserError('no such port'); }, 1)).toThrow(/no such port/);
  });
});

describe('qoi.expr op', () => {
  const ctxBase = { node: 'sharp', scan: { ny: 1, nx: 4 }, dataset: null, log: () => {} };
  it('reports parse errors as ParamError naming the column', () => {
    expect(() => qoiExpr.check!({ expr: 'fit.h1 / ', unit: null }, { node: 'sharp', dataset: null })).toThrow(ParamError);
    expect(() => qoiExpr.check!({ expr: 'fit.h1 / ', unit: null }, { node: 'sharp', dataset: null })).toThrow(/param 'expr': column 10/);
  });

  it('evaluates a chunk, slicing dataset-level maps to the chunk', async () => {
    const params = { expr: 'fit.height1 / fit.sigma1 + m', unit: null };
    const state = await qoiExpr.prepare!({ ...ctxBase, params, inputs: {} });
    const fit = { fields: { height1: f32([2], [4, 6]), sigma1: f32([2], [2, 3]) } };
    const m = { fields: { value: f32([1, 4], [10, 20, 30, 40]) } };
    const out = await qoiExpr.process!({ ...ctxBase, params, chunk: { index: 1, start: 2, count: 2 }, inputs: { fit, m }, state });
    expect(Array.from(out.fields.value.data)).toEqual([32, 42]);
    await expect(async () => qoiExpr.process!({ ...ctxBase, params, chunk: { index: 1, start: 2, count: 2 }, inputs: { fit }, state })).rejects.toThrow(/column 28: 'm' is not an input port/);
  });
});
