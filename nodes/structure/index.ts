/** The structure.* ops (the small-box structure fit is named fit.structure). Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { fitStructure } from './structure-op.ts';

export const ops: OpDef[] = [fitStructure];
