/**
 * The studio's error shape: every refusal is a status plus JSON `{error, node?, field?, problems?}`
 * (studio/API.md). Validator and op messages ("node 'x', field 'y': …") are split into node and
 * field so the page can show them next to the field.
 */
import { isUserError } from '../../engine/errors.ts';

export interface Problem {
  error: string;
  node?: string;
  field?: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { node?: string; field?: string; problems?: Problem[]; allow?: string } = {},
  ) {
    super(message);
  }
}

/** "graph.json: node 'mask', param 'alpha': …" → {node: 'mask', field: 'alpha'}. */
export function problemOf(line: string): Problem {
  const m = /node '([^']+)', (?:field|param|input) '([^']+)'/.exec(line) ?? /node '([^']+)'/.exec(line);
  const p: Problem = { error: line };
  if (m) {
    p.node = m[1];
    if (m[2]) p.field = m[2];
  }
  return p;
}

/** A validator message listing several problems ("…: 3 problems:\n  - a\n  - b") → one per line. */
export function problemsOf(message: string): Problem[] {
  const parts = message.split('\n  - ');
  if (parts.length === 1) return [problemOf(message.replace(/^[^:]*graph[^:]*: /, ''))];
  return parts.slice(1).map(problemOf);
}

/** A user error (bad graph, bad param) as a 400 naming the first problem's node and field. */
export function badRequestFrom(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (!isUserError(e)) throw e;
  const problems = problemsOf((e as Error).message);
  const first = problems[0];
  return new HttpError(400, (e as Error).message, { node: first?.node, field: first?.field, problems });
}
