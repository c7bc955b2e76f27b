/** A chunk worker: builds its own pipeline environment, then runs chunk jobs as they arrive. */
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkPipeline, type ChunkJob } from './chunk-pipeline.ts';
import { buildEnv, type PipelineSetup } from './pipeline-env.ts';
import { isUserError } from './errors.ts';

const port = parentPort!;
const env = await buildEnv(workerData as PipelineSetup, (msg) => port.postMessage({ type: 'log', msg }));
const pipeline = new ChunkPipeline(env);
port.on('message', async (m: { type: 'job'; id: number; job: ChunkJob } | { type: 'close' }) => {
  if (m.type === 'close') {
    env.dataset?.close();
    await env.store.close();
    port.close();
    return;
  }
  try {
    const results = await pipeline.runJob(m.job);
    port.postMessage({ type: 'done', id: m.id, results });
  } catch (e) {
    const err = e as Error;
    port.postMessage({
      type: 'error',
      id: m.id,
      message: err.message,
      stack: err.stack,
      user: isUserError(e),
    });
  }
});
port.postMessage({ type: 'ready' });
