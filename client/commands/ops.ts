// The monthly operations: attribution backfill | replay | status | cancel.
import path from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { PROJECT_ROOT } from '../../common/config';
import { SEARCH_ATTRIBUTES, workflowIds } from '../../common/temporalNames';
import type { BackfillInput, BackfillProgress } from '../../workflows/backfill';
import type { ReplayInput, ReplayResult } from '../../workflows/replay';
import type { RunProgress } from '../../workflows/attributionRun';
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
}

export function backfillInput(options: BackfillOptions, kind: 'backfill' | 'replay'): { input: BackfillInput; workflowId: string } {
  if (options.from > options.to) throw new Error(`--from ${options.from} is after --to ${options.to}.`);
  const loaded = loadRulesetFile(options.ruleset, options.books);
  const input: BackfillInput = {
    kind, fromMonth: options.from, toMonth: options.to,
    run: { rulesetYaml: loaded.yaml, rulesetSource: loaded.source, modelVersion: loaded.modelVersion, books: loaded.books, outDir: null },
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
    .action(async (options: BackfillOptions) => {
      await withSession(async (session) => {
        const { input, workflowId } = backfillInput(options, 'backfill');
        const handle = await session.client.workflow.start('backfill', {
          workflowId, taskQueue: session.config.taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'backfill' }, { key: SEARCH_ATTRIBUTES.modelVersion, value: input.run.modelVersion }],
          memo: { ruleset: input.run.rulesetSource }, staticSummary: `Backfill ${options.from}..${options.to} · ${input.run.modelVersion}`,
        });
        announce(session, workflowId);
        if (options.detach) return;
        await follow(session, handle);
      }, { worker: !options.detach });
    });

  program
    .command('replay')
    .description('backfill a range under a new ruleset (a new model version beside the old rows), then write the diff old vs new')
    .requiredOption('--ruleset <file>', 'the new ruleset YAML')
    .requiredOption('--from <month>', 'first month', parseMonth)
    .requiredOption('--to <month>', 'last month (included)', parseMonth)
    .option('--against <model-version>', 'the model version to compare with (default: the latest other model version in the ledger)')
    .option('--books <list>', 'comma-separated books')
    .option('--out <dir>', 'where replay_diff.csv and replay_diff.txt go (default: out/replay-<model version>)')
    .action(async (options: BackfillOptions & { against?: string; out?: string }) => {
      await withSession(async (session) => {
        const { input, workflowId: backfillId } = backfillInput(options, 'replay');
        const against = options.against ?? (await latestOtherModelVersion(session, input.run.modelVersion));
        const outDir = path.resolve(options.out ?? path.join(PROJECT_ROOT, 'out', `replay-${input.run.modelVersion.replace('#', '-')}`));
        const replayInput: ReplayInput = { oldModelVersion: against, backfill: input, outDir };
        const workflowId = `${backfillId}/vs-${against}`;
        const handle = await session.client.workflow.start('replay', {
          workflowId, taskQueue: session.config.taskQueue, args: [replayInput], workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'replay' }, { key: SEARCH_ATTRIBUTES.modelVersion, value: input.run.modelVersion }],
          staticSummary: `Replay ${options.from}..${options.to}: ${against} → ${input.run.modelVersion}`,
        });
        announce(session, workflowId);
        console.log(`Comparing ${against} (old) with ${input.run.modelVersion} (new)`);
        const result = (await handle.result()) as ReplayResult;
        console.log(`Backfilled ${result.backfill.monthsDone} month(s); ${result.backfill.linesWritten} ledger lines written.`);
        console.log(`Diff: ${result.diff.files.map((f) => path.join(result.diff.outDir, f)).join(', ')}`);
      }, { worker: true });
    });

  program
    .command('status')
    .description('show the progress of a run, backfill or replay')
    .argument('<workflow-id>', 'as printed when it started (or found in the Temporal UI)')
    .action(async (workflowId: string) => {
      await withSession(async (session) => {
        const handle = session.client.workflow.getHandle(workflowId);
        const description = await handle.describe();
        console.log(`${description.type} ${workflowId}: ${description.status.name}`);
        const url = workflowUrl(session.endpoints, workflowId);
        if (url) console.log(`Temporal UI: ${url}`);
        console.log(await progressText(session, handle, description.type));
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
}

async function latestOtherModelVersion(session: Session, newVersion: string): Promise<string> {
  const latest = await session.pool.query<{ model_version: string }>(
    'SELECT model_version FROM attribution_runs WHERE model_version <> $1 ORDER BY created_at DESC LIMIT 1',
    [newVersion],
  );
  if (!latest.rows[0]) throw new Error('No other model version in the ledger to compare with: run the old ruleset first, or pass --against.');
  return latest.rows[0].model_version;
}

/** Follows a backfill with a progress bar of months (and the current month's shards) until it ends. */
async function follow(session: Session, handle: WorkflowHandle): Promise<void> {
  const bar = new cliProgress.SingleBar(
    { format: 'months {bar} {value}/{total} | {month} {shards} | {lines} lines', hideCursor: true, noTTYOutput: !process.stderr.isTTY, notTTYSchedule: 5000 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let asking = false; // one query at a time: during an outage a query is retried for minutes
  const timer = setInterval(() => {
    if (asking) return;
    asking = true;
    void backfillProgress(session, handle).finally(() => { asking = false; }).then((p) => {
      if (!p) return;
      if (!started) {
        bar.start(p.backfill.monthsTotal, p.backfill.monthsDone, {});
        started = true;
      }
      bar.update(p.backfill.monthsDone, {
        month: p.backfill.currentMonth ?? '',
        shards: p.run ? `${p.run.phase} ${p.run.bookShardsDone}/${p.run.bookShardsTotal}` : '',
        lines: p.backfill.linesWritten + (p.run?.linesWritten ?? 0),
      });
    });
  }, 1000);
  try {
    const result = (await handle.result()) as BackfillProgress;
    console.log(`\nBackfill finished: ${result.monthsDone} month(s), ${result.entriesWritten} entries and ${result.linesWritten} lines written, drift ${result.drift}.`);
  } catch (error) {
    if (error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure) {
      console.log('\nBackfill cancelled: every month that finished is complete in the ledger; later months did not start.');
    }
    else throw error;
  } finally {
    clearInterval(timer);
    if (started) bar.stop();
  }
}

async function backfillProgress(session: Session, handle: WorkflowHandle): Promise<{ backfill: BackfillProgress; run: RunProgress | null } | null> {
  try {
    const backfill = await handle.query<BackfillProgress>('progress');
    const run = backfill.currentRunId ? await session.client.workflow.getHandle(backfill.currentRunId).query<RunProgress>('progress').catch(() => null) : null;
    return { backfill, run };
  } catch {
    return null;
  }
}

async function progressText(session: Session, handle: WorkflowHandle, type: string): Promise<string> {
  const bar = (done: number, total: number) => {
    const width = 30;
    const filled = total ? Math.round((done / total) * width) : 0;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
  };
  if (type === 'attributionRun') {
    const p = await handle.query<RunProgress>('progress');
    return `phase ${p.phase}\ncontexts ${bar(p.contextShardsDone, p.shardCount)}\nbooks    ${bar(p.bookShardsDone, p.bookShardsTotal)}\n` +
      `${p.accounts} accounts, ${p.entriesWritten} entries and ${p.linesWritten} lines written, drift ${p.drift}`;
  }
  const target = type === 'replay' ? session.client.workflow.getHandle(`${handle.workflowId}/backfill`) : handle;
  const p = await backfillProgress(session, target);
  if (!p) return 'no progress available (is a worker running?)';
  const lines = [`months   ${bar(p.backfill.monthsDone, p.backfill.monthsTotal)}${p.backfill.cancelled ? ' (cancelled)' : ''}`];
  if (p.backfill.currentMonth) lines.push(`current  ${p.backfill.currentMonth} (${p.backfill.currentRunId})`);
  if (p.run) lines.push(`shards   ${bar(p.run.bookShardsDone, p.run.bookShardsTotal)} (${p.run.phase})`);
  lines.push(`${p.backfill.entriesWritten} entries and ${p.backfill.linesWritten} lines written by finished months, drift ${p.backfill.drift}`);
  return lines.join('\n');
}
