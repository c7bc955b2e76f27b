/** The map.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { mapCorrelate } from './correlate.ts';
import { mapCut } from './cut.ts';
import { mapPearson } from './pearson.ts';
import { mapRegister } from './register.ts';
import { mapSmooth } from './smooth.ts';
import { mapThreshold } from './threshold.ts';

export const ops: OpDef[] = [mapThreshold, mapCut, mapPearson, mapSmooth, mapRegister, mapCorrelate];
