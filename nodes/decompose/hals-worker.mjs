// Worker entry for the parallel NMF row passes: registers the TypeScript loader (no build step), then
// runs the job loop of hals-kernel.ts on this worker's block of X.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { workerLoop } = await import('./hals-kernel.ts');
workerLoop(workerData);
