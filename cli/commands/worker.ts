/** `snem worker --cluster redis://HOST:PORT`: compute chunk jobs of cluster runs on this machine. */
import os from 'node:os';
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { loadCluster } from '../cluster-modules.ts';
import { handle } from '../handler.ts';

interface WorkerArgs {
  cluster: string;
  store?: string;
  concurrency?: number;
  stalledAfter: number;
  requirePersistence?: boolean;
}

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe:
    'compute chunks of `snem run --cluster` runs: take jobs from the Redis queue until stopped (Ctrl-C)',
  builder: (y) =>
    y
      .option('cluster', {
        type: 'string',
        demandOption: true,
        describe: 'Redis of the cluster: redis://HOST:PORT',
      })
      .option('store', {
        type: 'string',
        describe:
          'blob directory on shared storage (the same --store as the coordinator); without it, blobs live in Redis',
      })
      .option('concurrency', {
        type: 'number',
        describe: 'chunks computed at once, one thread each (default: number of cores)',
      })
      .option('stalled-after', {
        type: 'number',
        default: 30,
        describe: 'seconds after which the chunk of a worker that stopped answering goes to another worker',
      })
      .option('require-persistence', {
        type: 'boolean',
        describe:
          'refuse a Redis without appendonly yes (one that would lose the finished chunks on restart) instead of warning',
      }) as never,
  handler: handle(async (a: WorkerArgs) => {
    const concurrency = a.concurrency ?? os.availableParallelism();
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new UserError(`--concurrency: expected a positive integer, got ${a.concurrency}`);
    if (!(a.stalledAfter > 0))
      throw new UserError(`--stalled-after: expected a positive number of seconds, got ${a.stalledAfter}`);
    const { startWorker } = await loadCluster(() => import('../../cluster/worker.ts'));
    const w = await startWorker({
      url: a.cluster,
      storeDir: a.store ?? null,
      concurrency,
      stalledAfter: a.stalledAfter,
      requirePersistence: a.requirePersistence,
    });
    process.stderr.write(
      `snem worker ${os.hostname()}:${process.pid}: ${concurrency} thread${concurrency === 1 ? '' : 's'}, waiting for chunks on ${a.cluster}${a.store ? `, blobs in ${a.store}` : ''}\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stderr.write(`snem worker: stopping after the chunks in hand (${w.done} done)\n`);
    await w.close();
    process.exit(0);
  }),
};
