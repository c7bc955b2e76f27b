/**
 * One run at a time per output directory, and nothing misleading left in it: a lock file claims
 * the directory (a second run writing the same --out raced silently), temp files of runs that died
 * are removed (`*.tmp-<pid>`, `.manifest.json.<pid>`), and the previous run's manifest is removed
 * before new outputs are written, so a run killed halfway leaves no manifest describing files it
 * did not write. Writes that fail for lack of space say so and name the path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { freeBytes, hostName, processAlive } from '../cache/store.ts';
import { UserError } from '../engine/errors.ts';
import { formatBytes } from '../engine/format-bytes.ts';

export const RUN_LOCK = '.snem-run.lock';

interface LockBody {
  pid: number;
  host: string;
  started: string;
}

/** Temp files snem writes into a run directory, with the pid that wrote them. */
const DEBRIS = [/\.tmp-(\d+)$/, /^\.manifest\.json\.(\d+)$/, /\.tmp\.(\d+)$/];

function debrisPid(name: string): number | null {
  for (const re of DEBRIS) {
    const m = re.exec(name);
    if (m) return Number(m[1]);
  }
  return null;
}

/** Claim `runDir` for this process (lock, remove dead runs' temp files); returns the release function. */
export function claimRunDir(runDir: string, log: (m: string) => void = () => {}): () => void {
  try {
    fs.mkdirSync(runDir, { recursive: true });
  } catch (e) {
    throw diskError(e, runDir) ?? e;
  }
  const lock = path.join(runDir, RUN_LOCK);
  const body: LockBody = { pid: process.pid, host: hostName, started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lock, JSON.stringify(body), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw diskError(e, lock) ?? e;
      let other: LockBody | null = null;
      try {
        other = JSON.parse(fs.readFileSync(lock, 'utf8')) as LockBody;
      } catch {
        /* unreadable: a writer that died mid-write */
      }
      if (other && other.pid !== process.pid && processAlive(other)) {
        throw new UserError(
          `${runDir}: another snem run (pid ${other.pid}, started ${other.started}) is writing into this directory; wait for it to finish or choose another --out`,
        );
      }
      fs.rmSync(lock, { force: true }); // stale: that run died
    }
  }
  let removed = 0;
  for (const name of fs.readdirSync(runDir)) {
    const pid = debrisPid(name);
    if (pid === null || (pid !== process.pid && processAlive({ pid, host: hostName }))) continue;
    fs.rmSync(path.join(runDir, name), { force: true });
    removed++;
  }
  if (removed)
    log(
      `removed ${removed} temp file${removed === 1 ? '' : 's'} left in ${runDir} by a run that did not finish`,
    );
  return () => fs.rmSync(lock, { force: true });
}

/** Before new outputs go in: the previous run's manifest goes, so it never describes a half-written directory. */
export function retireManifest(runDir: string, log: (m: string) => void = () => {}): void {
  const manifest = path.join(runDir, 'manifest.json');
  if (!fs.existsSync(manifest)) return;
  fs.rmSync(manifest);
  log(`${runDir} held a previous run: its manifest was removed; this run writes a new one when it finishes`);
}

/** A write that failed for lack of space (or quota), as a UserError naming the path; else null. */
export function diskError(e: unknown, where: string): UserError | null {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return null;
  const free = freeBytes(
    fs.existsSync(where) && fs.statSync(where).isDirectory() ? where : path.dirname(where),
  );
  return new UserError(
    `${where}: no space left on the device (${Number.isFinite(free) ? `${formatBytes(free)} free` : 'free space unknown'}); free some space or choose another --out, then run again (finished chunks are cached)`,
  );
}
