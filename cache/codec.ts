/**
 * Canonical binary encoding of a node value (msgpackr). Typed arrays go in as raw bytes
 * (one `bin` each, never element by element); object keys are sorted so equal values encode to
 * equal bytes and therefore to equal hashes.
 */
import { Packr } from 'msgpackr';
import { hashBytes, hashValue } from '../engine/hash.ts';
import { asBytes, viewBytes } from '../engine/ndarray.ts';
import type { DType, Json, NDArray, Value } from '../engine/types.ts';
import { sortKeys } from '../engine/canonical-json.ts';

const packr = new Packr({ useRecords: false, moreTypes: false, variableMapSize: true });

interface EncodedArray {
  d: DType;
  s: number[];
  b: Uint8Array;
}

function encArrays(rec: Record<string, NDArray> | undefined): Record<string, EncodedArray> | undefined {
  if (!rec) return undefined;
  const out: Record<string, EncodedArray> = {};
  for (const k of Object.keys(rec).sort()) {
    const a = rec[k];
    out[k] = { d: a.dtype, s: a.shape, b: asBytes(a.data) };
  }
  return out;
}

function decArrays(rec: Record<string, EncodedArray> | undefined): Record<string, NDArray> | undefined {
  if (!rec) return undefined;
  const out: Record<string, NDArray> = {};
  for (const [k, e] of Object.entries(rec)) out[k] = { dtype: e.d, shape: e.s, data: viewBytes(e.d, e.b) };
  return out;
}

/** Values whose arrays exceed this are packed into a buffer of their own (see encodeValue). */
const LARGE_VALUE_BYTES = 16 << 20;

export function encodeValue(v: Value): Uint8Array {
  const doc: Record<string, unknown> = { f: encArrays(v.fields) };
  if (v.axes && Object.keys(v.axes).length) doc.a = encArrays(v.axes);
  if (v.meta && Object.keys(v.meta).length) doc.m = sortKeys(v.meta as Json);
  const arrayBytes = [v.fields, v.axes ?? {}].reduce(
    (s, rec) => s + Object.values(rec).reduce((t, a) => t + a.data.byteLength, 0),
    0,
  );
  if (arrayBytes <= LARGE_VALUE_BYTES) return packr.pack(doc);
  // msgpackr packs into one module-wide buffer that it grows by copying and keeps for the next
  // pack (up to 1 GB): a 150 MB dataset-level result would cost ~2× its size while packing and
  // stay resident for the rest of the process. Give it a buffer of about the right size instead,
  // and take it back afterwards. The bytes are the same either way.
  packr.useBuffer(Buffer.allocUnsafeSlow(arrayBytes + (1 << 20)));
  try {
    return packr.pack(doc);
  } finally {
    packr.useBuffer(Buffer.allocUnsafeSlow(8192));
  }
}

export function decodeValue(bytes: Uint8Array): Value {
  const doc = packr.unpack(bytes) as {
    f: Record<string, EncodedArray>;
    a?: Record<string, EncodedArray>;
    m?: Record<string, Json>;
  };
  const v: Value = { fields: decArrays(doc.f) ?? {} };
  if (doc.a) v.axes = decArrays(doc.a);
  if (doc.m) v.meta = doc.m;
  return v;
}

/** Hash of the encoded bytes: the value hash and the blob's name. */
export function valueHashOf(bytes: Uint8Array): string {
  return hashBytes(bytes);
}

/**
 * Per-field hashes, so a consumer that reads only `pdf.F` is keyed on F alone (and survives a
 * change that alters only G). Axes and meta are part of every field's identity.
 */
export function fieldHashesOf(v: Value): Record<string, string> {
  const shared = hashValue({ axes: axesDigest(v.axes), meta: v.meta ?? null });
  const out: Record<string, string> = {};
  for (const [k, a] of Object.entries(v.fields)) {
    out[k] = hashValue({ d: a.dtype, s: a.shape, b: hashBytes(asBytes(a.data)), shared });
  }
  return out;
}

function axesDigest(axes: Record<string, NDArray> | undefined): Record<string, string> | null {
  if (!axes) return null;
  const out: Record<string, string> = {};
  for (const [k, a] of Object.entries(axes))
    out[k] = hashValue({ d: a.dtype, s: a.shape, b: hashBytes(asBytes(a.data)) });
  return out;
}
