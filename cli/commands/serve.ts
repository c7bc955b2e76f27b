/** `snem serve [RUN_DIR] [--port P]`: the local explorer (127.0.0.1 only) for a finished run. */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UserError } from '../../engine/errors.ts';
import { startExplorer } from '../../report/serve.ts';
import { handle } from '../handler.ts';

interface ServeArgs {
  target?: string;
  port: number;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve [target]',
  describe: "browse a run: its report, and any position's values and curves (http://127.0.0.1 only)",
  builder: (y) =>
    y
      .positional('target', { type: 'string', describe: 'run directory (default .), or a graph file to point at its run' })
      .option('port', { type: 'number', default: 8765, describe: 'port (0 = any free port)' }),
  handler: handle(async (a: ServeArgs) => {
    const target = a.target ?? '.';
    let runDir = target;
    if (fs.existsSync(target) && fs.statSync(target).isFile()) {
      throw new UserError(`${target}: serve shows a finished run; run the graph first ('snem run ${target} --out DIR') and then 'snem serve DIR'`);
    }
    if (!fs.existsSync(path.join(runDir, 'manifest.json'))) throw new UserError(`${runDir}: not a run directory (no manifest.json)`);
    const ex = await startExplorer(runDir, { port: a.port });
    process.stdout.write(`snem explorer for ${path.resolve(runDir)} at ${ex.url}  (report: ${ex.url}report.html; Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await ex.close();
  }),
};
