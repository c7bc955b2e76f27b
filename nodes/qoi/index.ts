/** The qoi.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { qoiExpr } from './expr.ts';
import { qoiIntegral } from './integral.ts';
import { qoiPeak } from './peak.ts';
import { qoiSro } from './sro.ts';
import { qoiVirtual } from './virtual.ts';

export const ops: OpDef[] = [qoiVirtual, qoiPeak, qoiIntegral, qoiExpr, qoiSro];
