/** The pdf.* ops. Add an op: write its file, then list it here. */
import type { OpDef } from '../../engine/types.ts';
import { pdfReduce } from './reduce-op.ts';
import { pdfTransform } from './transform-op.ts';

export const ops: OpDef[] = [pdfReduce, pdfTransform];
