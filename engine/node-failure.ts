/**
 * Failures of an op inside a fused frame pass, named by node. (Kept out of errors.ts, which ops
 * import: a change here must not change every op's code hash.)
 */

/**
 * An op's own failure on a chunk, re-thrown naming the node and op it happened in: a frame pass
 * fuses several per-position nodes into one job, and "chunk 3 of nodes a, b, c failed" alone does
 * not say which. The error keeps its class (a user error stays one); a message that already names the node is kept.
 */
export function failedInNode(node: string, op: string, e: unknown): unknown {
  if (!(e instanceof Error) || e.message.startsWith(`node '${node}'`)) return e;
  // The same error object (its class, code and fields stay), its message prefixed.
  // (The stack is read first: V8 formats it lazily, with whatever the message is by then.)
  const was = e.message;
  const stack = e.stack;
  e.message = `node '${node}' (${op}): ${was}`;
  if (stack?.includes(was)) e.stack = stack.replace(was, e.message);
  return e;
}

/** The node a failedInNode message names (after any prefix such as "worker HOST: "), or null. */
export function failedNodeOf(message: string): { node: string; op: string } | null {
  const m = /node '([^']+)' \(([^()\s]+)\): /.exec(message);
  return m ? { node: m[1], op: m[2] } : null;
}
