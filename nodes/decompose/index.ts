/** The decompose.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { decomposeAssign } from './assign.ts';
import { decomposeNmf } from './nmf.ts';
import { decomposeReferences } from './references-op.ts';

export const ops: OpDef[] = [decomposeNmf, decomposeAssign, decomposeReferences];
