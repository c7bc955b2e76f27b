/**
 * defineOp infers the params type from the param specs (no twin interface): checked by the
 * compiler (`npm run typecheck` covers test/), each line would fail to compile if the inference
 * were wrong; the runtime assertions check that what engine/params.ts resolves has those types.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveParams } from '../../engine/params.ts';
import { defineOp, typed, type Json, type OpParams } from '../../engine/types.ts';
import { maskAuto } from '../../nodes/mask/auto.ts';
import type { fitGaussians } from '../../nodes/fit/gaussians.ts';

const op = defineOp({
  name: 'types.probe',
  version: 1,
  scope: 'frame',
  title: 'type probe',
  description: 'every kind of param spec',
  inputs: {},
  params: {
    n: { type: 'integer', default: 2, description: 'an integer with a default' },
    x: { type: 'number', optional: true, description: 'an optional number' },
    auto: { type: 'number', auto: true, default: 'auto', description: 'a number or "auto"' },
    mode: { type: 'enum', values: ['a', 'b'], default: 'a', description: 'an enum' },
    pair: { type: 'number[]', length: 2, default: [0, 1], description: 'two numbers' },
    some: { type: 'number[]', length: [1, 3], optional: true, description: 'one to three numbers' },
    names: { type: 'string[]', optional: true, description: 'strings or null' },
    label: { type: 'string', description: 'a required string' },
    flag: { type: 'boolean', default: false, description: 'a boolean' },
    cuts: { type: 'json', default: null, description: 'free JSON, null by default' },
    shells: {
      type: 'json',
      jsonType: typed<Record<string, number>>(),
      optional: true,
      description: 'typed JSON',
    },
  },
  outputs: { fields: {} },
  process: ({ params }) => {
    expectTypeOf(params.n).toEqualTypeOf<number>();
    return { fields: {} };
  },
});

describe('defineOp params inference', () => {
  it('gives each param the type its spec resolves to', () => {
    type P = OpParams<typeof op>;
    expectTypeOf<P['n']>().toEqualTypeOf<number>();
    expectTypeOf<P['x']>().toEqualTypeOf<number | null>();
    expectTypeOf<P['auto']>().toEqualTypeOf<number | 'auto'>();
    expectTypeOf<P['mode']>().toEqualTypeOf<'a' | 'b'>();
    expectTypeOf<P['pair']>().toEqualTypeOf<[number, number]>();
    expectTypeOf<P['some']>().toEqualTypeOf<number[] | null>();
    expectTypeOf<P['names']>().toEqualTypeOf<string[] | null>();
    expectTypeOf<P['label']>().toEqualTypeOf<string>();
    expectTypeOf<P['flag']>().toEqualTypeOf<boolean>();
    expectTypeOf<P['cuts']>().toEqualTypeOf<Json>();
    expectTypeOf<P['shells']>().toEqualTypeOf<Record<string, number> | null>();

    const p = resolveParams('probe', op, { label: 'L', x: 'inf', auto: 3 }) as unknown as P;
    expect(p).toEqual({
      n: 2,
      x: Infinity,
      auto: 3,
      mode: 'a',
      pair: [0, 1],
      some: null,
      names: null,
      label: 'L',
      flag: false,
      cuts: null,
      shells: null,
    });
  });

  it('types the real ops: mask.auto upperThresh is a number (engine/params.ts turned "inf" into ∞), not a string to re-parse', () => {
    expectTypeOf<OpParams<typeof maskAuto>['upperThresh']>().toEqualTypeOf<number | null>();
    expectTypeOf<OpParams<typeof fitGaussians>['range']>().toEqualTypeOf<[number, number]>();
    expect(resolveParams('m', maskAuto, { upperThresh: 'inf' }).upperThresh).toBe(Infinity);
  });
});
