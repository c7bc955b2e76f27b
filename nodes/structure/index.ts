/** The structure.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';

export const ops: OpDef[] = [];
