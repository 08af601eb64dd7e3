// attribution ingest <dir> [--max-rejects N]
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { InvalidArgumentError, type Command } from 'commander';
import type { LoadCsvFileResult } from '../../activities/ingest/loadCsvFile';
import { describeReject } from '../../activities/ingest/loadCsvFile';
import { SEARCH_ATTRIBUTES, workflowIds } from '../../common/temporalNames';
import { formatTable } from '../../reporting/table';
import { ingestDataset, type IngestDatasetResult } from '../../workflows/ingestDataset';
import { failureMessage } from '../failure';
import { followingWorkflow } from '../interrupt';
import { datasetKey, withSession, workflowUrl, type Session } from '../session';

export function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`must be a whole number >= 0 (got "${value}")`);
  return Number(value);
}

export function registerIngestCommand(program: Command): void {
  program
    .command('ingest')
    .description('load a CSV dataset directory (docs/decisions.md, "Input") into Postgres; loading the same files again is a no-op')
    .argument('<dir>', 'directory with workspaces.csv, payments.csv, refunds.csv, integrations.csv, calls.csv, sms.csv and an optional dataset.yaml')
    .option('--max-rejects <n>', 'quarantine up to N bad rows per usage/integration file instead of refusing it (billing files stay strict)', parseNonNegativeInt)
    .action(async (dir: string, options: { maxRejects?: number }) => {
      const ok = await withSession((session) => ingestAndReport(session, dir, options.maxRejects ?? null), { worker: true });
      if (!ok) process.exitCode = 1;
    });
}

/** Runs the ingest workflow and prints its outcome; false when files were refused. */
export async function ingestAndReport(session: Session, dir: string, maxRejects: number | null): Promise<boolean> {
  const absolute = path.resolve(dir);
  const workflowId = workflowIds.ingest(datasetKey(absolute));
  console.log(`Ingesting ${absolute}`);
  const url = workflowUrl(session.endpoints, workflowId);
  if (url) console.log(`Temporal UI: ${url}`);
  followingWorkflow(workflowId, url);
  try {
    const result = await session.client.workflow.execute(ingestDataset, {
      workflowId,
      taskQueue: session.config.taskQueue,
      args: [{ dir: absolute, maxRejects }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'ingest' }],
      memo: { dir: absolute },
      staticSummary: `Ingest ${path.basename(absolute)}`,
    });
    printIngestResult(result);
    return true;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    // Refused files: the workflow's own failure lists them, with what did load in its details.
    const details = error.cause instanceof ApplicationFailure ? (error.cause.details?.[0] as { loaded?: LoadCsvFileResult[] } | undefined) : undefined;
    if (details?.loaded?.length) printFileTable(details.loaded);
    console.error(`\nIngest failed: ${error.cause instanceof ApplicationFailure ? error.cause.message : failureMessage(error)}`);
    return false;
  }
}

export function printIngestResult(result: IngestDatasetResult): void {
  printFileTable(result.files);
  if (result.missing.length) console.log(`Not in the directory (skipped): ${result.missing.join(', ')}`);
}

/** What the file table shows of a loaded CSV file or events file. */
export type FileLoadSummary = Pick<LoadCsvFileResult, 'fileName' | 'status' | 'version' | 'rowsRead' | 'rowsLoaded' | 'rowsDuplicate' | 'rowsRejected' | 'rejectSamples'>;

export function printFileTable(files: ReadonlyArray<FileLoadSummary>): void {
  const rows = files.map((f) => [
    f.fileName,
    f.status === 'unchanged' ? `unchanged (v${f.version} already loaded)` : f.version > 1 ? `loaded as new version v${f.version}` : 'loaded',
    String(f.rowsRead), String(f.rowsLoaded), String(f.rowsDuplicate), String(f.rowsRejected),
  ]);
  console.log(formatTable(['file', 'status', 'read', 'loaded', 'duplicate', 'rejected'], rows));
  for (const f of files) {
    if (f.status === 'loaded' && f.rowsRejected > 0) {
      console.log(`\n${f.fileName}: ${f.rowsRejected} row(s) quarantined in ingest_rejects:`);
      for (const r of f.rejectSamples) console.log(`  ${describeReject(f.fileName, r)}`);
      if (f.rowsRejected > f.rejectSamples.length) console.log(`  ... and ${f.rowsRejected - f.rejectSamples.length} more`);
    }
  }
}
