/**
 * The engine's check of what an op returns against what it declares (OpDef.outputs): run on every
 * result where it is produced (engine/chunk-pipeline.ts invokeOp), so an op that returns a field it
 * never declared, loses a declared one, or gives it the wrong leading dims fails at once with a
 * message naming the node, the op and the field, instead of surfacing later as a missing map.
 */
import { UserError } from './errors.ts';
import { declarationProblems, declaredOutputs } from './declared-outputs.ts';
import type { ChunkInfo, OpDef, ScanShape, Value } from './types.ts';

/**
 * A result that disagrees with its op's declaration: a bug in the op (often a plugin's, from
 * SNEM_OPS), reported as one message and exit code 1 like any input the engine cannot use.
 */
export class OutputDeclarationError extends UserError {
  constructor(
    readonly node: string,
    readonly op: string,
    readonly problems: string[],
  ) {
    super(
      `node '${node}' (op '${op}'): the result disagrees with the op's declared outputs: ${problems.join('; ')}`,
    );
    this.name = 'OutputDeclarationError';
  }
}

/** Throws OutputDeclarationError when `value` is not what `op` declares for these params. */
export function checkDeclaredOutputs(
  node: { id: string; op: OpDef; params: Record<string, unknown> },
  value: Value,
  scan: ScanShape,
  chunk?: ChunkInfo,
): void {
  const decl = declaredOutputs(node.op, node.params as never);
  const problems = declarationProblems(decl, value, { positions: chunk?.count, ny: scan.ny, nx: scan.nx });
  if (problems.length) throw new OutputDeclarationError(node.id, node.op.name, problems);
}
