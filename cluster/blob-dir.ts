/**
 * Blobs as files in a directory on shared storage (NFS, Lustre): DIR/ab/HASH. Each is written under
 * a temporary name and renamed into place (rename is atomic on one file system, so a reader never
 * sees half a blob) and checked against its hash when read (a corrupt file counts as missing).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { valueHashOf } from '../cache/codec.ts';
import { UserError } from '../engine/errors.ts';

export class BlobDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    const probe = path.join(this.dir, `.write-test-${os.hostname()}-${process.pid}`);
    try {
      fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
      fs.writeFileSync(probe, 'ok');
      fs.rmSync(probe);
    } catch (e) {
      throw new UserError(
        `--store ${dir}: not a writable directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  }

  private file(hash: string): string {
    return path.join(this.dir, hash.slice(0, 2), hash);
  }

  has(hash: string): boolean {
    return fs.existsSync(this.file(hash));
  }

  /** The bytes, or null if missing or not hashing to their name. */
  read(hash: string): Uint8Array | null {
    let b: Buffer;
    try {
      b = fs.readFileSync(this.file(hash));
    } catch {
      return null;
    }
    return valueHashOf(b) === hash ? b : null;
  }

  write(hash: string, bytes: Uint8Array): void {
    const dest = this.file(hash);
    if (fs.existsSync(dest) && fs.statSync(dest).size === bytes.length) return;
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const tmp = path.join(
      this.dir,
      'tmp',
      `${hash}.${os.hostname()}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`,
    );
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, dest);
  }

  remove(hash: string): void {
    fs.rmSync(this.file(hash), { force: true });
  }

  /** Every blob hash in the directory. */
  *hashes(): Generator<string> {
    for (const d of fs.readdirSync(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of fs.readdirSync(path.join(this.dir, d))) yield f;
    }
  }
}
