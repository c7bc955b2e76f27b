/**
 * Output files kept by content beside the cache (CACHE/outputs/): a run directory's `.npy` whose
 * value did not change since an earlier run becomes a hard link to the stored file instead of a
 * new copy, so a one-QoI edit's run directory costs the time and disk of what changed.
 *
 * An entry is a directory named by an id the caller derives from everything that fixes the bytes
 * (value hash, scan shape, the writer's code). Its `entry.json` (the caller's description and the
 * size of each file) is written last: an entry without it is incomplete and ignored. Stored files
 * are read-only and never rewritten in place — every writer of a run directory writes a temp file
 * and renames it over the old name — so a later run can never alter a file that an earlier run
 * directory (or the store) links to, and deleting a run directory only drops one link. Across
 * filesystems (EXDEV) or where hard links are refused, files are copied instead.
 *
 * `snem cache gc` removes the entries no run directory links to any more (`prune`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../engine/write-atomic.ts';

const ENTRY = 'entry.json';

/** link() failures that mean "not here": copy instead (other filesystem, links not supported or not allowed). */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EACCES']);

interface EntryFile<M> {
  meta: M;
  bytes: number[];
}

export type Placement = 'link' | 'copy';

/**
 * Make `target` the file `source` (a hard link; a copy where links cannot be made), replacing
 * whatever `target` was by rename, never by writing into it. The temp name ends in `.tmp-PID`, as
 * every run-directory temp file does, so a run that dies here leaves debris the next run removes.
 */
export function linkOrCopy(source: string, target: string): Placement {
  const src = fs.statSync(source);
  const old = fs.statSync(target, { throwIfNoEntry: false });
  // rename() of one link over another of the same file is a no-op that would leave the temp name behind
  if (old && old.ino === src.ino && old.dev === src.dev) return 'link';
  const tmp = `${target}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  let how: Placement = 'link';
  try {
    fs.linkSync(source, tmp);
  } catch (e) {
    if (!NO_LINK.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    fs.copyFileSync(source, tmp);
    how = 'copy';
  }
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return how;
}

export class OutputStore {
  /** Files placed by link and by copy since this store was opened (the run reports them). */
  readonly placed = { link: 0, copy: 0 };

  constructor(readonly dir: string) {}

  /** The store of a cache directory. */
  static beside(cacheDir: string): OutputStore {
    return new OutputStore(path.join(cacheDir, 'outputs'));
  }

  private entryDir(id: string): string {
    if (!/^[0-9a-z]{8,}$/i.test(id)) throw new Error(`output store: bad entry id '${id}'`);
    return path.join(this.dir, id.slice(0, 2), id);
  }

  private file(id: string, i: number): string {
    return path.join(this.entryDir(id), `${i}.npy`);
  }

  /** A complete entry: its description, if every file is there with the size it was stored with. */
  lookup<M>(id: string): { meta: M; files: number } | null {
    let entry: EntryFile<M>;
    try {
      entry = JSON.parse(fs.readFileSync(path.join(this.entryDir(id), ENTRY), 'utf8')) as EntryFile<M>;
    } catch {
      return null;
    }
    for (let i = 0; i < entry.bytes.length; i++) {
      const st = fs.statSync(this.file(id, i), { throwIfNoEntry: false });
      if (!st || st.size !== entry.bytes[i]) return null;
    }
    return { meta: entry.meta, files: entry.bytes.length };
  }

  /** Put file `i` of entry `id` at `target`. */
  place(id: string, i: number, target: string): Placement {
    const how = linkOrCopy(this.file(id, i), target);
    this.placed[how]++;
    return how;
  }

  /**
   * Keep freshly written files under `id` (linked, or copied across filesystems), then the
   * description. Both files are made read-only: a tool writing into a run directory's file in
   * place would otherwise change every other run directory linking to it.
   */
  record<M>(id: string, files: string[], meta: M): void {
    const dir = this.entryDir(id);
    fs.mkdirSync(dir, { recursive: true });
    const bytes: number[] = [];
    files.forEach((f, i) => {
      linkOrCopy(f, this.file(id, i));
      fs.chmodSync(this.file(id, i), 0o444);
      bytes.push(fs.statSync(f).size);
    });
    writeFileAtomic(path.join(dir, ENTRY), JSON.stringify({ meta, bytes } satisfies EntryFile<M>));
  }

  /**
   * Remove entries that no run directory links to any more (each file's link count is 1). A copy
   * made across filesystems always has one link, so such entries go too; the next run writes the
   * files again. Returns the entries and bytes removed.
   */
  prune(): { entries: number; bytes: number } {
    let entries = 0;
    let bytes = 0;
    if (!fs.existsSync(this.dir)) return { entries, bytes };
    for (const shard of fs.readdirSync(this.dir)) {
      const shardDir = path.join(this.dir, shard);
      if (!fs.statSync(shardDir).isDirectory()) continue;
      for (const id of fs.readdirSync(shardDir)) {
        const dir = path.join(shardDir, id);
        const stats = fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.npy'))
          .map((f) => fs.statSync(path.join(dir, f)));
        if (stats.some((s) => s.nlink > 1)) continue;
        bytes += stats.reduce((s, st) => s + st.size, 0);
        fs.rmSync(dir, { recursive: true, force: true });
        entries++;
      }
      if (!fs.readdirSync(shardDir).length) fs.rmSync(shardDir, { recursive: true, force: true });
    }
    return { entries, bytes };
  }
}
