/**
 * A small, safe expression language for derived quantities of interest, e.g.
 * `fit.height1 / fit.sigma1`, `fit.c1 + fit.c2`, `max(vdf.value - 3, 0) ^ 2`, `fit.status == 0`.
 *
 * Grammar (nothing else is accepted; there is no eval):
 *   expr    := compare
 *   compare := sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]      → 1 or 0
 *   sum     := product { ("+" | "-" | "−") product }
 *   product := unary { ("*" | "×" | "/" | "÷") unary }
 *   unary   := ("-" | "−" | "+") unary | power
 *   power   := primary [ "^" unary ]                                     (right-associative)
 *   primary := number | name [ "." name ] | func "(" expr { "," expr } ")" | "(" expr ")"
 *   func    := abs | sqrt | log | exp | min | max          constants: pi, e, nan, inf
 * `name.field` refers to a field of the input port `name`; a bare name to its only field.
 * Errors carry the 1-based column of the offending character.
 */

export class ExprError extends Error {
  constructor(
    readonly column: number,
    readonly detail: string,
    readonly source: string,
  ) {
    super(`column ${column}: ${detail}\n  ${source}\n  ${' '.repeat(Math.max(0, column - 1))}^`);
    this.name = 'ExprError';
  }
}

export type Ast =
  | { kind: 'num'; value: number; col: number }
  | { kind: 'ref'; port: string; field: string | null; col: number }
  | { kind: 'unary'; op: '-'; arg: Ast; col: number }
  | { kind: 'binary'; op: BinaryOp; left: Ast; right: Ast; col: number }
  | { kind: 'call'; fn: FuncName; args: Ast[]; col: number };

export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=';
export type FuncName = 'abs' | 'sqrt' | 'log' | 'exp' | 'min' | 'max';

const FUNCS: Record<FuncName, [number, number]> = {
  abs: [1, 1],
  sqrt: [1, 1],
  log: [1, 1],
  exp: [1, 1],
  min: [2, Infinity],
  max: [2, Infinity],
};
const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E, nan: NaN, inf: Infinity };
/** Own keys only: `constructor`, `toString`, `__proto__` are names like any other, not Object's. */
const own = (o: object, key: string) => Object.hasOwn(o, key);
/** Longest expression and deepest nesting: the parser and the compiled program recurse per level. */
export const MAX_EXPR_LENGTH = 4096;
export const MAX_EXPR_DEPTH = 256;

type Tok =
  | { t: 'num'; v: number; col: number }
  | { t: 'name'; v: string; col: number }
  | { t: 'op'; v: string; col: number }
  | { t: 'end'; col: number };

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const alias: Record<string, string> = { '−': '-', '×': '*', '÷': '/', '≤': '<=', '≥': '>=', '≠': '!=' };
  while (i < src.length) {
    const ch = src[i];
    const col = i + 1;
    if (ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(src.slice(i))!;
      toks.push({ t: 'num', v: Number(m[0]), col });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      toks.push({ t: 'name', v: m[0], col });
      i += m[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['<=', '>=', '==', '!='].includes(two)) {
      toks.push({ t: 'op', v: two, col });
      i += 2;
      continue;
    }
    if ('+-*/^()<>,.'.includes(ch)) {
      toks.push({ t: 'op', v: ch, col });
      i++;
      continue;
    }
    if (own(alias, ch)) {
      toks.push({ t: 'op', v: alias[ch], col });
      i++;
      continue;
    }
    throw new ExprError(col, `unexpected character '${ch}'`, src);
  }
  toks.push({ t: 'end', col: src.length + 1 });
  return toks;
}

export function parseExpr(src: string): Ast {
  if (!src.trim()) throw new ExprError(1, 'empty expression', src);
  if (src.length > MAX_EXPR_LENGTH)
    throw new ExprError(
      1,
      `expression longer than ${MAX_EXPR_LENGTH} characters (${src.length}); split it over several qoi.expr nodes`,
      `${src.slice(0, 60)}…`,
    );
  const toks = tokenize(src);
  let k = 0;
  let depth = 0;
  /** Enter one nesting level (parentheses, unary signs, powers, function arguments). */
  const deeper = (t: Tok) => {
    if (++depth > MAX_EXPR_DEPTH)
      throw new ExprError(t.col, `nested deeper than ${MAX_EXPR_DEPTH} levels`, src);
  };
  const peek = () => toks[k];
  const isOp = (v: string) => {
    const t = toks[k];
    return t.t === 'op' && t.v === v;
  };
  const fail = (t: Tok, what: string): never => {
    const found = t.t === 'end' ? 'end of expression' : `'${t.v}'`;
    throw new ExprError(t.col, `expected ${what}, found ${found}`, src);
  };
  const expect = (v: string) => {
    if (!isOp(v)) fail(peek(), `'${v}'`);
    k++;
  };

  function compare(): Ast {
    const left = sum();
    const t = peek();
    if (t.t === 'op' && ['<', '<=', '>', '>=', '==', '!='].includes(t.v)) {
      k++;
      const right = sum();
      const after = peek();
      if (after.t === 'op' && ['<', '<=', '>', '>=', '==', '!='].includes(after.v))
        fail(after, 'an operator other than a second comparison (use parentheses)');
      return { kind: 'binary', op: t.v as BinaryOp, left, right, col: t.col };
    }
    return left;
  }
  function sum(): Ast {
    let left = product();
    for (;;) {
      const t = peek();
      if (t.t === 'op' && (t.v === '+' || t.v === '-')) {
        k++;
        left = { kind: 'binary', op: t.v, left, right: product(), col: t.col };
      } else return left;
    }
  }
  function product(): Ast {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t.t === 'op' && (t.v === '*' || t.v === '/')) {
        k++;
        left = { kind: 'binary', op: t.v, left, right: unary(), col: t.col };
      } else return left;
    }
  }
  function unary(): Ast {
    const t = peek();
    if (t.t === 'op' && (t.v === '-' || t.v === '+')) {
      k++;
      deeper(t);
      const arg = unary();
      depth--;
      return t.v === '-' ? { kind: 'unary', op: '-', arg, col: t.col } : arg;
    }
    return power();
  }
  function power(): Ast {
    const base = primary();
    const t = peek();
    if (t.t === 'op' && t.v === '^') {
      k++;
      deeper(t);
      const right = unary();
      depth--;
      return { kind: 'binary', op: '^', left: base, right, col: t.col };
    }
    return base;
  }
  function primary(): Ast {
    const t = peek();
    if (t.t === 'num') {
      k++;
      return { kind: 'num', value: t.v, col: t.col };
    }
    if (t.t === 'op' && t.v === '(') {
      k++;
      deeper(t);
      const e = compare();
      expect(')');
      depth--;
      return e;
    }
    if (t.t === 'name') {
      k++;
      if (isOp('(')) {
        if (!own(FUNCS, t.v))
          throw new ExprError(
            t.col,
            `unknown function '${t.v}' (known: ${Object.keys(FUNCS).join(', ')})`,
            src,
          );
        k++;
        deeper(t);
        const args = [compare()];
        while (isOp(',')) {
          k++;
          args.push(compare());
        }
        expect(')');
        depth--;
        const [lo, hi] = FUNCS[t.v as FuncName];
        if (args.length < lo || args.length > hi) {
          throw new ExprError(
            t.col,
            `${t.v}() takes ${lo === hi ? lo : `${lo} or more`} argument${lo === 1 && hi === 1 ? '' : 's'}, got ${args.length}`,
            src,
          );
        }
        return { kind: 'call', fn: t.v as FuncName, args, col: t.col };
      }
      if (isOp('.')) {
        k++;
        const f = peek();
        if (f.t !== 'name') fail(f, "a field name after '.'");
        k++;
        return { kind: 'ref', port: t.v, field: (f as { v: string }).v, col: t.col };
      }
      if (own(CONSTANTS, t.v)) return { kind: 'num', value: CONSTANTS[t.v], col: t.col };
      return { kind: 'ref', port: t.v, field: null, col: t.col };
    }
    return fail(t, "a number, a name, a function or '('");
  }

  const ast = compare();
  if (peek().t !== 'end') fail(peek(), 'an operator or end of expression');
  return ast;
}

/** Every `port.field` reference, in order of appearance (for validation and docs). */
export function references(ast: Ast, out: Extract<Ast, { kind: 'ref' }>[] = []) {
  switch (ast.kind) {
    case 'ref':
      out.push(ast);
      break;
    case 'unary':
      references(ast.arg, out);
      break;
    case 'binary':
      references(ast.left, out);
      references(ast.right, out);
      break;
    case 'call':
      for (const a of ast.args) references(a, out);
      break;
  }
  return out;
}

/** A vector program: given a resolver for references, fills out[0..n). */
export type Program = (
  resolve: (ref: Extract<Ast, { kind: 'ref' }>) => ArrayLike<number>,
  n: number,
) => Float64Array;

/**
 * Compile once to a tree of vectorised closures: each node fills one Float64Array for the whole
 * chunk, so the per-position work is a tight loop per operator rather than a tree walk per position.
 */
export function compileExpr(ast: Ast): Program {
  type Node = (resolve: Parameters<Program>[0], n: number) => Float64Array;
  const build = (a: Ast): Node => {
    switch (a.kind) {
      case 'num':
        return (_r, n) => new Float64Array(n).fill(a.value);
      case 'ref':
        return (resolve, n) => {
          const src = resolve(a);
          const out = new Float64Array(n);
          for (let i = 0; i < n; i++) out[i] = src[i];
          return out;
        };
      case 'unary': {
        const arg = build(a.arg);
        return (r, n) => {
          const v = arg(r, n);
          for (let i = 0; i < n; i++) v[i] = -v[i];
          return v;
        };
      }
      case 'binary': {
        const L = build(a.left);
        const R = build(a.right);
        const f = BINARY[a.op];
        return (r, n) => {
          const x = L(r, n);
          const y = R(r, n);
          for (let i = 0; i < n; i++) x[i] = f(x[i], y[i]);
          return x;
        };
      }
      case 'call': {
        const args = a.args.map(build);
        const f = FUNCS_IMPL[a.fn];
        if (args.length === 1) {
          return (r, n) => {
            const x = args[0](r, n);
            for (let i = 0; i < n; i++) x[i] = f(x[i], 0);
            return x;
          };
        }
        return (r, n) => {
          const x = args[0](r, n);
          for (let j = 1; j < args.length; j++) {
            const y = args[j](r, n);
            for (let i = 0; i < n; i++) x[i] = f(x[i], y[i]);
          }
          return x;
        };
      }
    }
  };
  return build(ast);
}

// comparisons propagate NaN so a failed/masked position stays NaN
const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => Math.pow(a, b),
  '<': (a, b) => (a !== a || b !== b ? NaN : a < b ? 1 : 0),
  '<=': (a, b) => (a !== a || b !== b ? NaN : a <= b ? 1 : 0),
  '>': (a, b) => (a !== a || b !== b ? NaN : a > b ? 1 : 0),
  '>=': (a, b) => (a !== a || b !== b ? NaN : a >= b ? 1 : 0),
  '==': (a, b) => (a !== a || b !== b ? NaN : a === b ? 1 : 0),
  '!=': (a, b) => (a !== a || b !== b ? NaN : a !== b ? 1 : 0),
};
// min/max propagate NaN (a failed fit stays a NaN pixel)
const FUNCS_IMPL: Record<FuncName, (a: number, b: number) => number> = {
  abs: (a) => Math.abs(a),
  sqrt: (a) => Math.sqrt(a),
  log: (a) => Math.log(a),
  exp: (a) => Math.exp(a),
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
};
