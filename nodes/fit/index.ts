/** The fit.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { fitGaussians } from './gaussians.ts';

export const ops: OpDef[] = [fitGaussians];
