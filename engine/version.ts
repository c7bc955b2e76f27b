/** The engine version recorded in every manifest (from package.json). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const ENGINE_VERSION: string = (require('../package.json') as { version: string }).version;
