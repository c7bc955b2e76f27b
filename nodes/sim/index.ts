/** The sim.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { sourceSimulated } from './simulated.ts';

export const ops: OpDef[] = [sourceSimulated];
