/**
 * Reading requests and writing responses: strict integer query params, JSON bodies with a size cap,
 * JSON and binary array-frame responses (studio/API.md "Array frame").
 */
import type http from 'node:http';
import type { NDArray, TypedArray } from '../../engine/types.ts';
import { HttpError } from './http-errors.ts';

const MAX_BODY = 64 << 20;

/** A required non-negative decimal integer query param (`0x1`, `1e2`, `1.0`, '' → 400). */
export function intParam(q: URLSearchParams, name: string): number {
  const s = q.get(name);
  if (s === null)
    throw new HttpError(400, `missing query parameter '${name}' (a non-negative integer)`, { field: name });
  if (!/^[0-9]{1,9}$/.test(s))
    throw new HttpError(
      400,
      `query parameter '${name}': expected a non-negative decimal integer, got '${s}'`,
      { field: name },
    );
  return Number(s);
}

export function strParam(q: URLSearchParams, name: string, required = true): string | null {
  const s = q.get(name);
  if (s === null || s === '') {
    if (required) throw new HttpError(400, `missing query parameter '${name}'`, { field: name });
    return null;
  }
  return s;
}

export async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(
      415,
      `POST bodies must be JSON sent with Content-Type: application/json (got '${type || 'none'}')`,
    );
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, `request body above ${MAX_BODY >> 20} MB`);
    parts.push(c as Buffer);
  }
  const text = Buffer.concat(parts).toString('utf8');
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `request body is not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new HttpError(400, 'request body must be a JSON object');
  return v as Record<string, unknown>;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

export function send(
  res: http.ServerResponse,
  status: number,
  type: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': type, ...SECURITY_HEADERS, ...headers });
  res.end(body);
}

/** JSON with Infinity as "inf" (as `snem nodes --json`). */
export function sendJson(res: http.ServerResponse, v: unknown, status = 200) {
  send(
    res,
    status,
    'application/json; charset=utf-8',
    JSON.stringify(v, (_k, x) => (x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x)),
  );
}

export function sendError(res: http.ServerResponse, e: HttpError) {
  const body: Record<string, unknown> = { error: e.message };
  if (e.extra.node) body.node = e.extra.node;
  if (e.extra.field) body.field = e.extra.field;
  if (e.extra.problems) body.problems = e.extra.problems;
  if (res.headersSent) return res.end();
  send(
    res,
    e.status,
    'application/json; charset=utf-8',
    JSON.stringify(body),
    e.extra.allow ? { allow: e.extra.allow } : {},
  );
}

/** Typed array (any dtype) → `{dtype, shape, b64}` with its exact little-endian bytes. */
export function ndJson(a: NDArray): { dtype: string; shape: number[]; b64: string } {
  const d = a.data as TypedArray;
  return {
    dtype: a.dtype,
    shape: a.shape,
    b64: Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64'),
  };
}

/** The binary array frame: uint32 LE header length, JSON header padded to 8 bytes, raw data. */
export function arrayFrame(header: Record<string, unknown>, a: NDArray): Buffer {
  let head = JSON.stringify({ ...header, dtype: a.dtype, shape: a.shape });
  const bytes = Buffer.byteLength(head, 'utf8');
  head += ' '.repeat((8 - ((4 + bytes) % 8)) % 8);
  const h = Buffer.from(head, 'utf8');
  const d = a.data as TypedArray;
  const out = Buffer.alloc(4 + h.length + d.byteLength);
  out.writeUInt32LE(h.length, 0);
  h.copy(out, 4);
  Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, 4 + h.length);
  return out;
}

export function sendArray(res: http.ServerResponse, header: Record<string, unknown>, a: NDArray) {
  send(res, 200, 'application/x-snem-array', arrayFrame(header, a));
}
