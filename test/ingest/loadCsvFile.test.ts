// The CSV loader against a real Postgres: strict and quarantine policies, versions, UTC.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import type { CsvKind } from '../../ingest/fileSpecs';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { refusal } from '../helpers/refusal';
import { csv, datasetDir } from '../helpers/datasets';

let db: TestDatabase;
before(async () => (db = await createTestDatabase('load_csv')));
after(async () => db.drop());

async function load(dir: string, kind: CsvKind, maxRejects: number | null = null) {
  const listing = await listDatasetFiles(dir);
  const file = listing.files.find((f) => f.kind === kind);
  assert.ok(file, `${kind} is in the dataset`);
  return loadCsvFile(db.pool, { dir, kind, maxRejects, expectedLoadKey: file.loadKey });
}


const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query(sql, params)).rows[0].count);

const PAYMENTS_HEADER = 'payment_id,user_id,amount,currency,paid_at';

describe('strict billing files', () => {
  const cases: Array<{ name: string; row: string; expect: RegExp }> = [
    { name: 'bad amount', row: 'p2,u1,abc,USD,2024-01-02T00:00:00Z', expect: /payments\.csv line 3, column amount: "abc" is not a positive decimal number/ },
    { name: 'more than 4 decimals', row: 'p2,u1,1.23456,USD,2024-01-02T00:00:00Z', expect: /payments\.csv line 3, column amount: "1\.23456" has 5 decimal places; at most 4 are allowed/ },
    { name: 'timestamp without offset and no time zone', row: 'p2,u1,5,USD,2024-01-02T00:00:00', expect: /payments\.csv line 3, column paid_at: "2024-01-02T00:00:00" has no UTC offset/ },
    { name: 'wrong number of cells', row: 'p2,u1,5,USD', expect: /payments\.csv line 3: has 4 cells; the header has 5/ },
  ];
  for (const c of cases) {
    it(`${c.name}: refuses the file naming file, line, column and value; loads nothing of it`, async () => {
      const dir = datasetDir({ 'payments.csv': csv(PAYMENTS_HEADER, 'p1,u1,10,USD,2024-01-01T00:00:00Z', c.row, 'p3,u1,7,USD,2024-01-03T00:00:00Z') });
      const failure = await refusal(load(dir, 'payments'));
      assert.equal(failure.type, 'InvalidInputFile');
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, c.expect);
      assert.match(failure.message, /nothing of it was loaded/);
      assert.equal(await count(`SELECT count(*) FROM payments WHERE payment_id IN ('p1','p2','p3')`), 0);
      assert.equal(await count(`SELECT count(*) FROM ingested_files WHERE dataset = $1`, [dir.split('/').pop()]), 0);
    });
  }

  it('missing column: names the file, the column and what the header has', async () => {
    const dir = datasetDir({ 'payments.csv': csv('payment_id,user_id,amount,currency', 'p1,u1,10,USD') });
    const failure = await refusal(load(dir, 'payments'));
    assert.match(failure.message, /^payments\.csv line 1: missing column\(s\) paid_at\. The header has: "payment_id", "user_id", "amount", "currency"\./);
  });

  it('wrong header (a data row where the header should be): every expected column is reported missing', async () => {
    const dir = datasetDir({ 'payments.csv': csv('p1,u1,10,USD,2024-01-01T00:00:00Z') });
    const failure = await refusal(load(dir, 'payments'));
    assert.match(failure.message, /^payments\.csv line 1: missing column\(s\) payment_id, user_id, amount, paid_at\./);
  });

  it('lists every bad row, the first 20 in full and a count of the rest', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `p${i},u1,x${i},USD,2024-01-01T00:00:00Z`);
    const dir = datasetDir({ 'payments.csv': csv(PAYMENTS_HEADER, ...rows) });
    const failure = await refusal(load(dir, 'payments'));
    assert.match(failure.message, /^payments\.csv: 25 invalid rows\./);
    assert.match(failure.message, /line 21, column amount: "x19"/);
    assert.doesNotMatch(failure.message, /line 22,/);
    assert.match(failure.message, /\.\.\. and 5 more$/);
  });

  it('an id already stored with different content is refused, naming both places', async () => {
    const dir = datasetDir({ 'payments.csv': csv(PAYMENTS_HEADER, 'dup1,u1,10,USD,2024-01-01T00:00:00Z') });
    await load(dir, 'payments');
    const changed = datasetDir({ 'payments.csv': csv(PAYMENTS_HEADER, 'dup1,u1,11,USD,2024-01-01T00:00:00Z', 'dup2,u1,3,USD,2024-01-01T00:00:00Z') });
    const failure = await refusal(load(changed, 'payments'));
    assert.match(failure.message, /payments\.csv line 2, column payment_id: "dup1" payment_id dup1 was already loaded with different content \(payments\.csv version 1, line 2\)/);
    assert.equal(await count(`SELECT count(*) FROM payments WHERE payment_id = 'dup2'`), 0);
    assert.equal((await db.pool.query(`SELECT amount FROM payments WHERE payment_id = 'dup1'`)).rows[0].amount, '10.0000');
  });
});

describe('usage and integration files', () => {
  const INTEGRATIONS = csv(
    'event_id,user_id,platform,action,occurred_at',
    'q1,u1,HubSpot,connected,2024-01-01T00:00:00Z',
    'q2,u1,hubspot,joined,2024-01-02T00:00:00Z',
    'q3,u1, Zapier ,connected,2024-01-03T00:00:00+05:45',
  );
  const CALLS = csv('call_id,user_id,platform,started_at,duration', 'k1,u1,web,2024-01-01T00:00:00Z,431.0 seconds', 'k2,u1,web,2024-01-01T00:00:00Z,forever', 'k3,u1,web,2024-01-01T00:00:00Z,12 s');

  it('unknown action and unparseable duration refuse the file when --max-rejects is 0', async () => {
    const dir = datasetDir({ 'integrations.csv': INTEGRATIONS, 'calls.csv': CALLS });
    const a = await refusal(load(dir, 'integrations', 0));
    assert.match(a.message, /integrations\.csv line 3, column action: "joined" must be "connected" or "disconnected"/);
    assert.match(a.message, /more than --max-rejects 0/);
    const b = await refusal(load(dir, 'calls', 0));
    assert.match(b.message, /calls\.csv line 3, column duration: "forever" is not a duration/);
    assert.equal(await count(`SELECT count(*) FROM integration_events WHERE event_id LIKE 'q%'`), 0);
    assert.equal(await count(`SELECT count(*) FROM calls WHERE call_id LIKE 'k%'`), 0);
  });

  it('quarantine: the good rows load, the bad ones are recorded with their reason', async () => {
    const dir = datasetDir({ 'integrations.csv': INTEGRATIONS, 'calls.csv': CALLS });
    const result = await load(dir, 'integrations', 5);
    assert.deepEqual({ status: result.status, read: result.rowsRead, loaded: result.rowsLoaded, rejected: result.rowsRejected }, { status: 'loaded', read: 3, loaded: 2, rejected: 1 });
    const stored = await db.pool.query(`SELECT event_id, platform, action, occurred_at FROM integration_events WHERE event_id LIKE 'q%' ORDER BY event_id`);
    assert.deepEqual(stored.rows.map((r) => [r.event_id, r.platform, r.action, (r.occurred_at as Date).toISOString()]), [
      ['q1', 'hubspot', 'connected', '2024-01-01T00:00:00.000Z'],
      ['q3', 'zapier', 'connected', '2024-01-02T18:15:00.000Z'],
    ]);
    const rejects = await db.pool.query(
      `SELECT r.line, r.column_name, r.value, r.reason FROM ingest_rejects r JOIN ingested_files f USING (file_id) WHERE f.kind = 'integrations' AND f.dataset = $1`,
      [dir.split('/').pop()],
    );
    assert.deepEqual(rejects.rows, [{ line: 3, column_name: 'action', value: 'joined', reason: 'must be "connected" or "disconnected"' }]);
  });

  it('quarantine refuses the file when rejects exceed the cap', async () => {
    const dir = datasetDir({ 'calls.csv': CALLS.replace('12 s', 'soon') });
    const failure = await refusal(load(dir, 'calls', 1));
    assert.match(failure.message, /^calls\.csv: 2 invalid rows\. That is more than --max-rejects 1/);
  });
});

describe('versions and settings', () => {
  it('loading the same file twice is a no-op; a changed file loads as a new version', async () => {
    const v1 = csv('sms_id,user_id,platform,sent_at,segments', 'm1,u1,web,2024-01-01T00:00:00Z,2');
    const dir = datasetDir({ 'sms.csv': v1 });
    const first = await load(dir, 'sms');
    const again = await load(dir, 'sms');
    assert.deepEqual([first.status, first.version, first.rowsLoaded], ['loaded', 1, 1]);
    assert.deepEqual([again.status, again.version, again.rowsLoaded], ['unchanged', 1, 1]);
    datasetDir(); // unrelated dir: no effect
    const v2 = v1 + 'm2,u1,mobile,2024-01-02T00:00:00Z,1\n';
    const fs = await import('node:fs');
    fs.writeFileSync(`${dir}/sms.csv`, v2);
    const second = await load(dir, 'sms');
    assert.deepEqual([second.status, second.version, second.rowsRead, second.rowsLoaded, second.rowsDuplicate], ['loaded', 2, 2, 1, 1]);
    assert.equal(await count(`SELECT count(*) FROM sms WHERE sms_id IN ('m1','m2')`), 2);
  });

  it('dataset.yaml maps columns, sets the default currency, platform aliases and the time zone', async () => {
    const dir = datasetDir({
      'dataset.yaml': 'name: mapped\ncolumns:\n  payments:\n    paid_at: created\n    user_id: customer\ndefault_currency: eur\ntimezone: Asia/Kathmandu\nplatform_aliases:\n  HS: hubspot\n',
      'payments.csv': csv('payment_id,customer,amount,created', 'mp1,u9,19.99,2024-01-05T10:00:00'),
      'integrations.csv': csv('event_id,user_id,platform,action,occurred_at', 'mi1,u9,hs,connected,2024-01-05 10:00'),
    });
    await load(dir, 'payments');
    await load(dir, 'integrations');
    const p = (await db.pool.query(`SELECT user_id, amount, currency, paid_at FROM payments WHERE payment_id = 'mp1'`)).rows[0];
    assert.deepEqual([p.user_id, p.amount, p.currency, (p.paid_at as Date).toISOString()], ['u9', '19.9900', 'EUR', '2024-01-05T04:15:00.000Z']);
    const i = (await db.pool.query(`SELECT platform, occurred_at FROM integration_events WHERE event_id = 'mi1'`)).rows[0];
    assert.deepEqual([i.platform, (i.occurred_at as Date).toISOString()], ['hubspot', '2024-01-05T04:15:00.000Z']);
  });

  it('an invalid dataset.yaml is refused with the key named', async () => {
    const dir = datasetDir({ 'dataset.yaml': 'timezone: Mars/Olympus\n', 'sms.csv': csv('sms_id,user_id,platform,sent_at,segments') });
    const failure = await refusal(listDatasetFiles(dir));
    assert.equal(failure.type, 'InvalidDataset');
    assert.match(failure.message, /dataset\.yaml: timezone: "Mars\/Olympus" is not an IANA time zone/);
    const typo = datasetDir({ 'dataset.yaml': 'max_reject: 3\n', 'sms.csv': csv('sms_id,user_id,platform,sent_at,segments') });
    assert.match((await refusal(listDatasetFiles(typo))).message, /dataset\.yaml is invalid:\n {2}\(top level\): Unrecognized key: "max_reject"/);
  });
});

describe('load paths', () => {
  it('a file with quoted cells (read by the CSV parser) loads the same rows as the plain file (direct load)', async () => {
    const plain = datasetDir({ 'workspaces.csv': csv('workspace_id,owner_id,member_ids', 'lp1,lu1,lu2;lu3', 'lp2,lu4,') });
    const quoted = datasetDir({ 'workspaces.csv': csv('workspace_id,owner_id,member_ids', '"lq1","lu5","lu6;lu7"', 'lq2,lu8,""') });
    const a = await load(plain, 'workspaces');
    const b = await load(quoted, 'workspaces');
    assert.deepEqual([a.rowsLoaded, b.rowsLoaded], [2, 2]);
    const rows = await db.pool.query(`SELECT workspace_id, owner_id, member_ids, line FROM workspaces WHERE workspace_id IN ('lp1','lp2','lq1','lq2') ORDER BY workspace_id`);
    assert.deepEqual(rows.rows.map((r) => [r.workspace_id, r.owner_id, r.member_ids, r.line]), [
      ['lp1', 'lu1', ['lu2', 'lu3'], 2], ['lp2', 'lu4', [], 3], ['lq1', 'lu5', ['lu6', 'lu7'], 2], ['lq2', 'lu8', [], 3],
    ]);
  });

  it('CRLF line endings, a byte-order mark and blank lines keep the line numbers of the file', async () => {
    const dir = datasetDir({ 'sms.csv': '\ufeffsms_id,user_id,platform,sent_at,segments\r\nlm1,u1,web,2024-01-01T00:00:00Z,1\r\n\r\nlm2,u1,web,2024-01-01T00:00:00Z,x\r\n' });
    const failure = await refusal(load(dir, 'sms', 0));
    assert.match(failure.message, /sms\.csv line 4, column segments: "x" must be a whole number >= 0/);
  });
});
