/**
 * Electron scattering factors f_e (Å) from the Lobato (default) or Kirkland parametrisations.
 * Both tables are parametrised in g = 1/d = Q / 2π (Å⁻¹); every function here takes Q (Å⁻¹, Q = 2π/d)
 * and converts, so callers never juggle the two.
 */
import { createRequire } from 'node:module';
import { UserError } from '../../engine/errors.ts';

const require = createRequire(import.meta.url);

interface LobatoRow {
  symbol: string;
  a: number[];
  b: number[];
}
interface KirklandRow extends LobatoRow {
  c: number[];
  d: number[];
}

const lobato = require('./data/lobato.json') as Record<string, LobatoRow>;
const kirkland = require('./data/kirkland.json') as Record<string, KirklandRow>;

export type FormFactorTable = 'lobato' | 'kirkland';

const SYMBOL_TO_Z = new Map<string, number>();
for (const [z, row] of Object.entries(lobato)) {
  if (z !== '_meta') SYMBOL_TO_Z.set(row.symbol, Number(z));
}

export function atomicNumber(symbol: string): number {
  const z = SYMBOL_TO_Z.get(symbol);
  if (z === undefined) throw new UserError(`unknown element '${symbol}'`);
  return z;
}

export function knownElement(symbol: string): boolean {
  return SYMBOL_TO_Z.has(symbol);
}

/** Lobato & Van Dyck (2014): f(g) = Σ a_i (2 + b_i g²) / (1 + b_i g²)², g = 1/d. */
export function lobatoFg(z: number, g: number): number {
  const row = lobato[String(z)];
  const g2 = g * g;
  let f = 0;
  for (let i = 0; i < 5; i++) {
    const t = 1 + row.b[i] * g2;
    f += (row.a[i] * (2 + row.b[i] * g2)) / (t * t);
  }
  return f;
}

/** Kirkland (2010): f(q) = Σ a_i / (q² + b_i) + Σ c_i exp(−d_i q²), q = 1/d. */
export function kirklandFg(z: number, g: number): number {
  const row = kirkland[String(z)];
  const g2 = g * g;
  let f = 0;
  for (let i = 0; i < 3; i++) f += row.a[i] / (g2 + row.b[i]) + row.c[i] * Math.exp(-row.d[i] * g2);
  return f;
}

/** f_e(Q) in Å for element `symbol` at scattering vector Q (Å⁻¹, Q = 2π/d). */
export function formFactorQ(symbol: string, q: number, table: FormFactorTable = 'lobato'): number {
  const z = atomicNumber(symbol);
  const g = q / (2 * Math.PI);
  return table === 'kirkland' ? kirklandFg(z, g) : lobatoFg(z, g);
}

/** f_e on a whole Q grid (Å⁻¹), one Float64Array per call. */
export function formFactorCurve(
  symbol: string,
  q: ArrayLike<number>,
  table: FormFactorTable = 'lobato',
): Float64Array {
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = formFactorQ(symbol, q[i], table);
  return out;
}
