/** The crystal.* ops (phase and orientation mapping). Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { calibFromCrystal } from './from-crystal-op.ts';
import { crystalMatch } from './match-op.ts';
import { mapOrientation } from './orientation-op.ts';
import { crystalPhase } from './phase-op.ts';
import { crystalTemplates } from './templates-op.ts';

export const ops: OpDef[] = [crystalPhase, crystalTemplates, crystalMatch, mapOrientation, calibFromCrystal];
