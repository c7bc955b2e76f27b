/** The calib.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { calibGeometry } from './geometry.ts';

export const ops: OpDef[] = [calibGeometry];
