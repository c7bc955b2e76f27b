// Worker thread entry: register the TypeScript loader, then start the chunk worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
