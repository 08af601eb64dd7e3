// attribution schedule create|describe|pause|unpause|delete|trigger: the monthly Temporal
// Schedule that runs the previous UTC month (docs/operations.md).
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import type { Command } from 'commander';
import { previousMonthOf } from '../../common/period';
import { SEARCH_ATTRIBUTES } from '../../common/temporalNames';
import type { ScheduledMonthlyRunInput } from '../../workflows/scheduledMonthlyRun';
import { withSession, type Session } from '../session';
import { DEFAULT_RULESET, loadRulesetFile, parseInstant } from './run';

export const DEFAULT_SCHEDULE_ID = 'attribution-monthly';
/** The 1st of each month at 03:00 UTC. */
export const DEFAULT_CRON = '0 3 1 * *';

interface CreateOptions {
  id: string;
  cron: string;
  ruleset: string;
  books?: string;
  catchupWindow: string;
}

export function scheduleOptions(session: Pick<Session, 'config'>, options: CreateOptions): ScheduleOptions {
  const loaded = loadRulesetFile(options.ruleset, options.books);
  const input: ScheduledMonthlyRunInput = {
    run: { rulesetYaml: loaded.yaml, rulesetSource: loaded.source, modelVersion: loaded.modelVersion, books: loaded.books },
  };
  return {
    scheduleId: options.id,
    spec: { cronExpressions: [options.cron], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledMonthlyRun',
      taskQueue: session.config.taskQueue,
      args: [input],
      workflowId: `scheduled/${options.id}`,
      // Findable as RunKind = "scheduled" from the moment it starts; its period is set by its first task.
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.kind, value: 'scheduled' },
        { key: SEARCH_ATTRIBUTES.modelVersion, value: loaded.modelVersion },
        { key: SEARCH_ATTRIBUTES.status, value: 'running' },
      ],
      memo: { ruleset: loaded.source, modelVersion: loaded.modelVersion, books: loaded.books.join(',') },
    },
    policies: {
      // The run of a month is one workflow id: never two at once. A missed action (server down)
      // still runs within the catch-up window, for the month of its nominal time.
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: options.catchupWindow,
      pauseOnFailure: false,
    },
    memo: { ruleset: loaded.source, modelVersion: loaded.modelVersion, books: loaded.books.join(','), cron: options.cron },
  };
}

export function registerScheduleCommands(program: Command): void {
  const schedule = program.command('schedule').description('the monthly run of the previous UTC month, as a Temporal Schedule');
  const idOption = ['--id <id>', 'schedule id', DEFAULT_SCHEDULE_ID] as const;

  schedule
    .command('create')
    .description('create the schedule, or update it when it exists (idempotent deploys)')
    .option(...idOption)
    .option('--cron <expr>', 'cron expression in UTC', DEFAULT_CRON)
    .option('--ruleset <file>', 'ruleset YAML', DEFAULT_RULESET)
    .option('--books <list>', 'comma-separated books')
    .option('--catchup-window <duration>', 'how late a missed action may still run', '7 days')
    .action(async (options: CreateOptions) => {
      await withSession(async (session) => {
        const desired = scheduleOptions(session, options);
        try {
          await session.client.schedule.create(desired);
          console.log(`Schedule ${options.id} created: ${options.cron} (UTC), model version ${desired.memo?.modelVersion as string}.`);
        } catch (error) {
          if (!(error instanceof ScheduleAlreadyRunning)) throw error;
          await session.client.schedule.getHandle(options.id).update((previous) => ({ ...previous, spec: desired.spec, action: desired.action, policies: desired.policies }));
          console.log(`Schedule ${options.id} existed and was updated: ${options.cron} (UTC).`);
        }
      }, { worker: false });
    });

  for (const [name, description] of [['describe', 'show the schedule, its next runs and its recent actions'], ['pause', 'pause it'], ['unpause', 'resume it'], ['delete', 'delete it (running workflows go on)']] as const) {
    schedule
      .command(name)
      .description(description)
      .option(...idOption)
      .option('--note <text>', 'a note for pause/unpause')
      .action(async (options: { id: string; note?: string }) => {
        await withSession(async (session) => {
          const handle = session.client.schedule.getHandle(options.id);
          if (name === 'pause') await handle.pause(options.note);
          if (name === 'unpause') await handle.unpause(options.note);
          if (name === 'delete') await handle.delete();
          if (name === 'describe') console.log(describeLines(options.id, await handle.describe()).join('\n'));
          else console.log(`Schedule ${options.id}: ${name}d.`);
        }, { worker: false });
      });
  }

  schedule
    .command('trigger')
    .description('run it now (the month before today), or for a given nominal time with --at')
    .option(...idOption)
    .option('--at <iso>', 'nominal time to run as, e.g. 2024-03-01T03:00:00Z runs February 2024', parseInstant)
    .action(async (options: { id: string; at?: string }) => {
      await withSession(async (session) => {
        const handle = session.client.schedule.getHandle(options.id);
        if (options.at) {
          const at = new Date(options.at);
          await handle.backfill({ start: at, end: new Date(at.getTime() + 1000), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
        } else await handle.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
        console.log(`Schedule ${options.id} triggered${options.at ? ` as of ${options.at}` : ''}. The run appears in the Temporal UI as RunKind = "scheduled".`);
      }, { worker: true });
    });
}

/** What `schedule describe` prints: state and note, cron, model version, the months the next runs cover, recent actions. */
export function describeLines(id: string, d: ScheduleDescription): string[] {
  const memo = (d.memo ?? {}) as Record<string, unknown>;
  // The server returns cron expressions as calendars: the memo keeps the expression as given.
  const cron = String(memo.cron ?? '(calendar spec)');
  const lines = [
    `Schedule ${id}: ${d.state.paused ? 'PAUSED' : 'active'}${d.state.note ? ` — note: ${d.state.note}` : ''}`,
    `Cron: ${cron} (UTC); overlap ${d.policies.overlap}, catch-up window ${formatMs(d.policies.catchupWindow)}`,
    `Ruleset: ${String(memo.ruleset ?? '?')}, model version ${String(memo.modelVersion ?? '?')}, books ${String(memo.books ?? '?')}`,
    'Next runs:',
    ...(d.info.nextActionTimes.slice(0, 3).map((t) => `  ${t.toISOString()} runs month ${previousMonthOf(t.toISOString())}`)),
  ];
  if (d.info.nextActionTimes.length === 0) lines.push('  none');
  lines.push('Recent actions:');
  for (const a of d.info.recentActions.slice(-5)) {
    lines.push(`  ${a.takenAt.toISOString()} (nominal ${a.scheduledAt.toISOString()}, month ${previousMonthOf(a.scheduledAt.toISOString())}): ${a.action.workflow.workflowId}`);
  }
  if (d.info.recentActions.length === 0) lines.push('  none yet');
  return lines;
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return 'default';
  const days = ms / 86_400_000;
  return Number.isInteger(days) ? `${days} days` : `${Math.round(ms / 1000)} s`;
}
