/**
 * The run directory (issue #17): one run at a time per --out, temp files of dead runs removed, the
 * old manifest never left beside new outputs, and a full disk named instead of an internal error.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { claimRunDir, diskError, retireManifest, RUN_LOCK } from '../../app/run-dir.ts';
import { hostName } from '../../cache/store.ts';
import { writeNpy } from '../../formats/npy.ts';
import { writeManifest } from '../../report/run-data.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'snem-rundir-'));
const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
afterAll(() => {
  sleeper.kill();
  fs.rmSync(work, { recursive: true, force: true });
});
const deadPid = () =>
  Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
      .stdout,
  );
const enospc = (p: string) =>
  Object.assign(new Error(`ENOSPC: no space left on device, write '${p}'`), { code: 'ENOSPC', path: p });

describe('run directory', () => {
  it("a directory another live run holds is refused with its pid; a dead run's lock is taken over", () => {
    const dir = path.join(work, 'locked');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, RUN_LOCK),
      JSON.stringify({ pid: sleeper.pid, host: hostName, started: '2026-12-03T15:00:00Z' }),
    );
    expect(() => claimRunDir(dir)).toThrow(
      new RegExp(
        `locked: another snem run \\(pid ${sleeper.pid}, started 2026-12-03T15:00:00Z\\) is writing into this directory; wait for it to finish or choose another --out`,
      ),
    );
    fs.writeFileSync(
      path.join(dir, RUN_LOCK),
      JSON.stringify({ pid: deadPid(), host: hostName, started: 'x' }),
    );
    const release = claimRunDir(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, RUN_LOCK), 'utf8')).pid).toBe(process.pid);
    release();
    expect(fs.existsSync(path.join(dir, RUN_LOCK))).toBe(false);
  });

  it("temp files of runs that died are removed, a live run's are not; the old manifest goes before new outputs", () => {
    const dir = path.join(work, 'debris');
    fs.mkdirSync(dir);
    const dead = deadPid();
    for (const f of [
      `pdf.G.npy.tmp-${dead}`,
      `.manifest.json.${dead}`,
      `report.html.tmp-${dead}`,
      `iq.I.npy.tmp-${sleeper.pid}`,
      'manifest.json',
      'pdf.G.npy',
    ])
      fs.writeFileSync(path.join(dir, f), 'x');
    const notes: string[] = [];
    const release = claimRunDir(dir, (m) => notes.push(m));
    expect(fs.readdirSync(dir).sort()).toEqual(
      [RUN_LOCK, `iq.I.npy.tmp-${sleeper.pid}`, 'manifest.json', 'pdf.G.npy'].sort(),
    );
    expect(notes).toEqual([`removed 3 temp files left in ${dir} by a run that did not finish`]);
    retireManifest(dir, (m) => notes.push(m));
    expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(false);
    expect(notes[1]).toMatch(
      /held a previous run: its manifest was removed; this run writes a new one when it finishes/,
    );
    release();
  });

  it('full disk: writes leave no temp file or empty file, and the message names the path', () => {
    const dir = path.join(work, 'full');
    fs.mkdirSync(dir);
    const write = vi.spyOn(fs, 'writeSync').mockImplementation(() => {
      throw enospc(path.join(dir, 'a.npy.tmp'));
    });
    try {
      expect(() =>
        writeNpy(path.join(dir, 'a.npy'), { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) }),
      ).toThrow(/ENOSPC/);
    } finally {
      write.mockRestore();
    }
    const wfs = vi.spyOn(fs, 'writeFileSync').mockImplementation((p) => {
      throw enospc(String(p));
    });
    try {
      expect(() => writeManifest(dir, { run: 'x' } as never)).toThrow(/ENOSPC/);
    } finally {
      wfs.mockRestore();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
    const e = diskError(enospc(path.join(dir, 'report.html')), path.join(dir, 'report.html'));
    expect(e?.message).toMatch(
      /full\/report\.html: no space left on the device \(.*\); free some space or choose another --out, then run again \(finished chunks are cached\)/,
    );
    expect(diskError(new Error('other'), dir)).toBeNull();
  });
});
