/** Canonical JSON (engine/canonical-json.ts): key order never matters, everything else does. */
import { describe, expect, it } from 'vitest';
import { canonicalJson, sortKeys } from '../../engine/canonical-json.ts';

describe('canonical JSON', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ x: [2, 1] })).not.toBe(canonicalJson({ x: [1, 2] }));
    expect(canonicalJson({ p: 1, q: '1' })).not.toBe(canonicalJson({ p: '1', q: 1 }));
  });

  it('leaves undefined members out as JSON.stringify does; undefined alone is null', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('sortKeys keeps every member (the cache codec packs the sorted object itself)', () => {
    const sorted = sortKeys({ b: undefined, a: 1 });
    expect(Object.keys(sorted)).toEqual(['a', 'b']);
  });
});
