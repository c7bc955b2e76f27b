/** `snem run GRAPH.json`: execute through the cache and write the run directory. */
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import type { ProgressEvent } from '../../engine/progress.ts';
import { loadCluster } from '../cluster-modules.ts';
import { handle } from '../handler.ts';
import { runOptions, toRunOptions, type RunArgs } from '../options.ts';

interface ClusterArgs {
  cluster?: string;
  store?: string;
  redisTimeout: number;
  requirePersistence?: boolean;
}

export const runCommand: CommandModule<object, RunArgs & ClusterArgs> = {
  command: 'run <graph>',
  describe: 'run a graph; write maps, manifest and report into a run directory',
  builder: (y) =>
    runOptions(y)
      .option('cluster', {
        type: 'string',
        describe:
          'run the chunks on `snem worker`s of this Redis: redis://HOST:PORT (results go to the shared store)',
      })
      .option('store', {
        type: 'string',
        describe: 'with --cluster: blob directory on shared storage (default: blobs in Redis)',
      })
      .option('redis-timeout', {
        type: 'number',
        default: 30,
        describe: 'with --cluster: seconds without Redis before the run stops (it resumes on the next run)',
      })
      .option('require-persistence', {
        type: 'boolean',
        describe:
          'with --cluster: refuse a Redis without appendonly yes (one that would lose the finished chunks on restart) instead of warning',
      }) as never,
  handler: handle(async (a: RunArgs & ClusterArgs) => {
    const { runGraph } = await import('../../app/run.ts');
    const onSig = () => {
      process.stderr.write(
        '\nsnem: interrupted — finished chunks are cached; run the same command again to resume.\n',
      );
      process.exit(130);
    };
    // A dataset-level op runs on this thread and may compute for minutes without yielding, so this
    // handler could not run before it returns. While one runs, the default disposition (the process
    // ends at once) takes its place: what is finished stays cached (LMDB commits are atomic; a dead
    // process's leases and live-run record are ignored), and the next run resumes.
    let handled = false;
    const handleSignals = (on: boolean) => {
      if (on === handled) return;
      handled = on;
      for (const sig of ['SIGINT', 'SIGTERM'] as const)
        on ? process.once(sig, onSig) : process.off(sig, onSig);
    };
    handleSignals(true);
    const onProgress = (e: ProgressEvent) => {
      if (e.type === 'node-start') handleSignals(false);
      else if (e.type === 'node') handleSignals(true);
    };
    if (a.store && !a.cluster) throw new UserError('--store needs --cluster (the local cache is --cache)');
    // Loaded only for a cluster run: BullMQ and ioredis stay out of every other command's start-up.
    const backend = a.cluster
      ? await (await loadCluster(() => import('../../cluster/coordinator.ts'))).clusterBackend({
          url: a.cluster,
          storeDir: a.store ?? null,
          redisTimeout: a.redisTimeout,
          requirePersistence: a.requirePersistence,
          log: (m) => a.quiet || a.json || process.stderr.write(`${m}\n`),
          warn: (m) => a.quiet || process.stderr.write(`${m}\n`),
        })
      : undefined;
    let result: Awaited<ReturnType<typeof runGraph>>;
    try {
      result = await runGraph({ ...toRunOptions(a), backend, onProgress });
    } finally {
      await backend?.close();
    }
    const { runDir, manifest } = result;
    const nodes = Object.values(manifest.nodes);
    const summary = {
      run: manifest.run,
      runDir,
      computed: nodes.filter((n) => n.status === 'computed').length,
      cached: nodes.filter((n) => n.status === 'cached').length,
      cutoff: nodes.filter((n) => n.status === 'cutoff').length,
      seconds: manifest.seconds,
      outputs: manifest.outputs.map((o) => o.file),
      report: a.report === false ? null : `${runDir}/report.html`,
      ...(backend
        ? {
            cluster: {
              url: a.cluster,
              chunkJobsQueued: backend.runner.enqueued,
              chunkJobsRequeued: backend.runner.requeued,
              chunkPassSeconds: Math.round(backend.runner.busySeconds * 1000) / 1000,
            },
          }
        : {}),
    };
    if (a.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      process.stdout.write(
        `run ${summary.run}: ${summary.computed} computed, ${summary.cached} cached, ${summary.cutoff} early cutoff, ${summary.seconds.toFixed(2)} s\n` +
          `results: ${runDir}\n` +
          (backend
            ? `cluster ${a.cluster}: ${backend.runner.enqueued} chunk jobs queued${backend.runner.requeued ? `, ${backend.runner.requeued} queued again after Redis lost them` : ''}\n`
            : ''),
      );
    }
  }),
};
