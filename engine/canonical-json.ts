/**
 * Canonical JSON: object keys sorted at every level, so two spellings of the same value compare
 * (and hash) equal. One definition for the cache codec's meta, the simulator's dataset identity and
 * `snem report`'s param comparison. (Cache keys use the type-tagged preimage of engine/hash.ts.)
 */

/** The same value with every object's keys in sorted order (arrays keep their order; nothing is dropped). */
export function sortKeys<T>(v: T): T {
  if (Array.isArray(v)) return v.map(sortKeys) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out as T;
  }
  return v;
}

/** JSON text with sorted keys; as JSON.stringify, undefined members are left out. Undefined alone is "null". */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v)) ?? 'null';
}
