// Every kind of bad input in corpus.ts, against a real database: each must be refused with a
// message naming its parts (file, line, column, the value cut, the reason, what to do), without
// echoing content that was not meant to be read, and without changing any input or ledger row.
// Counted at the end: kinds tried, precise errors, silent accepts (goal 0), crashes (goal 0).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { listEventFiles, loadEvents } from '../../activities/ingest/loadEvents';
import { readRulesetText } from '../../client/rulesetFile';
import { parseRuleset } from '../../domain/ruleset';
import { parseEventLine } from '../../ingest/eventSchema';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { CASES, writeFiles, type BadInputCase, type CaseFile, type Expect } from './corpus';

let db: TestDatabase;
before(async () => (db = await createTestDatabase('bad_input')));
after(async () => db.drop());

const TABLES = [
  'workspaces', 'payments', 'refunds', 'integration_events', 'calls', 'sms', 'ingested_files', 'ingest_rejects',
  'event_transactions', 'event_products', 'event_touchpoints', 'ledger_entries', 'ledger_lines',
];

/** A fingerprint of every input and ledger table. */
async function snapshot(): Promise<string> {
  const parts: string[] = [];
  for (const table of TABLES) {
    const r = await db.pool.query(`SELECT count(*) AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS h FROM ${table} t`);
    parts.push(`${table}:${r.rows[0].n}:${r.rows[0].h}`);
  }
  return parts.join(' ');
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bad-input-'));

async function ingestCsv(dir: string): Promise<void> {
  const listing = await listDatasetFiles(dir);
  for (const file of listing.files) {
    await loadCsvFile(db.pool, { dir, kind: file.kind, maxRejects: null, expectedLoadKey: file.loadKey });
  }
}

async function ingestEvents(target: string): Promise<void> {
  for (const file of await listEventFiles(target)) await loadEvents(db.pool, { source: file.source, expectedLoadKey: file.loadKey });
}

function eventsTarget(dir: string, events: string | Buffer | Record<string, CaseFile>, prefix: string): string {
  if (typeof events === 'string' || Buffer.isBuffer(events)) {
    writeFiles(dir, { 'events.ndjson': events }, prefix);
    return path.join(dir, 'events.ndjson');
  }
  writeFiles(dir, events, prefix);
  return dir;
}

type Outcome = 'precise' | 'imprecise' | 'silent accept' | 'crash';

/** Runs a case's refused step, within a deadline (a FIFO or a device must never hang a reader). */
async function refusedWithin<T>(work: () => Promise<T>, ms: number): Promise<{ error: unknown } | { value: T }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hung for more than ${ms} ms`)), ms)));
  try {
    return { value: await Promise.race([work(), deadline]) };
  } catch (error) {
    return { error };
  } finally {
    clearTimeout(timer);
  }
}

function checkMessage(message: string, e: Expect, prefix: string): string[] {
  const sub = (s: string) => s.replaceAll('#', prefix);
  const wrong: string[] = [];
  const at = e.line !== undefined ? `${sub(e.file)} line ${e.line}` : sub(e.file);
  if (!message.includes(at)) wrong.push(`does not name ${JSON.stringify(at)}`);
  if (e.column !== undefined && !message.includes(`column ${e.column}`)) wrong.push(`does not name column ${e.column}`);
  if (e.value !== undefined && !message.includes(sub(e.value))) wrong.push(`does not quote ${JSON.stringify(sub(e.value))}`);
  if (!new RegExp(sub(e.reason.source)).test(message)) wrong.push(`does not give the reason ${e.reason}`);
  if (!e.todo.test(message)) wrong.push(`does not say what to do (${e.todo})`);
  if (e.never?.test(message)) wrong.push(`echoes content that was not meant to be read (${e.never})`);
  if (message.length > 4000) wrong.push(`is ${message.length} characters long`);
  return wrong;
}

async function runCase(c: BadInputCase, prefix: string): Promise<{ outcome: Outcome; detail: string }> {
  if (c.shape === 'http') {
    let result;
    try {
      result = parseEventLine(c.line.replaceAll('#', prefix));
    } catch (error) {
      return { outcome: 'crash', detail: String(error) };
    }
    if (result.ok) return { outcome: 'silent accept', detail: 'the line validated' };
    const hit = result.problems.find((p) => p.column === c.expect.column && c.expect.reason.test(p.reason));
    return hit ? { outcome: 'precise', detail: `${hit.column}: ${hit.reason}` } : { outcome: 'imprecise', detail: JSON.stringify(result.problems).slice(0, 300) };
  }
  if (c.shape === 'ruleset') {
    const dir = tempDir();
    writeFiles(dir, c.files, prefix);
    const started = Date.now();
    const run = await refusedWithin(async () => parseRuleset(readRulesetText(path.join(dir, 'ruleset.yaml')), 'ruleset.yaml'), 10_000);
    const elapsedMs = Date.now() - started;
    if (!('error' in run)) return { outcome: 'silent accept', detail: 'the ruleset loaded' };
    const message = String(run.error);
    if (/hung for more than/.test(message)) return { outcome: 'crash', detail: message };
    const wrong = checkMessage(message, { file: c.expect.file, reason: c.expect.reason, todo: c.expect.todo, never: c.expect.never }, prefix);
    if (c.expect.withinMs !== undefined && elapsedMs > c.expect.withinMs) wrong.push(`took ${elapsedMs} ms`);
    return wrong.length === 0 ? { outcome: 'precise', detail: message } : { outcome: 'imprecise', detail: `${message}\n  ${wrong.join('; ')}` };
  }
  if (c.before !== undefined) {
    const dir = tempDir();
    if (c.shape === 'csv') {
      writeFiles(dir, c.before, prefix);
      await ingestCsv(dir);
    } else await ingestEvents(eventsTarget(dir, c.before, prefix));
  }
  const before = await snapshot();
  const dir = tempDir();
  const step = c.shape === 'csv'
    ? (writeFiles(dir, c.files, prefix), () => ingestCsv(dir))
    : ((target: string) => () => ingestEvents(target))(eventsTarget(dir, c.events, prefix));
  const run = await refusedWithin(step, 20_000);
  const changed = (await snapshot()) !== before;
  if (!('error' in run)) return { outcome: 'silent accept', detail: 'the input loaded' };
  const error = run.error;
  if (!(error instanceof ApplicationFailure) || !error.nonRetryable) return { outcome: 'crash', detail: String(error) };
  const wrong = checkMessage(error.message, c.expect, prefix);
  if (changed) wrong.push('input or ledger rows changed');
  return wrong.length === 0 ? { outcome: 'precise', detail: error.message } : { outcome: 'imprecise', detail: `${error.message}\n  ${wrong.join('; ')}` };
}

const tally: Record<Outcome, string[]> = { precise: [], imprecise: [], 'silent accept': [], crash: [] };

describe('bad-input corpus', () => {
  CASES.forEach((c, index) => {
    it(`${c.shape}: ${c.name}`, async () => {
      const { outcome, detail } = await runCase(c, `k${index}_`);
      tally[outcome].push(c.name);
      assert.equal(outcome, 'precise', detail);
    });
  });

  it('counts: at least 60 kinds, every one a precise error, no silent accept, no crash', () => {
    const kinds = CASES.length;
    const shapes = [...new Set(CASES.map((c) => c.shape))];
    const byShape = shapes.map((shape) => `${shape} ${CASES.filter((c) => c.shape === shape).length}`).join(', ');
    console.log(
      `bad-input corpus: ${kinds} kinds (${byShape}); precise errors ${tally.precise.length}, imprecise ${tally.imprecise.length}, ` +
        `silent accepts ${tally['silent accept'].length}, crashes ${tally.crash.length}`,
    );
    assert.ok(kinds >= 60);
    assert.deepEqual({ silent: tally['silent accept'], crash: tally.crash, imprecise: tally.imprecise }, { silent: [], crash: [], imprecise: [] });
    assert.equal(tally.precise.length, kinds);
  });
});
