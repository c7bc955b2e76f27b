/** A minimal client for the studio API in tests: JSON, array frames, raw requests with any headers. */
import http from 'node:http';

export interface ArrayFrame {
  header: Record<string, unknown> & { dtype: string; shape: number[] };
  bytes: Buffer;
}

export function decodeFrame(buf: Buffer): ArrayFrame {
  const h = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + h).toString('utf8'));
  return { header, bytes: buf.subarray(4 + h) };
}

export function raw(
  port: number,
  p: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // agent: false — a fresh connection per request (a kept-alive socket the server is closing resets)
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: opts.method ?? 'GET',
        agent: false,
        headers: { host: `127.0.0.1:${port}`, ...(opts.headers ?? {}) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }),
        );
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function client(port: number) {
  const get = async (p: string) => {
    const r = await raw(port, p);
    return { status: r.status, json: () => JSON.parse(r.body.toString('utf8')), body: r.body };
  };
  const post = async (p: string, body: unknown) => {
    const r = await raw(port, p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, json: () => JSON.parse(r.body.toString('utf8')), body: r.body };
  };
  return { get, post };
}
