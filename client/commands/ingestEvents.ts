// attribution ingest-events <file|dir>: loads NDJSON events of the multi-product shape (docs/decisions.md, "Events").
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Command } from 'commander';
import type { LoadEventsResult } from '../../activities/ingest/loadEvents';
import { SEARCH_ATTRIBUTES, workflowIds } from '../../common/temporalNames';
import { ingestEvents } from '../../workflows/ingestEvents';
import { datasetKey, withSession, workflowUrl, type Session } from '../session';
import { printFileTable } from './ingest';

export function registerIngestEventsCommand(program: Command): void {
  program
    .command('ingest-events')
    .description('load NDJSON billing events with products and touchpoints (docs/decisions.md, "Events"); strict: one bad event refuses its file; repeats of stored events are skipped')
    .argument('<file|dir>', 'an .ndjson/.jsonl file, or a directory of them (loaded in name order)')
    .action(async (target: string) => {
      const ok = await withSession((session) => ingestEventsAndReport(session, target), { worker: true });
      if (!ok) process.exitCode = 1;
    });
}

export async function ingestEventsAndReport(session: Session, target: string): Promise<boolean> {
  const absolute = path.resolve(target);
  const workflowId = workflowIds.ingestEvents(datasetKey(absolute));
  console.log(`Ingesting events from ${absolute}`);
  const url = workflowUrl(session.endpoints, workflowId);
  if (url) console.log(`Temporal UI: ${url}`);
  try {
    const result = await session.client.workflow.execute(ingestEvents, {
      workflowId,
      taskQueue: session.config.taskQueue,
      args: [{ path: absolute }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'ingest' }],
      memo: { path: absolute },
      staticSummary: `Ingest events ${path.basename(absolute)}`,
    });
    printFileTable(result.files);
    return true;
  } catch (error) {
    if (error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure) {
      const details = error.cause.details?.[0] as { loaded?: LoadEventsResult[] } | undefined;
      if (details?.loaded?.length) printFileTable(details.loaded);
      console.error(`\nIngest failed: ${error.cause.message}`);
      return false;
    }
    throw error;
  }
}
