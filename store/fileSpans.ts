// What each ingested file version can change: the earliest instant among its rows. A month whose
// cutoff lies after that instant may decide differently with the file than without it (its
// contexts see every row before the cutoff), so the file makes the month stale
// (docs/operations.md, "Data versions and stale months"). Workspace files have no instants:
// membership can change any account at any cutoff, so they affect every month.
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

export interface FileSpan {
  fileId: number;
  /** `<dataset>/<file name> v<version>`: how messages name the file version. */
  label: string;
  /** The file version changes every cutoff (membership). */
  affectsAll: boolean;
  /** Its earliest row instant; null when it loaded no row (every row a duplicate). */
  earliestAt: Date | null;
}

/** The table and instant column of each kind's rows; events put their money into payments and refunds. */
const INSTANT_SOURCES: Record<string, ReadonlyArray<{ table: string; column: string }>> = {
  payments: [{ table: 'payments', column: 'paid_at' }],
  refunds: [{ table: 'refunds', column: 'refunded_at' }],
  integrations: [{ table: 'integration_events', column: 'occurred_at' }],
  calls: [{ table: 'calls', column: 'started_at' }],
  sms: [{ table: 'sms', column: 'sent_at' }],
  events: [{ table: 'payments', column: 'paid_at' }, { table: 'refunds', column: 'refunded_at' }],
};

/**
 * The spans of every file version newer than `afterFileId`. Spans are computed once and cached in
 * file_event_spans (a committed file version's rows never change); `persist: false` computes the
 * missing ones without writing, for a dry run that must leave the database as it was.
 */
export async function fileSpansAfter(db: Db, afterFileId: number, options: { persist: boolean }): Promise<FileSpan[]> {
  const files = await db.query<{ file_id: string; kind: string; label: string; rows_loaded: number; cached: boolean; affects_all: boolean | null; earliest_at: Date | null }>(
    `SELECT f.file_id::text, f.kind, f.dataset || '/' || f.file_name || ' v' || f.version AS label, f.rows_loaded,
            s.file_id IS NOT NULL AS cached, s.affects_all, s.earliest_at
       FROM ingested_files f LEFT JOIN file_event_spans s USING (file_id)
      WHERE f.file_id > $1 ORDER BY f.file_id`,
    [afterFileId],
  );
  const spans: FileSpan[] = [];
  for (const f of files.rows) {
    const fileId = Number(f.file_id);
    if (f.cached) {
      spans.push({ fileId, label: f.label, affectsAll: f.affects_all ?? false, earliestAt: f.earliest_at });
      continue;
    }
    const span = { label: f.label, ...(await computeSpan(db, fileId, f.kind, f.rows_loaded)) };
    if (options.persist) {
      await db.query('INSERT INTO file_event_spans (file_id, affects_all, earliest_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [fileId, span.affectsAll, span.earliestAt]);
    }
    spans.push(span);
  }
  return spans;
}

async function computeSpan(db: Db, fileId: number, kind: string, rowsLoaded: number): Promise<Omit<FileSpan, 'label'>> {
  if (rowsLoaded === 0) return { fileId, affectsAll: false, earliestAt: null };
  const sources = INSTANT_SOURCES[kind];
  // Workspaces, and any kind this module does not know, are taken to affect every cutoff.
  if (!sources) return { fileId, affectsAll: true, earliestAt: null };
  const union = sources.map((s) => `SELECT min(${s.column}) AS at FROM ${s.table} WHERE file_id = $1`).join(' UNION ALL ');
  const result = await db.query<{ at: Date | null }>(`SELECT min(at) AS at FROM (${union}) t`, [fileId]);
  return { fileId, affectsAll: false, earliestAt: result.rows[0]?.at ?? null };
}

/** Whether a file version can change decisions made with this cutoff. */
export function spanAffects(span: FileSpan, cutoff: Date): boolean {
  return span.affectsAll || (span.earliestAt !== null && span.earliestAt.getTime() < cutoff.getTime());
}
