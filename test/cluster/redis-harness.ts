/**
 * Test harness for the cluster: a private redis-server on a free loopback port (never a fixed
 * port, never a remote host), snem workers and coordinators as child processes with the toy ops.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, waitForRedis } from '../../bench/loopback-redis.ts';

export const root = path.resolve(__dirname, '../..');
export const snem = path.join(root, 'cli/snem.js');
export const toyOps = path.join(root, 'test/fixtures/toy-ops.ts');

export { freePort };

export class TestRedis {
  proc: ChildProcess | null = null;
  constructor(
    readonly dir: string,
    readonly port: number,
    /** Extra redis-server options (later options override the defaults below). */
    readonly args: string[] = [],
  ) {}

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir: string, args: string[] = []): Promise<TestRedis> {
    const r = new TestRedis(dir, await freePort(), args);
    await r.start();
    return r;
  }

  /** Append-only file with fsync per write: a restart keeps everything (as a cluster's Redis should). */
  async start(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    this.proc = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        ...this.args,
      ],
      { stdio: 'ignore' },
    );
    if (await waitForRedis(this.port)) return;
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  cli(...args: string[]): string {
    return spawnSync('redis-cli', ['-p', String(this.port), ...args], { encoding: 'utf8' }).stdout.trim();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Proc {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

export function start(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [snem, ...args], {
    env: { ...process.env, SNEM_OPS: toyOps, CI: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { child, stdout: '', stderr: '', exited: null as never };
  child.stdout!.on('data', (d) => (p.stdout += d));
  child.stderr!.on('data', (d) => (p.stderr += d));
  p.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return p;
}

/** A worker, once it says it is waiting for chunks. */
export async function startWorker(
  url: string,
  env: Record<string, string>,
  extra: string[] = [],
): Promise<Proc> {
  const w = start(['worker', '--cluster', url, '--concurrency', '1', '--stalled-after', '3', ...extra], env);
  for (let i = 0; i < 600 && !w.stderr.includes('waiting for chunks'); i++) {
    if (w.child.exitCode !== null) throw new Error(`worker exited: ${w.stderr}`);
    await sleep(50);
  }
  if (!w.stderr.includes('waiting for chunks')) throw new Error(`worker did not start: ${w.stderr}`);
  return w;
}

export async function stopAll(ps: Proc[]): Promise<void> {
  await Promise.all(
    ps.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      await p.exited;
      clearTimeout(t);
    }),
  );
}

/** Lines of the toy ops' invocation log, counted per node. */
export function counts(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (fs.existsSync(file))
    for (const l of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) out[l] = (out[l] ?? 0) + 1;
  return out;
}

/** Every .npy of a run directory, by name. */
export function npyFiles(dir: string): Record<string, Buffer> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.npy'))
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(dir, f))]),
  );
}
