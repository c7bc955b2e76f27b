/** The model.* ops (atomic structure models). Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { modelPartialsOp } from './partials-op.ts';
import { modelResponseOp } from './response-op.ts';

export const ops: OpDef[] = [modelPartialsOp, modelResponseOp];
