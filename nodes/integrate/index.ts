/** The integrate.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { integrateAzimuthal } from './azimuthal.ts';

export const ops: OpDef[] = [integrateAzimuthal];
