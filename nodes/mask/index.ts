/** The mask.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { maskAuto } from './auto.ts';
import { maskStatic } from './static.ts';

export const ops: OpDef[] = [maskStatic, maskAuto];
