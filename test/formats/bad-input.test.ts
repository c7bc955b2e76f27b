/**
 * Bad input through `snem info` as a child process: exit code 1 and one message naming the file,
 * what was expected and what was found.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { describeFile } from '../../cli/commands/info.ts';
import { bloBytes, npyBytes, tmpDir } from './fixtures.ts';

const cli = path.resolve(import.meta.dirname, '../../cli/snem.js');

function snemInfo(args: string[]): Promise<{ code: number | null; err: string; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'info', ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, err, out }));
  });
}

describe('snem info on bad input', () => {
  const dir = tmpDir('snem-bad-');
  fs.chmodSync(dir, 0o755);

  // Root reads any file, and an unprivileged child may not reach this checkout at all (a clone under
  // a mode-700 home or CI temp dir): as root the real permission error is not run through the CLI,
  // the in-process test below makes the kernel's EACCES answer instead (wherever the checkout lives).
  const root = process.getuid?.() === 0;

  it('via the CLI: exits 0 with JSON for a good file, 1 with one message for wrong magic, truncation, an empty file, a permission error (not as root)', async () => {
    const ok = path.join(dir, 'ok.blo');
    fs.writeFileSync(ok, bloBytes({ ny: 2, nx: 3, dp: 4 }));
    const junk = path.join(dir, 'junk.dat');
    fs.writeFileSync(junk, Buffer.from('hello, this is not a detector file'));
    const short = path.join(dir, 'short.npy');
    fs.writeFileSync(short, npyBytes('|u1', [10, 8, 8], new Uint8Array(100)));
    const empty = path.join(dir, 'empty.npy');
    fs.writeFileSync(empty, '');
    const secret = path.join(dir, 'secret.blo');
    fs.writeFileSync(secret, bloBytes({ ny: 1, nx: 1, dp: 4 }));
    fs.chmodSync(secret, 0o000);
    const [good, magic, trunc, emp, perm] = await Promise.all([
      snemInfo([ok, '--json']),
      snemInfo([junk]),
      snemInfo([short]),
      snemInfo([empty]),
      root ? null : snemInfo([secret]),
    ]);
    expect(good.code).toBe(0);
    expect(JSON.parse(good.out)).toMatchObject({
      format: 'blo',
      scan: { ny: 2, nx: 3 },
      frameShape: [4, 4],
      dtype: 'uint8',
      positions: 6,
    });
    const bad: [typeof magic, RegExp][] = [
      [
        magic,
        /junk\.dat: unrecognised data format \(magic bytes "hello, t", extension "\.dat"; expected one of: npy, blo/,
      ],
      [
        trunc,
        /short\.npy: truncated \.npy file: header declares shape \(10, 8, 8\) uint8 = 640 data bytes, but only 100/,
      ],
      [emp, /empty\.npy: is empty \(0 bytes; expected a data file\)/],
    ];
    if (perm) bad.push([perm, /secret\.blo: permission denied \(expected a readable data file\)/]);
    for (const [r, msg] of bad) {
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  }, 60000);

  it('in process: a file the kernel refuses to read (EACCES) gives the permission message, as any user', async () => {
    const secret = path.join(dir, 'locked.blo');
    fs.writeFileSync(secret, bloBytes({ ny: 1, nx: 1, dp: 4 }));
    const denied = (p: fs.PathLike) =>
      Object.assign(new Error(`EACCES: permission denied, access '${p}'`), { code: 'EACCES' });
    const access = vi.spyOn(fs, 'accessSync').mockImplementation((p) => {
      throw denied(p);
    });
    try {
      await expect(describeFile(secret, {})).rejects.toThrow(
        /locked\.blo: permission denied \(expected a readable data file\)/,
      );
    } finally {
      access.mockRestore();
    }
    const stat = vi.spyOn(fs, 'statSync').mockImplementation((p) => {
      throw denied(p);
    });
    try {
      await expect(describeFile(secret, {})).rejects.toThrow(
        /locked\.blo: permission denied \(expected a readable data file\)/,
      );
    } finally {
      stat.mockRestore();
    }
    expect((await describeFile(secret, {})).scan).toEqual({ ny: 1, nx: 1 });
  });

  it('in process: a truncated blo, a shape or dtype mismatch, a directory and a missing file', async () => {
    const blo = path.join(dir, 'cut.blo');
    const b = bloBytes({ ny: 2, nx: 3, dp: 4 });
    fs.writeFileSync(blo, b.subarray(0, b.length - 5));
    const stack = path.join(dir, 'stack.npy');
    fs.writeFileSync(stack, npyBytes('|u1', [6, 2, 2], new Uint8Array(24)));
    const odd = path.join(dir, 'odd.bin');
    fs.writeFileSync(odd, Buffer.alloc(34));
    await expect(describeFile(blo, {})).rejects.toThrow(
      /cut\.blo: truncated blockfile: the header declares 6 frames/,
    );
    await expect(describeFile(stack, { scan: '4x4' })).rejects.toThrow(
      /stack\.npy: scan 4×4 = 16 positions, but the file holds 6 frames/,
    );
    await expect(describeFile(odd, { raw: { shape: [4, 4], dtype: 'uint16' } })).rejects.toThrow(
      /odd\.bin: size 34 bytes is not a whole number of 4×4 uint16 frames/,
    );
    await expect(describeFile(dir, {})).rejects.toThrow(/: is a directory \(expected a data file\)/);
    await expect(describeFile(path.join(dir, 'nope.mib'), {})).rejects.toThrow(/nope\.mib: no such file/);
    expect((await describeFile(stack, { scan: '2x3' })).scan).toEqual({ ny: 2, nx: 3 });
  });
});
