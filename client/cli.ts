// The `attribution` command line. Each command lives in client/commands/.
import path from 'node:path';
import { Command } from 'commander';
import { PROJECT_ROOT } from '../common/config';
import { registerIngestCommand } from './commands/ingest';
import { registerIngestEventsCommand } from './commands/ingestEvents';
import { registerOpsCommands } from './commands/ops';
import { registerScheduleCommands } from './commands/schedule';
import { registerServeCommand } from './commands/serve';
import { registerReportCommand } from './commands/report';
import { registerSensitivityCommand } from './commands/sensitivity';
import { DEFAULT_RULESET, registerRunCommand, runAndReport } from './commands/run';
import { registerStackCommands } from './commands/stack';
import { withSession } from './session';

const program = new Command('attribution')
  .description('Revenue attribution engine: ingest billing and usage, attribute revenue to channels, keep an exact ledger.')
  .showHelpAfterError();

registerStackCommands(program);
registerIngestCommand(program);
registerIngestEventsCommand(program);
registerRunCommand(program);
registerReportCommand(program);
registerSensitivityCommand(program);
registerOpsCommands(program);
registerScheduleCommands(program);
registerServeCommand(program);

program
  .command('demo')
  .description('the main job on the embedded default: the KrispCall analysis of examples/krispcall-small into out/krispcall-small')
  .action(async () => {
    const options = {
      dataset: path.join(PROJECT_ROOT, 'examples', 'krispcall-small'),
      out: path.join(PROJECT_ROOT, 'out', 'krispcall-small'),
      asOf: '2024-07-01T00:00:00.000Z', // the example's data ends in June 2024: a fixed cutoff keeps the outputs reproducible
      ruleset: DEFAULT_RULESET,
    };
    const ok = await withSession((session) => runAndReport(session, options, 'run'), { worker: true });
    console.log('\nThe stack keeps running so you can look around; stop it with `npx attribution stack down`.');
    if (!ok) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`attribution: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
