/** The map.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { mapCut } from './cut.ts';
import { mapPearson } from './pearson.ts';
import { mapSmooth } from './smooth.ts';
import { mapThreshold } from './threshold.ts';

export const ops: OpDef[] = [mapThreshold, mapCut, mapPearson, mapSmooth];
