/**
 * Who may talk to the studio: only requests addressed to the server's own Host (DNS rebinding),
 * with no foreign Origin (other web pages), with the token when the server listens beyond
 * loopback. Checked before any routing.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import { HttpError } from './http-errors.ts';

export interface GuardConfig {
  /** Host names accepted in the Host header (without port). */
  hosts: string[];
  port: number;
  /** Required token, or null on loopback without --host. */
  token: string | null;
}

export function newToken(): string {
  return crypto.randomBytes(18).toString('base64url');
}

export function checkRequest(req: http.IncomingMessage, url: URL, g: GuardConfig): void {
  const host = (req.headers.host ?? '').toLowerCase();
  const okHosts = g.hosts.map((h) =>
    `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${g.port}`.toLowerCase(),
  );
  if (!okHosts.includes(host))
    throw new HttpError(
      403,
      `refused: Host '${host || '(none)'}' is not this server (${okHosts.join(' or ')})`,
    );
  const origin = req.headers.origin;
  if (origin !== undefined && !okHosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
    throw new HttpError(403, `refused: requests from another origin ('${origin}') are not accepted`);
  }
  if (g.token) {
    const given = (req.headers['x-snem-token'] as string | undefined) ?? url.searchParams.get('token') ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(g.token);
    if (a.length !== b.length || !crypto.timingSafeEqual(a, b))
      throw new HttpError(403, 'refused: missing or wrong token (use the URL snem studio printed)');
  }
}
