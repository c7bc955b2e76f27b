/**
 * Param checking against an op's declarations: fills defaults, rejects wrong types and
 * out-of-range values with a message that names node, param, what was expected and what was found.
 */
import { ParamError } from './errors.ts';
import type { Json, OpDef, ParamSpec } from './types.ts';

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function expected(spec: ParamSpec): string {
  let base: string;
  switch (spec.type) {
    case 'enum':
      base = `one of ${spec.values?.map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'number[]':
      base = 'an array of numbers';
      if (typeof spec.length === 'number') base = `an array of ${spec.length} numbers`;
      else if (Array.isArray(spec.length)) base = `an array of ${spec.length[0]}–${spec.length[1]} numbers`;
      break;
    case 'string[]':
      base = 'an array of strings';
      break;
    case 'integer':
      base = 'an integer';
      break;
    case 'json':
      base = 'a JSON value';
      break;
    default:
      base = `a ${spec.type}`;
  }
  const range: string[] = [];
  if (spec.min !== undefined) range.push(`≥ ${spec.min}`);
  if (spec.exclusiveMin !== undefined) range.push(`> ${spec.exclusiveMin}`);
  if (spec.max !== undefined) range.push(`≤ ${spec.max}`);
  let s = range.length ? `${base} ${range.join(' and ')}` : base;
  if (spec.unit) s += ` (${spec.unit})`;
  if (spec.unbounded) s += ', "inf" / "-inf" for none';
  if (spec.auto) s += ' or "auto"';
  return s;
}

function inRange(spec: ParamSpec, x: number): boolean {
  if (x === Infinity) return spec.max === undefined && (spec.type === 'number' || spec.unbounded === true);
  if (x === -Infinity)
    return spec.min === undefined && spec.exclusiveMin === undefined && spec.unbounded === true;
  if (spec.min !== undefined && x < spec.min) return false;
  if (spec.exclusiveMin !== undefined && x <= spec.exclusiveMin) return false;
  if (spec.max !== undefined && x > spec.max) return false;
  return true;
}

/** JSON has no Infinity: accept the strings "inf"/"Infinity" for unbounded numeric params. */
function coerceInfinity(v: unknown): unknown {
  if (v === 'inf' || v === 'Infinity' || v === '+inf') return Infinity;
  if (v === '-inf' || v === '-Infinity') return -Infinity;
  return v;
}

export function checkParam(node: string, name: string, spec: ParamSpec, raw: unknown): Json {
  if (spec.auto && raw === 'auto') return 'auto';
  const fail = () => new ParamError(node, name, `expected ${expected(spec)}, got ${describe(raw)}`);
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const v = coerceInfinity(raw);
      if (typeof v !== 'number' || Number.isNaN(v)) throw fail();
      if (spec.type === 'integer' && !Number.isInteger(v)) throw fail();
      if (!inRange(spec, v)) throw fail();
      return v as Json;
    }
    case 'string':
      if (typeof raw !== 'string') throw fail();
      return raw;
    case 'boolean':
      if (typeof raw !== 'boolean') throw fail();
      return raw;
    case 'enum':
      if (typeof raw !== 'string' || !spec.values?.includes(raw)) throw fail();
      return raw;
    case 'number[]': {
      if (!Array.isArray(raw)) throw fail();
      const arr = raw.map(coerceInfinity);
      if (!arr.every((x) => typeof x === 'number' && !Number.isNaN(x))) throw fail();
      if (typeof spec.length === 'number' && arr.length !== spec.length) throw fail();
      if (Array.isArray(spec.length) && (arr.length < spec.length[0] || arr.length > spec.length[1]))
        throw fail();
      if (!(arr as number[]).every((x) => inRange(spec, x))) throw fail();
      return arr as Json;
    }
    case 'string[]':
      if (!Array.isArray(raw) || !raw.every((x) => typeof x === 'string')) throw fail();
      return raw as Json;
    case 'json':
      return raw as Json;
  }
}

/** Every declared param with defaults filled in; unknown params are an error. */
export function resolveParams(
  node: string,
  op: OpDef,
  given: Record<string, unknown> = {},
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const key of Object.keys(given)) {
    if (!(key in op.params)) {
      const known = Object.keys(op.params);
      throw new ParamError(
        node,
        key,
        `op '${op.name}' has no such param (it takes: ${known.length ? known.join(', ') : 'no params'})`,
      );
    }
  }
  for (const [name, spec] of Object.entries(op.params)) {
    const raw = given[name];
    if (raw === undefined || raw === null) {
      if (spec.default !== undefined) out[name] = spec.default;
      else if (spec.optional) out[name] = null;
      else throw new ParamError(node, name, `required param is missing: expected ${expected(spec)}`);
      continue;
    }
    out[name] = checkParam(node, name, spec, raw);
  }
  return out;
}
