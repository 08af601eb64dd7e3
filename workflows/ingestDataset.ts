// ingestDataset: loads the CSV files of one dataset directory into the canonical tables.
// The files load in parallel, each in one all-or-nothing activity; a file that is refused does
// not stop the others, and the workflow fails at the end with every refusal in its message.
// Bounded: at most six activities, so no continue-as-new is needed.
import { ActivityFailure, ApplicationFailure, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LoadCsvFileResult } from '../activities/ingest/loadCsvFile';
import { ErrorType } from '../common/errors';
import { SEARCH_ATTRIBUTES } from '../common/temporalNames';

export interface IngestDatasetInput {
  dir: string;
  /** Usage/integration rows that may be quarantined per file; null: dataset.yaml's max_rejects, else 0. */
  maxRejects: number | null;
}

export interface IngestDatasetResult {
  dataset: string;
  files: LoadCsvFileResult[];
  /** Files of docs/decisions.md, "Input" that the directory does not have. */
  missing: string[];
}

const { listDataset } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5 },
});

const { loadCsvFile } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [ErrorType.InvalidInputFile, ErrorType.InvalidDataset] },
});

export async function ingestDataset(input: IngestDatasetInput): Promise<IngestDatasetResult> {
  setStatus('running');
  try {
    const listing = await listDataset({ dir: input.dir });
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.dataset, value: listing.dataset }]);
    const outcomes = await Promise.all(
      listing.files.map(async (file) => {
        try {
          return { ok: true as const, result: await loadCsvFile({ dir: input.dir, kind: file.kind, maxRejects: input.maxRejects, expectedLoadKey: file.loadKey }) };
        } catch (error) {
          if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
            return { ok: false as const, kind: file.kind, message: error.cause.message };
          }
          throw error;
        }
      }),
    );
    const files = outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o]));
    if (refused.length > 0) {
      throw ApplicationFailure.create({
        type: ErrorType.IngestRejected,
        nonRetryable: true,
        message: `${refused.length} file(s) refused, nothing of them was loaded:\n${refused.map((r) => r.message).join('\n')}`,
        details: [{ dataset: listing.dataset, loaded: files, refused }],
      });
    }
    setStatus('completed');
    return { dataset: listing.dataset, files, missing: listing.missing };
  } catch (error) {
    setStatus('failed');
    throw error;
  }
}

function setStatus(status: 'running' | 'completed' | 'failed'): void {
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: status }]);
}
