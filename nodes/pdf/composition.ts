/**
 * Composition parsing: a formula with optional (decimal) amounts — "Zr65Cu17.5Ni10Al7.5", "SiO2",
 * "Ni" — or an object of amounts {"Zr": 65, "Cu": 17.5}; amounts are normalised to fractions c_i.
 */
import { knownElement } from './formfactors.ts';

export interface Composition {
  symbols: string[];
  fractions: Float64Array;
}

export class CompositionError extends Error {}

export function parseComposition(spec: unknown): Composition {
  const amounts = new Map<string, number>();
  const add = (sym: string, x: number) => {
    if (!knownElement(sym)) throw new CompositionError(`unknown element '${sym}'`);
    if (!(Number.isFinite(x) && x > 0))
      throw new CompositionError(`amount of ${sym} must be a positive number, got ${x}`);
    amounts.set(sym, (amounts.get(sym) ?? 0) + x);
  };
  if (typeof spec === 'string') {
    const s = spec.replace(/\s+/g, '');
    if (!s) throw new CompositionError('empty composition');
    const re = /([A-Z][a-z]?)(\d+(?:\.\d*)?|\.\d+)?/y;
    let pos = 0;
    while (pos < s.length) {
      re.lastIndex = pos;
      const m = re.exec(s);
      if (!m)
        throw new CompositionError(
          `cannot read '${s}' at '${s.slice(pos)}' (expected an element symbol such as Zr, then an optional amount)`,
        );
      add(m[1], m[2] === undefined ? 1 : Number(m[2]));
      pos = re.lastIndex;
    }
  } else if (spec && typeof spec === 'object' && !Array.isArray(spec)) {
    for (const [sym, x] of Object.entries(spec as Record<string, unknown>)) add(sym, Number(x));
    if (amounts.size === 0) throw new CompositionError('empty composition');
  } else {
    throw new CompositionError(
      `expected a formula string ("Zr65Cu17.5Ni10Al7.5") or an object of amounts, got ${JSON.stringify(spec)}`,
    );
  }
  const symbols = [...amounts.keys()];
  const total = symbols.reduce((t, k) => t + amounts.get(k)!, 0);
  return { symbols, fractions: Float64Array.from(symbols, (k) => amounts.get(k)! / total) };
}
