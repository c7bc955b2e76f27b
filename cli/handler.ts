/** Shared CLI plumbing: turning errors into exit codes, and common option groups. */
import { isUserError } from '../engine/errors.ts';

export function exitWithError(e: unknown): never {
  if (isUserError(e)) {
    process.stderr.write(`snem: ${(e as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`snem: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(2);
}

/** Wrap a command handler so thrown errors become the documented exit codes. */
export function handle<A>(fn: (args: A) => Promise<void> | void): (args: A) => Promise<void> {
  return async (args: A) => {
    try {
      await fn(args);
    } catch (e) {
      exitWithError(e);
    }
  };
}
