// Worker entry for the parallel NMF row passes: the job loop of hals-kernel.mjs on this worker's
// block of X (plain JS: no TypeScript loader to start).
import { workerData } from 'node:worker_threads';
import { workerLoop } from './hals-kernel.mjs';

workerLoop(workerData);
