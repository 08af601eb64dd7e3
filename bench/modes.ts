// The two ways the bench drives the engine over the same data, with the same phases and the same
// activity code: `temporal` (the ingestDataset and attributionRun workflows on a Temporal server,
// activities in separate worker processes) and `direct` (the activity functions called in-process
// by the workflow's own sequence, workflows/runSequence.ts, with its order and concurrency). Each returns the time spans of its
// activities, named by phase, from which harness.ts derives the figures.
import crypto from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import type pg from 'pg';
import type { LedgerWriteTiming } from '../store/ledger';
import { listDatasetFiles } from '../activities/ingest/datasetDir';
import { loadCsvFile } from '../activities/ingest/loadCsvFile';
import { attributeBookShard, attributeShard, buildContextShard, excludeUnattributable, learnRunModels, prepareRun, reconcileRun } from '../activities/run';
import { recordRunOutcome } from '../store/runOutcomes';
import { writeRunReport } from '../client/reports/runReport';
import type { IngestDatasetResult } from '../workflows/ingestDataset';
import type { AttributionRunInput, AttributionRunResult, RunProgress } from '../workflows/attributionRun';
import { newRunProgress, runSequence, type RunSteps } from '../workflows/runSequence';

export interface Span {
  phase: string;
  start: number;
  end: number;
}

export interface RunOutcome {
  runId: string;
  wallSeconds: number;
  spans: Span[];
  /** Each ledger write's timing, from the book shards' results (store/ledger.ts). */
  ledgerWrites: LedgerWriteTiming[];
}

export interface IngestOutcome {
  rowsLoaded: number;
  wallSeconds: number;
}

export interface Driver {
  ingest(dir: string): Promise<IngestOutcome>;
  /** Runs, then writes the reports into `outDir` from the ledger, in this process, as the CLI does. */
  run(label: string, input: AttributionRunInput, workflowId: string, outDir: string | null): Promise<RunOutcome>;
  close(): Promise<void>;
}

const seconds = (fromMs: number) => (Date.now() - fromMs) / 1000;

/** In-process: the activity functions, driven by the workflow's sequence. */
export function directDriver(pool: pg.Pool, benchId: string): Driver {
  return {
    async ingest(dir) {
      const started = Date.now();
      const listing = await listDatasetFiles(dir);
      const results = await Promise.all(listing.files.map((f) => loadCsvFile(pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey })));
      return { rowsLoaded: results.reduce((s, r) => s + r.rowsLoaded, 0), wallSeconds: seconds(started) };
    },
    async run(label, input, _workflowId, outDir) {
      const started = Date.now();
      const spans: Span[] = [];
      const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
        const start = Date.now();
        const result = await work();
        spans.push({ phase, start, end: Date.now() });
        return result;
      };
      const ledgerWrites: LedgerWriteTiming[] = [];
      const wrote = <T>(result: T): T => {
        const timing = ledgerWriteOf(result);
        if (timing) ledgerWrites.push(timing);
        return result;
      };
      const runId = `bench-${benchId}-direct-${label}`;
      const none = () => undefined;
      // The workflow's own sequence (workflows/runSequence.ts), its steps the activity functions, timed.
      const steps: RunSteps = {
        prepareRun: (i) => timed('prepare', () => prepareRun(pool, i)),
        buildContextShard: (i) => timed('contexts', () => buildContextShard(pool, i, none)),
        learnRunModels: (i) => timed('learn', () => learnRunModels(pool, i)),
        excludeUnattributable: async (i) => wrote(await timed('books', () => excludeUnattributable(pool, i))),
        attributeShard: async (i) => wrote(await timed('books', () => attributeShard(pool, i, none))),
        attributeBookShard: async (i) => wrote(await timed(`book ${i.book}`, () => attributeBookShard(pool, i, none))),
        reconcileRun: (i) => timed('reconcile', () => reconcileRun(pool, i)),
        recordRunOutcome: (i) => recordRunOutcome(pool, i),
      };
      await runSequence(steps, { ...input, runId, workflowId: runId }, { progress: newRunProgress(), recordsOutcome: () => true });
      if (outDir) await timed('reports', () => writeReports(pool, input, outDir, runId));
      return { runId, wallSeconds: seconds(started), spans, ledgerWrites };
    },
    async close() {},
  };
}

/** The reports of a run, as `attribution run --out` writes them. */
function writeReports(pool: pg.Pool, input: AttributionRunInput, outDir: string, runId: string) {
  return writeRunReport(pool, { modelVersion: input.modelVersion, from: input.from, to: input.to, asOf: input.asOf, books: input.books, outDir, runId });
}

/** Through Temporal: the workflows, on the task queue that the bench's worker processes serve. */
export async function temporalDriver(
  pool: pg.Pool, address: string, namespace: string, taskQueue: string, benchId: string, log: (line: string) => void = () => undefined,
): Promise<Driver> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    async ingest(dir) {
      const started = Date.now();
      const result = await client.workflow.execute('ingestDataset', {
        workflowId: `bench-${benchId}-ingest`, taskQueue, args: [{ dir, maxRejects: null }],
      }) as IngestDatasetResult;
      return { rowsLoaded: result.files.reduce((s, f) => s + f.rowsLoaded, 0), wallSeconds: seconds(started) };
    },
    async run(label, input, workflowId, outDir) {
      const started = Date.now();
      const handle = await client.workflow.start('attributionRun', { workflowId: `${workflowId}/bench-${benchId}-${label}`, taskQueue, args: [input] });
      // Long runs (1M accounts) report where they are, so that an interrupted bench still tells.
      const ticker = setInterval(() => {
        handle.query<RunProgress>('progress').then(
          (p) => log(`${label}: ${p.phase}, contexts ${p.contextShardsDone}/${p.shardCount}, book shards ${p.bookShardsDone}/${p.bookShardsTotal}, ` +
            `${p.entriesWritten} entries, ${p.linesWritten} lines, ${Math.round(seconds(started))} s`),
          () => undefined,
        );
      }, 60_000);
      let result: AttributionRunResult;
      try {
        result = await handle.result() as AttributionRunResult;
      } finally {
        clearInterval(ticker);
      }
      const timing = await activitySpans(handle);
      if (outDir) {
        const start = Date.now();
        await writeReports(pool, input, outDir, result.runId);
        timing.spans.push({ phase: 'reports', start, end: Date.now() });
      }
      return { runId: result.runId, wallSeconds: seconds(started), ...timing };
    },
    async close() {
      await connection.close();
    },
  };
}

const PHASE_OF: Record<string, string> = {
  prepareRun: 'prepare', buildContextShard: 'contexts', learnRunModels: 'learn', reconcileRun: 'reconcile',
};

/** The timing a book shard's result carries when the shard wrote the ledger (not when a retry found it done). */
function ledgerWriteOf(result: unknown): LedgerWriteTiming | undefined {
  return (result as { ledgerWrite?: LedgerWriteTiming } | null)?.ledgerWrite;
}

/**
 * Scheduled → completed of every activity of the run, from its history, named like the direct
 * spans, and the ledger write timings in the book shards' results.
 */
async function activitySpans(handle: WorkflowHandle): Promise<{ spans: Span[]; ledgerWrites: LedgerWriteTiming[] }> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<number, { phase: string; at: number }>();
  const spans: Span[] = [];
  const ledgerWrites: LedgerWriteTiming[] = [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(String(t?.seconds ?? 0)) * 1000 + (t?.nanos ?? 0) / 1e6;
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) {
      const type = s.activityType?.name ?? '?';
      let phase = PHASE_OF[type] ?? type;
      if (type === 'attributeShard' || type === 'excludeUnattributable') phase = 'books';
      if (type === 'attributeBookShard') {
        const data = s.input?.payloads?.[0]?.data;
        const book = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { book: string }).book : '?';
        phase = `book ${book}`;
      }
      scheduled.set(Number(String(event.eventId)), { phase, at: ms(event.eventTime) });
    }
    const c = event.activityTaskCompletedEventAttributes;
    if (c) {
      const start = scheduled.get(Number(String(c.scheduledEventId)));
      if (start) spans.push({ phase: start.phase, start: start.at, end: ms(event.eventTime) });
      // Only the book shards write the ledger; other activities may return nothing (an empty payload).
      const data = c.result?.payloads?.[0]?.data;
      const timing = (start?.phase === 'books' || start?.phase.startsWith('book ')) && data && data.length > 0 ? ledgerWriteOf(JSON.parse(Buffer.from(data).toString('utf8'))) : undefined;
      if (timing) ledgerWrites.push(timing);
    }
  }
  return { spans, ledgerWrites };
}

export const newBenchId = () => crypto.randomBytes(3).toString('hex');
