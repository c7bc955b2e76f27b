import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const snem = path.resolve(import.meta.dirname, '../../cli/snem.js');

it('`snem nodes | head -2`: a reader that goes away ends the command quietly (was an EPIPE stack trace)', async () => {
  const res = await new Promise<{ code: number | null; err: string; got: string }>((resolve) => {
    const child = spawn(process.execPath, [snem, 'nodes']);
    let err = '';
    let got = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.once('data', (d) => {
      got = String(d);
      child.stdout.destroy(); // like head: read a little, close the pipe
    });
    child.on('close', (code) => resolve({ code, err, got }));
  });
  expect(res.got).toMatch(/calib\.geometry/);
  expect(res.err).not.toMatch(/EPIPE|Unhandled/);
  expect(res.code).toBe(0);
}, 30_000);
