/**
 * source.frames: the 4D dataset named by the graph's `dataset.path` (or `--data`), read one chunk
 * of positions at a time in its stored dtype. Not cached: re-reading is cheaper than storing a copy,
 * and the chunk's identity is the dataset's content hash plus the chunk range.
 */
import { UserError } from '../../engine/errors.ts';
import { defineOp } from '../../engine/types.ts';

export const sourceFrames = defineOp({
  name: 'source.frames',
  version: 1,
  scope: 'frame',
  title: 'Diffraction patterns from the dataset file',
  description:
    "Streams the frames of the graph's dataset (npy, blo, mib, raw, HDF5/EMD, TIFF; detected from magic bytes) chunk by chunk, in the stored dtype.",
  inputs: {},
  params: {},
  outputs: {
    fields: {
      frames: {
        dims: ['positions', 'rows', 'cols'],
        unit: 'counts',
        description: 'patterns in the stored dtype',
      },
    },
  },
  cached: false,
  check(_p, ctx) {
    if (!ctx.dataset && ctx.datasetDeclared) return;
    if (!ctx.dataset)
      throw new UserError(
        `node '${ctx.node}': op 'source.frames' needs a dataset: set "dataset": {"path": …} in the graph or pass --data`,
      );
    if (ctx.dataset!.kind !== 'frames')
      throw new UserError(
        `node '${ctx.node}': ${ctx.dataset!.path} holds 1-D profiles; use op 'source.profiles' for it`,
      );
  },
  process({ dataset, chunk }) {
    return { fields: { frames: dataset!.read(chunk.start, chunk.count) } };
  },
});
