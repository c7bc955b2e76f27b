/**
 * ops.lock.json: per built-in op its `version` and code hash, plus the hash of every file those
 * hashes cover. Keys already hold the live code hash, so a forgotten version bump never serves a
 * stale result; the lock makes the change visible in review, and its test (test/engine/ops-lock)
 * says what to do: bump the op's version when its outputs change, then `snem ops relock`; or, for
 * a refactor the bit-identity tests show to be output-identical, only relock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closureFiles } from '../engine/code-hash.ts';
import type { OpDef, Registry } from '../engine/types.ts';

export interface LockedOp {
  version: number;
  codeHash: string;
  /** Keys leave the code hash out (OpDef.pinned). */
  pinned?: true;
  /** The op's source file (package-relative). */
  source: string;
}

export interface OpsLock {
  /** Every file some op's code hash covers: package-relative path → content hash. */
  files: Record<string, string>;
  ops: Record<string, LockedOp>;
}

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LOCK_FILE = path.join(PACKAGE_ROOT, 'ops.lock.json');

const relative = (file: string) => path.relative(PACKAGE_ROOT, file).split(path.sep).join('/');

/** The ops the lock covers: those defined under nodes/ of this package (not plugins, not test ops). */
export function lockedOps(reg: Registry): OpDef[] {
  return [...reg.values()]
    .filter((op) => op.sourceFile && relative(op.sourceFile).startsWith('nodes/'))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The lock as the code is now. */
export function currentLock(ops: OpDef[]): OpsLock {
  const lock: OpsLock = { files: {}, ops: {} };
  for (const op of ops) {
    Object.assign(lock.files, closureFiles(op.sourceFile!));
    lock.ops[op.name] = {
      version: op.version,
      codeHash: op.codeHash!,
      ...(op.pinned ? { pinned: true as const } : {}),
      source: relative(op.sourceFile!),
    };
  }
  lock.files = Object.fromEntries(Object.entries(lock.files).sort(([a], [b]) => a.localeCompare(b)));
  return lock;
}

export function readLock(file = LOCK_FILE): OpsLock | null {
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as OpsLock;
}

export function writeLock(lock: OpsLock, file = LOCK_FILE): void {
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}

const RELOCK = 'npx snem ops relock';

/**
 * What differs between the committed lock and the code, one message per op, each saying what to
 * do. Empty: the lock is current.
 */
export function lockProblems(locked: OpsLock | null, ops: OpDef[]): string[] {
  if (!locked) return [`ops.lock.json is missing: run \`${RELOCK}\` and commit it`];
  const problems: string[] = [];
  const names = new Set(ops.map((o) => o.name));
  /** Ops whose code changed without a bump, grouped by what changed (one shared helper: one message). */
  const changedCode = new Map<string, OpDef[]>();
  for (const op of ops) {
    const was = locked.ops[op.name];
    const where = relative(op.sourceFile!);
    if (!was) {
      problems.push(`op '${op.name}' (${where}) is new: run \`${RELOCK}\` and commit ops.lock.json`);
      continue;
    }
    if (was.version !== op.version) {
      if (was.codeHash === op.codeHash)
        problems.push(
          `op '${op.name}': version ${was.version} → ${op.version} with unchanged code; run \`${RELOCK}\` and commit ops.lock.json`,
        );
      else
        problems.push(
          `op '${op.name}': version bumped ${was.version} → ${op.version}; run \`${RELOCK}\` to record its new code and commit ops.lock.json`,
        );
      continue;
    }
    if (was.codeHash === op.codeHash) continue;
    const files = closureFiles(op.sourceFile!);
    const changed = Object.keys(files).filter(
      (f) => locked.files[f] !== undefined && locked.files[f] !== files[f],
    );
    const added = Object.keys(files).filter((f) => locked.files[f] === undefined);
    const what =
      [
        changed.length ? `changed: ${changed.join(', ')}` : '',
        added.length ? `newly imported: ${added.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ') || 'a module it imported is gone';
    changedCode.set(what, [...(changedCode.get(what) ?? []), op]);
  }
  for (const [what, group] of changedCode) {
    const list = group.map((op) => `'${op.name}' v${op.version} (${relative(op.sourceFile!)})`).join(', ');
    const one = group.length === 1;
    problems.push(
      `${one ? 'op' : `${group.length} ops:`} ${list}: ${one ? 'its' : 'their'} code changed without a version bump (${what}).\n` +
        `    If ${one ? 'its' : "an op's"} outputs change: bump \`version\` in ${one ? `${relative(group[0].sourceFile!)} (v${group[0].version} → v${group[0].version + 1})` : 'its source file'}, then run \`${RELOCK}\`.\n` +
        `    If they do not (a refactor; the bit-identity tests in \`npm test\` pass unchanged): run \`${RELOCK}\` only.\n` +
        `    Either way commit ops.lock.json (on a merge conflict in it, take either side and relock).`,
    );
  }
  for (const name of Object.keys(locked.ops))
    if (!names.has(name))
      problems.push(
        `op '${name}' is in ops.lock.json but no longer exists: run \`${RELOCK}\` and commit ops.lock.json`,
      );
  return problems;
}

/** Entries a relock changes, for its summary. */
export function lockChanges(before: OpsLock | null, after: OpsLock): string[] {
  const out: string[] = [];
  for (const [name, e] of Object.entries(after.ops)) {
    const was = before?.ops[name];
    if (!was) out.push(`+ ${name} v${e.version}`);
    else if (was.version !== e.version || was.codeHash !== e.codeHash)
      out.push(
        `~ ${name} v${was.version} → v${e.version}${was.codeHash !== e.codeHash ? ' (code changed)' : ''}`,
      );
  }
  for (const name of Object.keys(before?.ops ?? {})) if (!after.ops[name]) out.push(`- ${name}`);
  return out;
}
