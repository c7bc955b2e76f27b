/**
 * A private redis-server on loopback for the cluster benchmark and the cluster tests: a free port
 * chosen by the OS (never a fixed port, never a remote host) and a wait until it answers PING.
 * Both front ends of the cluster that need their own Redis share this, so the port choice and the
 * readiness check are written once.
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';

/** A TCP port free on 127.0.0.1 right now (the OS picks it; closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Poll `redis-cli ping` on the port every 100 ms; false if it never answers PONG within `ms`. */
export async function waitForRedis(port: number, ms = 10_000): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 100) {
    const pong = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.trim();
    if (pong === 'PONG') return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
