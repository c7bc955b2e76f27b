// Simulator worker entry: register the TypeScript loader, then start the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
