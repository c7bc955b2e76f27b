/** `snem serve [RUN_DIR] [--port P]`: the studio's page on a finished run, read-only (127.0.0.1 only). */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { handle } from '../handler.ts';

interface ServeArgs {
  target?: string;
  port: number;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve [target]',
  describe:
    "browse a finished run in the studio's page, read-only: maps, patterns, curves, its report (http://127.0.0.1 only)",
  builder: (y) =>
    y
      .positional('target', {
        type: 'string',
        describe: 'run directory (default .), or a graph file to point at its run',
      })
      .option('port', { type: 'number', default: 8765, describe: 'port (0 = any free port)' }),
  handler: handle(async (a: ServeArgs) => {
    const { ReadonlyRun } = await import('../../studio/server/readonly.ts');
    const { listen } = await import('../../studio/server/server.ts');
    const target = a.target ?? '.';
    const runDir = target;
    if (fs.existsSync(target) && fs.statSync(target).isFile()) {
      throw new UserError(
        `${target}: serve shows a finished run; run the graph first ('snem run ${target} --out DIR') and then 'snem serve DIR'`,
      );
    }
    if (!fs.existsSync(path.join(runDir, 'manifest.json')))
      throw new UserError(`${runDir}: not a run directory (no manifest.json)`);
    const ex = await listen(await ReadonlyRun.open(runDir), { port: a.port });
    process.stdout.write(
      `snem studio (read-only) for ${path.resolve(runDir)} at ${ex.url}  (report: ${ex.url}api/run-file?name=report.html; Ctrl-C to stop)\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await ex.close();
  }),
};
