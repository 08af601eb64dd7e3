// ingestEvents: loads multi-product events (docs/decisions.md, "Events"), from NDJSON files (`attribution
// ingest-events`) or from a batch that `attribution serve` stored before acknowledging it. Files
// load one after another (each all or nothing); a refused file does not stop the others, and the
// workflow fails at the end naming every refusal, as ingestDataset does.
import { ActivityFailure, ApplicationFailure, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { EventFile, LoadEventsResult } from '../activities/ingest/loadEvents';
import { ErrorType } from '../common/errors';
import { SEARCH_ATTRIBUTES } from '../common/temporalNames';

export type IngestEventsInput = { path: string } | { batchSha256: string; loadKey: string };

export interface IngestEventsResult {
  files: LoadEventsResult[];
}

const { listEventFiles } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [ErrorType.InvalidDataset] },
});

const { loadEvents } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [ErrorType.InvalidInputFile, ErrorType.InvalidDataset] },
});

export async function ingestEvents(input: IngestEventsInput): Promise<IngestEventsResult> {
  setStatus('running');
  try {
    const sources: EventFile[] = 'path' in input
      ? await listEventFiles({ path: input.path })
      : [{ source: { kind: 'batch', sha256: input.batchSha256 }, loadKey: input.loadKey }];
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.dataset, value: 'path' in input ? input.path : `batch-${input.batchSha256.slice(0, 12)}` }]);
    const files: LoadEventsResult[] = [];
    const refused: { file: string; message: string }[] = [];
    for (const file of sources) {
      try {
        files.push(await loadEvents({ source: file.source, expectedLoadKey: file.loadKey }));
      } catch (error) {
        if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) {
          refused.push({ file: file.source.kind === 'file' ? file.source.fileName : file.source.sha256, message: error.cause.message });
        } else throw error;
      }
    }
    if (refused.length > 0) {
      throw ApplicationFailure.create({
        type: ErrorType.IngestRejected,
        nonRetryable: true,
        message: `${refused.length} event file(s) refused, nothing of them was loaded:\n${refused.map((r) => r.message).join('\n')}`,
        details: [{ loaded: files, refused }],
      });
    }
    setStatus('completed');
    return { files };
  } catch (error) {
    setStatus('failed');
    throw error;
  }
}

function setStatus(status: 'running' | 'completed' | 'failed'): void {
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: status }]);
}
