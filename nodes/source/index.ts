/** The source.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { sourceFrames } from './frames.ts';
import { sourceMap } from './map.ts';
import { sourceProfiles } from './profiles.ts';

export const ops: OpDef[] = [sourceFrames, sourceProfiles, sourceMap];
