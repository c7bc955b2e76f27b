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
    expect(() =>
      prog(() => {
        throw new UserError('no such port');
      }, 1),
    ).toThrow(/no such port/);
  });
});

describe('qoi.expr op', () => {
  const ctxBase = { node: 'sharp', scan: { ny: 1, nx: 4 }, dataset: null, log: () => {} };
  it('reports parse errors as ParamError naming the column', () => {
    expect(() => qoiExpr.check!({ expr: 'fit.h1 / ', unit: null }, { node: 'sharp', dataset: null })).toThrow(
      ParamError,
    );
    expect(() => qoiExpr.check!({ expr: 'fit.h1 / ', unit: null }, { node: 'sharp', dataset: null })).toThrow(
      /param 'expr': column 10/,
    );
  });

  it('evaluates a chunk, slicing dataset-level maps to the chunk', async () => {
    const params = { expr: 'fit.height1 / fit.sigma1 + m', unit: null };
    const state = await qoiExpr.prepare!({ ...ctxBase, params, inputs: {} });
    const fit = { fields: { height1: f32([2], [4, 6]), sigma1: f32([2], [2, 3]) } };
    const m = { fields: { value: f32([1, 4], [10, 20, 30, 40]) } };
    const out = await qoiExpr.process!({
      ...ctxBase,
      params,
      chunk: { index: 1, start: 2, count: 2 },
      inputs: { fit, m },
      state,
    });
    expect(Array.from(out.fields.value.data)).toEqual([32, 42]);
    await expect(async () =>
      qoiExpr.process!({
        ...ctxBase,
        params,
        chunk: { index: 1, start: 2, count: 2 },
        inputs: { fit },
        state,
      }),
    ).rejects.toThrow(/column 28: 'm' is not an input port/);
  });
});

describe('qoi.expr: names from Object.prototype and runaway nesting (issue #17)', () => {
  const ctxBase = { node: 'x', scan: { ny: 1, nx: 2 }, dataset: null, log: () => {} };
  const fit = { fields: { c1: f32([2], [2.7, 2.8]) } };
  const run = async (expr: string) => {
    const params = { expr, unit: null };
    qoiExpr.check!(params, { node: 'x', dataset: null });
    const state = await qoiExpr.prepare!({ ...ctxBase, params, inputs: {} });
    return qoiExpr.process!({
      ...ctxBase,
      params,
      chunk: { index: 0, start: 0, count: 2 },
      inputs: { fit },
      state,
    });
  };

  it('toString(x), hasOwnProperty(x) are unknown functions at validate time', () => {
    expect(columnOf('toString(1)')).toBe(1);
    expect(() => parseExpr('fit.c1 + hasOwnProperty(2)')).toThrow(
      /column 10: unknown function 'hasOwnProperty'/,
    );
  });

  it('a bare constructor / __proto__ is a port reference, not a constant (it ran to an all-NaN map)', async () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(parseExpr(name)).toMatchObject({ kind: 'ref', port: name, field: null });
      await expect(run(`${name} + 1`)).rejects.toThrow(
        new RegExp(`'${name}' is not an input port of this node \\(ports: fit\\)`),
      );
    }
  });

  it('fit.constructor is a missing field with a message (it was an internal error)', async () => {
    await expect(run('fit.constructor')).rejects.toThrow(
      /input 'fit' has no field 'constructor' \(fields: c1\)/,
    );
    await expect(run('fit.__proto__ * 2')).rejects.toThrow(/input 'fit' has no field '__proto__'/);
    expect(Array.from((await run('fit.c1 * 10')).fields.value.data).map((v) => Math.round(v))).toEqual([
      27, 28,
    ]);
  });

  it('100k parentheses, 300 signs or a 10k-character sum are refused with a message, not a stack overflow', () => {
    expect(() => parseExpr(`${'('.repeat(100_000)}1${')'.repeat(100_000)}`)).toThrow(
      /expression longer than 4096 characters/,
    );
    expect(() => parseExpr(`${'('.repeat(1000)}1${')'.repeat(1000)}`)).toThrow(
      /column 257: nested deeper than 256 levels/,
    );
    expect(() => parseExpr(`${'-'.repeat(300)}1`)).toThrow(/nested deeper than 256 levels/);
    expect(() => parseExpr(Array(5000).fill('1').join('+'))).toThrow(/longer than 4096/);
    // what is allowed runs: 200 levels, and the longest sum
    expect(evalExpr(`${'('.repeat(200)}2${')'.repeat(200)}`)).toEqual([2]);
    expect(evalExpr(Array(2048).fill('1').join('+'))).toEqual([2048]);
  });
});
