/**
 * Errors the user can fix (bad graph, bad file, bad flag) are `UserError`: the CLI prints the
 * message and exits 1. Anything else is an internal error (exit 2).
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** A param value an op rejects: names node and param so the message can point at the graph. */
export class ParamError extends UserError {
  constructor(
    readonly node: string,
    readonly param: string,
    detail: string,
  ) {
    super(`node '${node}', param '${param}': ${detail}`);
    this.name = 'ParamError';
  }
}

/** A data file that cannot be read as what it claims to be. */
export class FileFormatError extends UserError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'FileFormatError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && (e instanceof UserError || (e as { userError?: boolean }).userError === true);
}

/**
 * A run stopped through its AbortSignal. Chunks finished before the abort are cached, so running
 * the same graph again resumes there. `name` is 'AbortError', as for fetch and other aborted work.
 */
export class RunAborted extends UserError {
  constructor() {
    super('run aborted: finished chunks are cached; run the same graph again to resume');
    this.name = 'AbortError';
  }
}
