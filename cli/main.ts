/**
 * The `snem` command line. Each command is one module in cli/commands/; errors the user can fix
 * exit 1 with one message, anything else exits 2.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.ts';
import { exitWithError } from './handler.ts';

// `snem nodes | head -2`: the reader went away; stop quietly as other Unix tools do (was an EPIPE trace)
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

let cli = yargs(hideBin(process.argv))
  .scriptName('snem')
  .usage('snem <command> [options]\n\n4D-STEM → ePDF maps with a content-hashed, cached analysis graph.')
  .strict()
  .demandCommand(1, 'Name a command (see the list above).')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version(false)
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err) exitWithError(err);
    process.stderr.write(`snem: ${msg}\nRun 'snem --help' for usage.\n`);
    process.exit(1);
  });
for (const c of commands) cli = cli.command(c);
skipHelpCache(cli);
await cli.parseAsync();

/**
 * yargs renders the whole help text of every command it runs, in case the command fails later and
 * the help is to be shown (usage.cacheHelpMessage): 30–100 ms of every start-up, for a text our
 * .fail() never prints. `snem CMD --help` renders it when asked, as before.
 */
function skipHelpCache(y: typeof cli): void {
  const internal = (y as unknown as { getInternalMethods?: () => { getUsageInstance?: () => unknown } })
    .getInternalMethods?.()
    .getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (typeof internal?.cacheHelpMessage === 'function') internal.cacheHelpMessage = () => {};
}
