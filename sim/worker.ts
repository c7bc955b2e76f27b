/** Simulator worker thread: builds the renderer once, then renders chunks of positions on request. */
import { parentPort, workerData } from 'node:worker_threads';
import type { SimParams } from './presets.ts';
import { Renderer } from './render.ts';

const renderer = new Renderer(workerData.params as SimParams);
parentPort!.on('message', (m: { start: number; count: number }) => {
  const buf = renderer.renderRange(m.start, m.count);
  parentPort!.postMessage({ start: m.start, count: m.count, buf }, [buf.buffer as ArrayBuffer]);
});
parentPort!.postMessage({ ready: true });
