// The monthly operations: attribution backfill | replay | status | cancel.
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { InvalidArgumentError, type Command } from 'commander';
import { PROJECT_ROOT } from '../../common/config';
import type { ReprocessChoice } from '../../common/monthStates';
import { monthStart, nextMonth } from '../../common/period';
import { workflowIds } from '../../common/temporalNames';
import { backfill, type BackfillInput, type BackfillProgress } from '../../workflows/backfill';
import { replay, type ReplayInput, type ReplayResult } from '../../workflows/replay';
import { latestOtherModelVersion } from '../../store/runs';
import { identityAttributes } from '../../workflows/runAttributes';
import { parseReprocess, printDryRun } from './months';
import { rootCause } from '../failure';
import { resultWithProgress, watchBackfill } from '../follow';
import { followingWorkflow } from '../interrupt';
import { emitJson } from '../output';
import { writeReplayReport } from '../reports/replayReport';
import { writeRunReport } from '../reports/runReport';
import { backfillResultLine, printStatus, statusExitCode, workflowStatus } from '../status';
import { withSession, workflowUrl, type Session } from '../session';
import { DEFAULT_RULESET, loadRulesetFile } from './run';

export function parseMonth(value: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a month like 2024-01`);
  return value;
}

interface BackfillOptions {
  from: string;
  to: string;
  ruleset: string;
  books?: string;
  detach?: boolean;
  json?: boolean;
  dryRun?: boolean;
  reprocess?: ReprocessChoice[];
  failFast?: boolean;
  out?: string;
}

export function backfillInput(options: BackfillOptions, kind: 'backfill' | 'replay'): { input: BackfillInput; workflowId: string } {
  if (options.from > options.to) throw new Error(`--from ${options.from} is after --to ${options.to}.`);
  const loaded = loadRulesetFile(options.ruleset, options.books);
  const input: BackfillInput = {
    kind, fromMonth: options.from, toMonth: options.to,
    ...(options.reprocess ? { reprocess: options.reprocess } : {}),
    ...(options.failFast ? { failFast: true } : {}),
    run: { rulesetYaml: loaded.yaml, rulesetSource: loaded.source, modelVersion: loaded.modelVersion, books: loaded.books },
  };
  return { input, workflowId: workflowIds.backfill(kind, loaded.modelVersion, options.from, options.to, loaded.books) };
}

export function registerOpsCommands(program: Command): void {
  program
    .command('backfill')
    .description('run every UTC month of a range, in order, one child run per month; resumable, and a second start attaches to the first')
    .requiredOption('--from <month>', 'first month, e.g. 2024-01', parseMonth)
    .requiredOption('--to <month>', 'last month (included), e.g. 2025-06', parseMonth)
    .option('--ruleset <file>', 'ruleset YAML', DEFAULT_RULESET)
    .option('--books <list>', 'comma-separated books (default: the ruleset\'s default_books)')
    .option('--detach', 'start it and return; follow it with `attribution status <id>`')
    .option('--json', 'print the outcome as one JSON document on stdout (everything else goes to stderr)')
    .option('--dry-run', 'list each month, its state and whether it would run, and why; start and write nothing')
    .option('--reprocess <states>', 'month states to run: missing, failed, stale, all (comma-separated; default missing,failed,stale)', parseReprocess)
    .option('--fail-fast', 'stop at the first failed month (default: go on, and name the failed months at the end)')
    .option('--out <dir>', 'when it finishes, write the range report here (CSVs per book, comparison.csv, revenue_by_month.csv, report.html, manifest.json)')
    .action(async (options: BackfillOptions) => {
      if (options.dryRun) {
        const { input } = backfillInput(options, 'backfill');
        await withSession(({ pool }) => printDryRun(pool, { ...input.run, fromMonth: input.fromMonth, toMonth: input.toMonth, reprocess: input.reprocess }), { worker: false });
        return;
      }
      if (options.detach && options.out) throw new Error('--out needs the command to wait for the backfill: drop --detach, or run `attribution report` later.');
      await withSession(async (session) => {
        const { input, workflowId } = backfillInput(options, 'backfill');
        const handle = await session.client.workflow.start(backfill, {
          workflowId, taskQueue: session.config.taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: identityAttributes({ kind: 'backfill', period: `${options.from}..${options.to}`, modelVersion: input.run.modelVersion }),
          memo: { ruleset: input.run.rulesetSource }, staticSummary: `Backfill ${options.from}..${options.to} · ${input.run.modelVersion}`,
        });
        announce(session, workflowId);
        if (options.detach) {
          emitJson({ workflowId, runId: handle.firstExecutionRunId, type: 'backfill', status: 'RUNNING', url: workflowUrl(session.endpoints, workflowId) ?? null });
          return;
        }
        const finished = await follow(session, handle);
        if (finished && options.out) {
          const written = await writeRunReport(session.pool, {
            modelVersion: input.run.modelVersion, basis: 'monthly', from: monthStart(options.from), to: monthStart(nextMonth(options.to)), asOf: null,
            books: input.run.books, outDir: path.resolve(options.out), runId: null, months: { from: options.from, to: options.to },
          });
          console.log(`Reports in ${written.outDir}: ${written.files.join(', ')}`);
        }
      }, { worker: true });
    });

  program
    .command('replay')
    .description('backfill a range under a new ruleset (a new model version beside the old rows), then write the diff old vs new')
    .requiredOption('--ruleset <file>', 'the new ruleset YAML')
    .requiredOption('--from <month>', 'first month', parseMonth)
    .requiredOption('--to <month>', 'last month (included)', parseMonth)
    .option('--against <model-version>', 'the model version to compare with (default: the latest other model version in the ledger)')
    .option('--books <list>', 'comma-separated books')
    .option('--out <dir>', 'where replay_diff.csv, replay_diff.txt, report.html and manifest.json go (default: out/replay-<model version>)')
    .action(async (options: BackfillOptions & { against?: string; out?: string }) => {
      await withSession(async (session) => {
        const { input, workflowId: backfillId } = backfillInput(options, 'replay');
        const against = options.against ?? (await againstModelVersion(session, input.run.modelVersion));
        const outDir = path.resolve(options.out ?? path.join(PROJECT_ROOT, 'out', `replay-${input.run.modelVersion.replace('#', '-')}`));
        const replayInput: ReplayInput = { oldModelVersion: against, backfill: input };
        const workflowId = `${backfillId}/vs-${against}`;
        const handle = await session.client.workflow.start(replay, {
          workflowId, taskQueue: session.config.taskQueue, args: [replayInput], workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: identityAttributes({ kind: 'replay', period: `${options.from}..${options.to}`, modelVersion: input.run.modelVersion }),
          staticSummary: `Replay ${options.from}..${options.to}: ${against} → ${input.run.modelVersion}`,
        });
        announce(session, workflowId);
        console.log(`Comparing ${against} (old) with ${input.run.modelVersion} (new)`);
        let result: ReplayResult;
        try {
          result = await resultWithProgress<ReplayResult>(handle, watchBackfill(session.client, `${workflowId}/backfill`));
        } catch (error) {
          console.error(`Replay failed: ${rootCause(error).message}`);
          process.exitCode = 1;
          return;
        }
        console.log(`Backfilled ${result.backfill.monthsDone} month(s); ${result.backfill.linesWritten} ledger lines written.`);
        // The diff is written here, from the ledger, not by a worker.
        const diff = await writeReplayReport(session.pool, {
          oldModelVersion: against, newModelVersion: input.run.modelVersion, fromMonth: options.from, toMonth: options.to, books: input.run.books, outDir,
        });
        console.log(`Diff: ${diff.files.map((f) => path.join(diff.outDir, f)).join(', ')}`);
      }, { worker: true });
    });

  program
    .command('status')
    .description('show the progress of a running run, backfill or replay, or the result (or root cause of the failure) of a finished one; exit code 1 when it failed')
    .argument('<workflow-id>', 'as printed when it started (or found in the Temporal UI)')
    .option('--json', 'print the status as one JSON document (status, progress or result or error)')
    .action(async (workflowId: string) => {
      await withSession(async (session) => {
        const view = await workflowStatus(session, workflowId);
        printStatus(view);
        emitJson({ ...view, lines: undefined });
        process.exitCode = statusExitCode(view);
      }, { worker: false });
    });

  program
    .command('cancel')
    .description('cancel a backfill or replay: the month in progress finishes, later months do not start')
    .argument('<workflow-id>')
    .action(async (workflowId: string) => {
      await withSession(async (session) => {
        await session.client.workflow.getHandle(workflowId).cancel();
        console.log(`Cancellation requested for ${workflowId}; finished months stay in the ledger, the current one completes first.`);
      }, { worker: false });
    });
}

function announce(session: Session, workflowId: string): void {
  console.log(`Workflow ${workflowId}`);
  const url = workflowUrl(session.endpoints, workflowId);
  if (url) console.log(`Temporal UI: ${url}`);
  followingWorkflow(workflowId, url); // Ctrl-C from here on detaches from it
}

async function againstModelVersion(session: Session, newVersion: string): Promise<string> {
  const latest = await latestOtherModelVersion(session.pool, newVersion);
  if (!latest) throw new Error('No other model version in the ledger to compare with: run the old ruleset first, or pass --against.');
  return latest;
}

/** Follows a backfill with its progress until it ends; a failure prints its root cause and exits 1. False unless it completed. */
async function follow(session: Session, handle: WorkflowHandle): Promise<boolean> {
  const base = { workflowId: handle.workflowId, type: 'backfill', url: workflowUrl(session.endpoints, handle.workflowId) ?? null };
  try {
    const result = await resultWithProgress<BackfillProgress>(handle, watchBackfill(session.client, handle.workflowId));
    console.log(`Backfill finished: ${backfillResultLine(result)}.`);
    emitJson({ ...base, status: 'COMPLETED', result });
    return true;
  } catch (error) {
    const cause = rootCause(error);
    if (cause.cancelled) console.log('Backfill cancelled: every month that finished is complete in the ledger; later months did not start.');
    else console.error(`Backfill failed: ${cause.message}`);
    emitJson({ ...base, status: cause.cancelled ? 'CANCELLED' : 'FAILED', error: { message: cause.message, type: cause.type } });
    process.exitCode = 1;
    return false;
  }
}
