/** The summary.* ops: compact per-position summaries the studio reads instead of the patterns. */
import type { OpDef } from '../../engine/types.ts';
import { summaryPolar } from './polar.ts';

export const ops: OpDef[] = [summaryPolar];
