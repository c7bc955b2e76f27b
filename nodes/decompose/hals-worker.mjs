// Worker entry for the parallel HALS pass: registers the TypeScript loader (no build step), then
// runs the row-block loop from hals-pool.ts.
import { workerData, parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { workerLoop } = await import('./hals-pool.ts');
parentPort.postMessage('ready');
workerLoop(workerData);
