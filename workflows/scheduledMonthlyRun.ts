// scheduledMonthlyRun: what the monthly Temporal Schedule starts. It runs the UTC month before
// the schedule's nominal time, read from the TemporalScheduledStartTime search attribute (never
// the wall clock, so a late or caught-up action still runs the month it was meant for), as a
// child attributionRun whose id is that month's run id: one month never runs twice at once. A
// month that is already done (a catch-up after downtime, a second trigger) is not run again; a
// missing, failed or stale one is (docs/operations.md, "Schedule").
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ApplicationFailure, executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import { monthStart, nextMonth, previousMonthOf } from '../common/period';
import { workflowIds } from '../common/temporalNames';
import { attributionRun, type AttributionRunInput, type AttributionRunResult } from './attributionRun';
import { identityAttributes, markRunning, setRunStatus } from './runAttributes';

export interface ScheduledMonthlyRunInput {
  run: Omit<AttributionRunInput, 'from' | 'to' | 'asOf' | 'kind'>;
}

export interface ScheduledMonthlyRunResult {
  month: string;
  /** False when the month was already done: nothing was started. */
  ran: boolean;
  /** The month's state before this action, and why. */
  stateBefore: string;
  reason: string;
  run: AttributionRunResult | null;
}

const MONTH_STATES_PATCH = 'scheduled-month-states';
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { monthStates } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes', heartbeatTimeout: '30 seconds', retry: { maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

export async function scheduledMonthlyRun(input: ScheduledMonthlyRunInput): Promise<ScheduledMonthlyRunResult> {
  const nominal = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (!nominal) {
    throw ApplicationFailure.nonRetryable('scheduledMonthlyRun has no TemporalScheduledStartTime: start it from its Schedule (attribution schedule ...).', 'InvalidRun');
  }
  const month = previousMonthOf(nominal.toISOString());
  const to = monthStart(nextMonth(month));
  const identity = { kind: 'scheduled' as const, period: month, modelVersion: input.run.modelVersion };
  markRunning(identity);
  // Executions from before month states replay without the check and the status updates (patched).
  const checksState = patched(MONTH_STATES_PATCH);
  try {
    const state = checksState ? (await monthStates({ modelVersion: input.run.modelVersion, books: input.run.books, months: [month] }))[0]! : null;
    if (state?.state === 'done') {
      setRunStatus('completed');
      return { month, ran: false, stateBefore: state.state, reason: state.reason, run: null };
    }
    const run = await executeChild(attributionRun, {
      workflowId: workflowIds.run(input.run.modelVersion, month, to, input.run.books),
      args: [{ ...input.run, kind: 'scheduled', from: monthStart(month), to, asOf: to } satisfies AttributionRunInput],
      typedSearchAttributes: identityAttributes(identity),
    });
    if (checksState) setRunStatus('completed');
    return { month, ran: true, stateBefore: state?.state ?? 'unknown', reason: state?.reason ?? 'not checked', run };
  } catch (error) {
    if (checksState) setRunStatus('failed');
    throw error;
  }
}
