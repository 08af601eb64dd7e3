// The `attribution` command line. Each command lives in client/commands/.
import path from 'node:path';
import { Command } from 'commander';
import { PROJECT_ROOT } from '../common/config';
import { registerIngestCommand, ingestAndReport } from './commands/ingest';
import { registerStackCommands } from './commands/stack';
import { withSession } from './session';

const program = new Command('attribution')
  .description('Revenue attribution engine: ingest billing and usage, attribute revenue to channels, keep an exact ledger.')
  .showHelpAfterError();

registerStackCommands(program);
registerIngestCommand(program);

program
  .command('demo')
  .description('the main job on the embedded default: start the stack and ingest examples/krispcall-small')
  .action(async () => {
    const dir = path.join(PROJECT_ROOT, 'examples', 'krispcall-small');
    const ok = await withSession((session) => ingestAndReport(session, dir, null), { worker: true });
    console.log('\nThe stack keeps running so you can look around; stop it with `npx attribution stack down`.');
    if (!ok) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`attribution: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
