// The `attribution` command line. Each command lives in client/commands/. Conventions for
// scripting (docs/cli-and-worker.md, "CLI conventions"): exit code 0 success, 1 a failed run or refused
// input, 2 a usage error (one line and a hint, not the whole help); `--json` on run, backfill and
// status; `--version`; Ctrl-C detaches from the workflow being followed.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { PROJECT_ROOT } from '../common/config';
import { registerIngestCommand } from './commands/ingest';
import { registerIngestEventsCommand } from './commands/ingestEvents';
import { registerMonthsCommands } from './commands/months';
import { registerOpsCommands } from './commands/ops';
import { registerScheduleCommands } from './commands/schedule';
import { registerServeCommand } from './commands/serve';
import { registerReportCommand } from './commands/report';
import { registerSensitivityCommand } from './commands/sensitivity';
import { DEFAULT_RULESET, registerRunCommand, runAndReport } from './commands/run';
import { registerStackCommands } from './commands/stack';
import { rootCause } from './failure';
import { detachOnInterrupt } from './interrupt';
import { emitJson, useJsonOutput } from './output';
import { withSession } from './session';

const USAGE_ERROR = 2;

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

// exitOverride and the rest are inherited by every subcommand registered below.
const program = new Command('attribution')
  .description('Revenue attribution engine: ingest billing and usage, attribute revenue to channels, keep an exact ledger.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();
program.hook('preAction', (_program, command) => {
  if (command.opts().json) useJsonOutput();
});
detachOnInterrupt();

registerStackCommands(program);
registerIngestCommand(program);
registerIngestEventsCommand(program);
registerRunCommand(program);
registerReportCommand(program);
registerSensitivityCommand(program);
registerOpsCommands(program);
registerMonthsCommands(program);
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
    console.log('\nThe stack (Postgres, Temporal and the resident worker) keeps running so you can look around; stop it with `npx attribution stack down`.');
    if (!ok) process.exitCode = 1;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  // Commander has printed its one line already; --help and --version end here with 0.
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : USAGE_ERROR;
    return;
  }
  const cause = rootCause(error);
  console.error(`attribution: ${cause.message}`);
  emitJson({ status: 'FAILED', error: { message: cause.message, type: cause.type } });
  process.exitCode = 1;
});
