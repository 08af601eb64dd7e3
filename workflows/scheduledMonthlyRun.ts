// scheduledMonthlyRun: what the monthly Temporal Schedule starts. It runs the UTC month before
// the schedule's nominal time, read from the TemporalScheduledStartTime search attribute (never
// the wall clock, so a late or caught-up action still runs the month it was meant for), as a
// child attributionRun whose id is that month's run id: one month never runs twice at once.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ApplicationFailure, executeChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { monthStart, nextMonth, previousMonthOf } from '../common/period';
import { SEARCH_ATTRIBUTES, workflowIds } from '../common/temporalNames';
import type { AttributionRunInput, AttributionRunResult } from './attributionRun';

export interface ScheduledMonthlyRunInput {
  run: Omit<AttributionRunInput, 'from' | 'to' | 'asOf' | 'kind'>;
}

const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export async function scheduledMonthlyRun(input: ScheduledMonthlyRunInput): Promise<AttributionRunResult & { month: string }> {
  const nominal = workflowInfo().typedSearchAttributes.get(SCHEDULED_START_TIME);
  if (!nominal) {
    throw ApplicationFailure.nonRetryable('scheduledMonthlyRun has no TemporalScheduledStartTime: start it from its Schedule (attribution schedule ...).', 'InvalidRun');
  }
  const month = previousMonthOf(nominal.toISOString());
  const to = monthStart(nextMonth(month));
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.kind, value: 'scheduled' },
    { key: SEARCH_ATTRIBUTES.period, value: month },
    { key: SEARCH_ATTRIBUTES.modelVersion, value: input.run.modelVersion },
  ]);
  const result = (await executeChild('attributionRun', {
    workflowId: workflowIds.run(input.run.modelVersion, month, to, input.run.books),
    args: [{ ...input.run, kind: 'scheduled', from: monthStart(month), to, asOf: to } satisfies AttributionRunInput],
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.kind, value: 'scheduled' },
      { key: SEARCH_ATTRIBUTES.period, value: month },
      { key: SEARCH_ATTRIBUTES.modelVersion, value: input.run.modelVersion },
    ],
  })) as AttributionRunResult;
  return { ...result, month };
}
