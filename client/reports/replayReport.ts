// The replay's reports, written by the `replay` command from the ledger: replay_diff.csv,
// replay_diff.txt, report.html and manifest.json (docs/reports.md).
import type pg from 'pg';
import { monthStart, nextMonth, MONTHLY_BASIS } from '../../common/period';
import {
  REPLAY_DIFF_CSV, REPLAY_DIFF_TXT, renderReplayDiffCsv, renderReplayDiffText, replayDiffRow, replayReportSections, type ReplayReportData,
} from '../../reporting/replayReport';
import { reportHeader, renderSections } from '../../reporting/runReport';
import { writeReportFiles, type WrittenReports } from './files';
import { fileVersionsUpTo } from '../../store/inputs';
import * as ledger from '../../store/ledgerReports';
import { runsOf, type RunRow } from '../../store/runs';
import { REPORT_FILE_NAME } from './runReport';

export interface ReplayReportInput {
  oldModelVersion: string;
  newModelVersion: string;
  fromMonth: string;
  toMonth: string;
  books: string[];
  outDir: string;
  /** Accounts listed per book and currency (default 10). */
  topAccounts?: number;
  basis?: string;
}

export async function writeReplayReport(pool: pg.Pool, input: ReplayReportInput): Promise<WrittenReports & { rows: number }> {
  const from = monthStart(input.fromMonth);
  const to = monthStart(nextMonth(input.toMonth));
  const basis = input.basis ?? MONTHLY_BASIS;
  const scope: ledger.LedgerScope = { modelVersion: input.newModelVersion, basis, books: input.books, from, to };
  const [channels, movers, dataVersions, newRuns, oldRuns] = await Promise.all([
    ledger.replayChannels(pool, input.oldModelVersion, scope),
    ledger.replayMovers(pool, input.oldModelVersion, scope, input.topAccounts ?? 10),
    fileVersionsUpTo(pool),
    runsOf(pool, input.newModelVersion),
    runsOf(pool, input.oldModelVersion),
  ]);
  const inRange = (r: RunRow) => r.from !== null && r.from >= from && r.to <= to;
  const data: ReplayReportData = {
    oldModelVersion: input.oldModelVersion, newModelVersion: input.newModelVersion, from, to, books: input.books,
    rows: channels.map(replayDiffRow), movers,
  };
  const runIds = newRuns.filter(inRange).map((r) => r.runId);
  const header = reportHeader(`Replay ${input.fromMonth}..${input.toMonth}: ${input.oldModelVersion} → ${input.newModelVersion}`, {
    modelVersion: `${input.newModelVersion} (new), ${input.oldModelVersion} (old)`, basis, periodFrom: from, periodTo: to, asOf: null, books: input.books, runIds,
  });
  const files = new Map<string, string>([
    [REPLAY_DIFF_CSV, renderReplayDiffCsv(data.rows)],
    [REPLAY_DIFF_TXT, renderReplayDiffText(data)],
    [REPORT_FILE_NAME, await renderSections(header, replayReportSections(data))],
  ]);
  const written = writeReportFiles(input.outDir, files, {
    kind: 'replay', modelVersion: input.newModelVersion, oldModelVersion: input.oldModelVersion, basis, period: { from, to }, cutoff: null,
    books: input.books, runIds, oldRunIds: oldRuns.filter(inRange).map((r) => r.runId), inputDataVersions: dataVersions,
  });
  return { ...written, rows: data.rows.length };
}
