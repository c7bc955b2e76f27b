/**
 * Write a file by temp name and rename: a reader never sees half a file, a full disk leaves no
 * truncated one, and a file hard-linked from elsewhere (cache/output-store.ts) is replaced, never
 * written into. The temp name ends in `.tmp-PID`, which run directories clean up after dead runs.
 */
import fs from 'node:fs';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
