/** `snem cache stats|gc|verify|push|pull`: inspect and maintain the LMDB cache; copy it to and from a cluster's shared store. */
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { loadCluster } from '../cluster-modules.ts';
import { handle } from '../handler.ts';

interface CacheArgs {
  action: 'stats' | 'gc' | 'verify' | 'push' | 'pull';
  cluster?: string;
  store?: string;
  cache?: string;
  keepLast?: number;
  run?: string[];
  maxSize?: string;
  compact: boolean;
  wait: number;
  json: boolean;
}

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new UserError(`--max-size '${s}': expected a size such as 500MB, 2GB or 1048576`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[
    m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'
  ];
  return Math.round(Number(m[1]) * mult);
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

export const cacheCommand: CommandModule<object, CacheArgs> = {
  command: 'cache <action>',
  describe:
    "cache maintenance: stats (size, entries), gc (keep what recent/named runs reach), verify (check every hash), push / pull (copy results to / from a cluster's shared store: --cluster, --store)",
  builder: (y) =>
    y
      .positional('action', {
        choices: ['stats', 'gc', 'verify', 'push', 'pull'] as const,
        demandOption: true,
      })
      .option('cache', { type: 'string', describe: 'cache directory (default .snem-cache or $SNEM_CACHE)' })
      .option('keep-last', {
        type: 'number',
        describe: 'gc: keep what the newest N runs reached (default 5)',
      })
      .option('run', { type: 'string', array: true, describe: 'gc: keep what these run ids reached' })
      .option('max-size', {
        type: 'string',
        describe: 'gc: drop the oldest kept runs until the cache fits (e.g. 2GB)',
      })
      .option('compact', {
        type: 'boolean',
        default: true,
        describe: 'gc: rewrite the file by copy to give space back',
      })
      .option('wait', {
        type: 'number',
        default: 600,
        describe:
          'gc: seconds to wait for runs using the cache to finish (their new results belong to no run yet)',
      })
      .option('cluster', { type: 'string', describe: 'push/pull: Redis of the cluster, redis://HOST:PORT' })
      .option('store', {
        type: 'string',
        describe: "push/pull: the cluster's blob directory (as given to its workers)",
      })
      .option('json', { type: 'boolean', default: false }) as never,
  handler: handle(async (a: CacheArgs) => {
    // loaded when the command runs: LMDB and the hashing WebAssembly stay out of every other command's start-up
    const { compactCache, gcWhenIdle } = await import('../../cache/gc.ts');
    const { CacheStore, resolveCacheDir } = await import('../../cache/store.ts');
    const { verifyCache } = await import('../../cache/verify.ts');
    const { initHash } = await import('../../engine/hash.ts');
    await initHash();
    const dir = resolveCacheDir(a.cache);
    const store = new CacheStore(dir);
    let closed = false;
    try {
      if (a.action === 'push' || a.action === 'pull') {
        if (!a.cluster) throw new UserError(`cache ${a.action}: --cluster redis://HOST:PORT is required`);
        // Loaded only here: BullMQ's client stays out of the other cache commands.
        const { SharedStore } = await loadCluster(() => import('../../cluster/shared-store.ts'));
        const { pushCache, pullCache } = await loadCluster(() => import('../../cluster/transfer.ts'));
        const shared = await SharedStore.open({ url: a.cluster, storeDir: a.store ?? null });
        try {
          const rep = a.action === 'push' ? await pushCache(store, shared) : await pullCache(shared, store);
          if (a.json)
            process.stdout.write(
              `${JSON.stringify({ action: a.action, cache: dir, cluster: shared.url, ...rep }, null, 2)}\n`,
            );
          else {
            const dirn = a.action === 'push' ? `${dir} → ${shared.url}` : `${shared.url} → ${dir}`;
            process.stdout.write(
              `${a.action} ${dirn}: ${rep.actions} results, ${rep.copied} copied (${mb(rep.bytes)}), ${rep.present} already there, ${rep.missing} with a missing or corrupt blob (skipped)\n`,
            );
          }
        } finally {
          await shared.close();
        }
      } else if (a.action === 'stats') {
        const s = store.stats();
        const runs = store
          .listRuns()
          .slice(0, 10)
          .map((r) => ({ id: r.id, time: new Date(r.time).toISOString(), out: r.outDir }));
        if (a.json) process.stdout.write(`${JSON.stringify({ dir, ...s, recentRuns: runs }, null, 2)}\n`);
        else {
          process.stdout.write(
            `cache ${dir}\n  actions ${s.actions}\n  blobs   ${s.blobs} (${mb(s.blobBytes)})\n  runs    ${s.runs}\n  file    ${mb(s.fileBytes)}\n`,
          );
          for (const r of runs) process.stdout.write(`  run ${r.id}  ${r.time}\n`);
        }
      } else if (a.action === 'verify') {
        const r = verifyCache(store);
        if (a.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else {
          process.stdout.write(
            `verified ${r.blobs} blobs: ${r.corrupt.length} corrupt${r.corrupt.length ? ` (removed; the next run recomputes them): ${r.corrupt.join(', ')}` : ''}\n`,
          );
          if (r.danglingActions)
            process.stdout.write(
              `${r.danglingActions} actions point at missing blobs (recomputed when needed)\n`,
            );
        }
        if (r.corrupt.length) process.exitCode = 1;
      } else {
        const gcOpts = {
          keepLast: a.keepLast ?? (a.run?.length ? undefined : 5),
          keepRuns: a.run,
          maxSizeBytes: a.maxSize ? parseSize(a.maxSize) : undefined,
        };
        const rep = await gcWhenIdle(store, gcOpts, a.wait, (m) => process.stderr.write(`${m}\n`));
        // Output files no run directory links to, and figures no kept run drew or reused.
        const { OutputStore } = await import('../../cache/output-store.ts');
        const { FigureCache, pruneFigures } = await import('../../report/figure-cache.ts');
        const oldestKept = Math.min(
          Date.now(),
          ...store
            .listRuns()
            .filter((r) => rep.keptRuns.includes(r.id))
            .map((r) => r.time),
        );
        const files = {
          outputs: OutputStore.beside(dir).prune(),
          figures: pruneFigures(FigureCache.beside(dir).dir, oldestKept),
        };
        let compact = null;
        if (a.compact) {
          compact = await compactCache(store);
          closed = true;
          if (compact.skipped) process.stderr.write(`gc: ${compact.skipped}\n`);
        }
        if (a.json) process.stdout.write(`${JSON.stringify({ ...rep, compact, files }, null, 2)}\n`);
        else {
          process.stdout.write(
            `gc: kept ${rep.keptRuns.length} runs, removed ${rep.removedRuns} runs, ${rep.removedActions} actions, ${rep.removedBlobs} blobs (${mb(rep.freedBytes)}); ${mb(rep.blobBytes)} of results kept\n`,
          );
          process.stdout.write(
            `gc: removed ${files.outputs.entries} stored outputs no run directory uses (${mb(files.outputs.bytes)}), ${files.figures.entries} figures (${mb(files.figures.bytes)})\n`,
          );
          if (compact && !compact.skipped)
            process.stdout.write(`compacted: ${mb(compact.before)} → ${mb(compact.after)}\n`);
        }
      }
    } finally {
      if (!closed) await store.close();
    }
  }),
};
