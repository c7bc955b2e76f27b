/**
 * cluster/ is loaded only by the commands that use it (BullMQ and ioredis stay out of every other
 * command's start-up); a checkout whose node_modules predates them gets a message, not a stack.
 */
import { UserError } from '../engine/errors.ts';

export async function loadCluster<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && /bullmq|ioredis/.test(err.message)) {
      throw new UserError(
        `the cluster commands need the npm packages bullmq and ioredis, which are not installed here: run npm install (${err.message.split('\n')[0]})`,
      );
    }
    throw e;
  }
}
