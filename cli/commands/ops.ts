/** `snem ops check|relock`: the committed ops.lock.json against the ops' code (app/ops-lock.ts). */
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { handle } from '../handler.ts';

export const opsCommand: CommandModule<object, { action: 'check' | 'relock' }> = {
  command: 'ops <action>',
  describe: "ops.lock.json: check it against the code, or relock (record every op's version and code hash)",
  builder: (y) =>
    y.positional('action', { choices: ['check', 'relock'] as const, demandOption: true }) as never,
  handler: handle(async (a: { action: 'check' | 'relock' }) => {
    const { currentLock, LOCK_FILE, lockChanges, lockedOps, lockProblems, readLock, writeLock } =
      await import('../../app/ops-lock.ts');
    const { engineWiring } = await import('../../app/wiring.ts');
    const ops = lockedOps((await engineWiring()).registry);
    const locked = readLock();
    if (a.action === 'check') {
      const problems = lockProblems(locked, ops);
      if (problems.length)
        throw new UserError(`ops.lock.json is out of date:\n  - ${problems.join('\n  - ')}`);
      process.stdout.write(`${LOCK_FILE}: current (${ops.length} ops)\n`);
      return;
    }
    const next = currentLock(ops);
    const changes = lockChanges(locked, next);
    writeLock(next);
    process.stdout.write(
      `${LOCK_FILE}: ${changes.length ? `${changes.length} op(s) relocked\n  ${changes.join('\n  ')}` : 'unchanged'}\n`,
    );
  }),
};
