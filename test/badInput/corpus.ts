// The bad-input corpus (docs/decisions.md, "Input"): one case per kind of bad input, each with the
// parts its refusal must name. Shared by corpus.test.ts, which runs every case against a real
// database and counts the outcomes. `#` in files and expectations stands for the case's own id
// prefix, so that the cases never see each other's rows.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** A file of a case: text, raw bytes, a symbolic link, a FIFO or a directory. */
export type CaseFile = string | Buffer | { symlink: string } | { fifo: true } | { dir: true };

export interface Expect {
  /** the file the message names */
  file: string;
  line?: number;
  column?: string;
  /** text the message must quote (the value, cut) */
  value?: string;
  reason: RegExp;
  /** what the user is told to do */
  todo: RegExp;
  /** what must never appear (content of a file that was not meant to be read) */
  never?: RegExp;
}

export interface CsvCase {
  shape: 'csv';
  name: string;
  /** loaded (and expected to load) before the bad files */
  before?: Record<string, CaseFile>;
  files: Record<string, CaseFile>;
  expect: Expect;
}

export interface EventsCase {
  shape: 'ndjson';
  name: string;
  before?: string;
  /** the NDJSON text, or the files of a directory of event files */
  events: string | Buffer | Record<string, CaseFile>;
  expect: Expect;
}

export interface SchemaCase {
  shape: 'http';
  name: string;
  /** one line of a POST /v1/events body */
  line: string;
  expect: { column: string; reason: RegExp };
}

export interface RulesetCase {
  shape: 'ruleset';
  name: string;
  /** ruleset.yaml and the files beside it */
  files: Record<string, CaseFile>;
  expect: { file: string; reason: RegExp; todo: RegExp; never?: RegExp; withinMs?: number };
}

export type BadInputCase = CsvCase | EventsCase | SchemaCase | RulesetCase;

const P = 'payment_id,user_id,amount,currency,paid_at';
const R = 'refund_id,user_id,amount,currency,refunded_at,payment_id';
const W = 'workspace_id,owner_id,member_ids';
const C = 'call_id,user_id,platform,started_at,duration';
const S = 'sms_id,user_id,platform,sent_at,segments';
const I = 'event_id,user_id,platform,action,occurred_at';
const lines = (...l: string[]) => l.join('\n') + '\n';
const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
const pay = (row: string) => ({ 'payments.csv': lines(P, '#ok,#u,1,USD,2024-01-01T00:00:00Z', row) });
const payAt = (at: string) => pay(`#p,#u,10,USD,${at}`);
const calls = (row: string) => ({ 'calls.csv': lines(C, '#ok,#u,hubspot,2024-01-01T00:00:00Z,10', row) });
const badRow = (column: string, value: string, reason: RegExp, line = 3, file = 'payments.csv'): Expect =>
  ({ file, line, column, value, reason, todo: /Correct the rows below|Fix the rows/ });
const PASSWD = /root:|nologin|\/bin\/(ba)?sh/;
const refused = (file: string, reason: RegExp, todo: RegExp): Expect => ({ file, reason, todo, never: PASSWD });

const event = (fields: Record<string, unknown> = {}) => JSON.stringify({
  transactionId: '#e1', timestamp: '2024-01-01T00:00:00Z', customerId: '#c', grossAmount: '10', currency: 'USD',
  products: [{ productId: 'crm', quantity: 1, unitPrice: 10 }], source: 'invoice', ...fields,
});
const badEvent = (column: string, reason: RegExp, line = 1, value?: string): Expect =>
  ({ file: 'events.ndjson', line, column, value, reason, todo: /Correct the events below/ });

/** Comprehensions nested `depth` deep over a 300-element list literal: 300^depth steps. */
const nested = (depth: number) => {
  const list = '[' + Array.from({ length: 300 }, (_, i) => i).join(',') + ']';
  let condition = 'x0 >= 0';
  for (let d = depth - 1; d >= 0; d--) condition = `${list}.all(x${d}, ${condition})`;
  return condition;
};
const ruleset = (condition: string) => `version: r1\nbooks:\n  rules:\n    rules:\n      - { name: big, priority: 1, condition: ${JSON.stringify(condition)}, model: linear }\n`;
const bomb = () => {
  const out = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    out.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return out.join('\n') + '\n';
};

export const CASES: BadInputCase[] = [
  // Reading outside the dataset.
  { shape: 'csv', name: 'files: a path with ..', files: { 'dataset.yaml': 'files:\n  payments: ../../../../../../etc/passwd\n' },
    expect: refused('dataset.yaml', /files\.payments: "\.\.\/\.\.\/.*passwd" climbs out of the directory/, /name a file inside the directory/) },
  { shape: 'csv', name: 'files: an absolute path', files: { 'dataset.yaml': 'files:\n  payments: /etc/passwd\n' },
    expect: refused('dataset.yaml', /files\.payments: "\/etc\/passwd" is an absolute path/, /name a file inside the directory/) },
  { shape: 'csv', name: 'files: a NUL in the name', files: { 'dataset.yaml': 'files:\n  payments: "pay\\0ments.csv"\n' },
    expect: refused('dataset.yaml', /files\.payments: .* holds a NUL character/, /./) },
  { shape: 'csv', name: 'a CSV file that is a link out of the dataset', files: { 'payments.csv': { symlink: '/etc/passwd' } },
    expect: refused('payments.csv', /is a symbolic link that leads outside the directory/, /copy the file into the directory/) },
  { shape: 'csv', name: 'a CSV file that is a link to /dev/zero', files: { 'calls.csv': { symlink: '/dev/zero' } },
    expect: refused('calls.csv', /is a symbolic link that leads outside the directory/, /copy the file into the directory/) },
  { shape: 'csv', name: 'a CSV file that is a FIFO', files: { 'payments.csv': { fifo: true } },
    expect: refused('payments.csv', /is a FIFO \(named pipe\), not a regular file/, /Nothing of it was read/) },
  { shape: 'csv', name: 'a CSV file that is a directory', files: { 'payments.csv': { dir: true } },
    expect: refused('payments.csv', /is a directory, not a regular file/, /Nothing of it was read/) },
  { shape: 'csv', name: 'a dangling link', files: { 'payments.csv': { symlink: './nowhere.csv' } },
    expect: refused('payments.csv', /is a symbolic link to a file that does not exist/, /./) },
  { shape: 'csv', name: 'dataset.yaml that is a link out', files: { 'dataset.yaml': { symlink: '/etc/passwd' }, 'sms.csv': lines(S) },
    expect: refused('dataset.yaml', /is a symbolic link that leads outside the directory/, /copy the file into the directory/) },
  { shape: 'csv', name: 'a mapped file name that is a link to a link out', files: { 'dataset.yaml': 'files:\n  sms: texts.csv\n', 'texts.csv': { symlink: './hop.csv' }, 'hop.csv': { symlink: '/etc/hostname' } },
    expect: refused('texts.csv', /leads outside the directory/, /copy the file into the directory/) },
  // Bounded configuration and valid settings.
  { shape: 'csv', name: 'dataset.yaml alias bomb', files: { 'dataset.yaml': bomb() },
    expect: { file: 'dataset.yaml', reason: /aliases \(\*name\) expand to too much/, todo: /write the values out/ } },
  { shape: 'csv', name: 'dataset.yaml default_currency not ISO 4217', files: { 'dataset.yaml': 'default_currency: ZZZ\n', ...pay('#p,#u,10,,2024-01-01T00:00:00Z') },
    expect: { file: 'dataset.yaml', value: 'ZZZ', reason: /is not an ISO 4217 currency code/, todo: /list it under extra_currencies/ } },
  { shape: 'csv', name: 'dataset.yaml not UTF-8', files: { 'dataset.yaml': bytes('name: caf', [0xe9], '\n') },
    expect: { file: 'dataset.yaml', reason: /is not valid UTF-8/, todo: /save it as UTF-8/ } },
  { shape: 'csv', name: 'dataset.yaml alias target with a TAB', files: { 'dataset.yaml': 'platform_aliases: { hs: "hub\\tspot" }\n' },
    expect: { file: 'dataset.yaml', reason: /platform_aliases\.hs: holds the control character U\+0009/, todo: /may not contain tabs/ } },
  { shape: 'csv', name: 'dataset.yaml name over 200 characters', files: { 'dataset.yaml': `name: ${'n'.repeat(300)}\n` },
    expect: { file: 'dataset.yaml', reason: /name: is 300 characters long; a name may have at most 200/, todo: /at most 200/ } },
  { shape: 'csv', name: 'dataset.yaml unknown time zone', files: { 'dataset.yaml': 'timezone: Mars/Olympus\n' },
    expect: { file: 'dataset.yaml', value: 'Mars/Olympus', reason: /is not an IANA time zone/, todo: /like Europe\/Berlin/ } },
  // Billing rows: amounts, currencies, instants.
  { shape: 'csv', name: 'amount not a number', files: pay('#p,#u,abc,USD,2024-01-01T00:00:00Z'), expect: badRow('amount', '"abc"', /is not a positive decimal number/) },
  { shape: 'csv', name: 'amount with 5 decimals', files: pay('#p,#u,1.23456,USD,2024-01-01T00:00:00Z'), expect: badRow('amount', '"1.23456"', /has 5 decimal places/) },
  { shape: 'csv', name: 'amount zero', files: pay('#p,#u,0.0000,USD,2024-01-01T00:00:00Z'), expect: badRow('amount', '"0.0000"', /must be greater than 0/) },
  { shape: 'csv', name: 'amount negative', files: pay('#p,#u,-5,USD,2024-01-01T00:00:00Z'), expect: badRow('amount', '"-5"', /is not a positive decimal number/) },
  { shape: 'csv', name: 'amount in exponent notation', files: pay('#p,#u,1e3,USD,2024-01-01T00:00:00Z'), expect: badRow('amount', '"1e3"', /is not a positive decimal number/) },
  { shape: 'csv', name: 'currency not ISO 4217', files: pay('#p,#u,10,ZZZ,2024-01-01T00:00:00Z'), expect: badRow('currency', '"ZZZ"', /is not an ISO 4217 currency code/) },
  { shape: 'csv', name: 'currency of two letters', files: pay('#p,#u,10,US,2024-01-01T00:00:00Z'), expect: badRow('currency', '"US"', /is not a 3-letter ISO 4217/) },
  { shape: 'csv', name: 'test currency without extra_currencies', files: pay('#p,#u,10,XTS,2024-01-01T00:00:00Z'), expect: badRow('currency', '"XTS"', /list it under extra_currencies/) },
  { shape: 'csv', name: 'UTC offset +99:99', files: payAt('2024-03-01T10:00:00+99:99'), expect: badRow('paid_at', '"2024-03-01T10:00:00+99:99"', /whose minutes are not below 60/) },
  { shape: 'csv', name: 'UTC offset +15:00', files: payAt('2024-03-01T10:00:00+15:00'), expect: badRow('paid_at', '+15:00', /outside the real range -14:00\.\.\+14:00/) },
  { shape: 'csv', name: 'UTC offset -0560', files: payAt('2024-03-01T10:00:00-0560'), expect: badRow('paid_at', '-0560', /minutes are not below 60/) },
  { shape: 'csv', name: 'impossible date 2024-02-30', files: payAt('2024-02-30T10:00:00Z'), expect: badRow('paid_at', '2024-02-30', /is not a real date and time/) },
  { shape: 'csv', name: 'impossible date 2023-02-29 with offset', files: payAt('2023-02-29T10:00:00+01:00'), expect: badRow('paid_at', '2023-02-29', /is not a real date and time/) },
  { shape: 'csv', name: 'hour 24', files: payAt('2024-01-01T24:00:00Z'), expect: badRow('paid_at', 'T24:00', /is not a real date and time/) },
  { shape: 'csv', name: 'no offset and no time zone', files: payAt('2024-01-01T10:00:00'), expect: badRow('paid_at', '2024-01-01T10:00:00', /has no UTC offset/) },
  { shape: 'csv', name: 'year 1900', files: payAt('1900-01-01T10:00:00Z'), expect: badRow('paid_at', '1900', /is not a real date and time|outside the years/) },
  { shape: 'csv', name: 'a local time that DST skips', files: { 'dataset.yaml': 'timezone: Europe/Berlin\n', ...payAt('2024-03-31T02:30:00') }, expect: badRow('paid_at', '02:30', /skipped by a daylight-saving change/) },
  // Encodings and control characters.
  { shape: 'csv', name: 'a Latin-1 byte (0xE9) in a user id', files: { 'payments.csv': bytes(P, '\n#p,caf', [0xe9], ',10,USD,2024-01-01T00:00:00Z\n') },
    expect: { file: 'payments.csv', line: 2, column: '10', value: '0xE9', reason: /is not valid UTF-8/, todo: /re-export it as UTF-8/ } },
  { shape: 'csv', name: 'an overlong UTF-8 encoding', files: { 'calls.csv': bytes(C, '\n#c,u', [0xc0, 0xaf], ',web,2024-01-01T00:00:00Z,1\n') },
    expect: { file: 'calls.csv', line: 2, value: '0xC0', reason: /is not valid UTF-8/, todo: /re-export it as UTF-8/ } },
  { shape: 'csv', name: 'an encoded surrogate', files: { 'sms.csv': bytes(S, '\n#s,u', [0xed, 0xa0, 0x80], ',web,2024-01-01T00:00:00Z,1\n') },
    expect: { file: 'sms.csv', line: 2, value: '0xED', reason: /is not valid UTF-8/, todo: /re-export it as UTF-8/ } },
  { shape: 'csv', name: 'a bad byte in a quoted file (parser path)', files: { 'payments.csv': bytes(P, '\n"#p","u', [0xff], '",10,USD,2024-01-01T00:00:00Z\n') },
    expect: { file: 'payments.csv', line: 2, value: '0xFF', reason: /is not valid UTF-8/, todo: /re-export it as UTF-8/ } },
  { shape: 'csv', name: 'a truncated UTF-8 sequence at the end of the file', files: { 'payments.csv': bytes(P, '\n#p,u', [0xe2, 0x82]) },
    expect: { file: 'payments.csv', line: 2, value: '0xE2', reason: /is not valid UTF-8/, todo: /re-export it as UTF-8/ } },
  { shape: 'csv', name: 'TAB inside an id', files: pay('#p\tx,#u,10,USD,2024-01-01T00:00:00Z'), expect: badRow('payment_id', '\\t', /control character U\+0009/) },
  { shape: 'csv', name: 'TAB at the edge of an id (not trimmed away)', files: pay('#p,#u\t,10,USD,2024-01-01T00:00:00Z'), expect: badRow('user_id', '\\t', /control character U\+0009/) },
  { shape: 'csv', name: 'LF inside a quoted id', files: pay('"#p\nx",#u,10,USD,2024-01-01T00:00:00Z'), expect: badRow('payment_id', '\\n', /control character U\+000A/, 4) },
  { shape: 'csv', name: 'NUL in a user id', files: pay('#p,#u\u0000x,10,USD,2024-01-01T00:00:00Z'), expect: badRow('user_id', '\\u0000', /control character U\+0000/) },
  { shape: 'csv', name: 'DEL in an id', files: pay('#p\u007f,#u,10,USD,2024-01-01T00:00:00Z'), expect: badRow('payment_id', '\u007f', /control character U\+007F/) },
  { shape: 'csv', name: 'a C1 control (U+0085) in an id', files: pay('#p\u0085,#u,10,USD,2024-01-01T00:00:00Z'), expect: badRow('payment_id', '\u0085', /control character U\+0085/) },
  { shape: 'csv', name: 'an id over 200 characters', files: pay(`#${'x'.repeat(230)},#u,10,USD,2024-01-01T00:00:00Z`), expect: badRow('payment_id', '(234 characters)', /may have at most 200/) },
  { shape: 'csv', name: 'an empty id', files: pay(',#u,10,USD,2024-01-01T00:00:00Z'), expect: badRow('payment_id', '""', /is empty; every row needs an id/) },
  { shape: 'csv', name: 'a refund payment_id with a control character', files: { 'refunds.csv': lines(R, '#r,#u,1,USD,2024-01-02T00:00:00Z,#p\u0001') },
    expect: badRow('payment_id', '\\u0001', /control character U\+0001/, 2, 'refunds.csv') },
  // Shape of the file.
  { shape: 'csv', name: 'wrong number of cells', files: pay('#p,#u,10,USD'), expect: { file: 'payments.csv', line: 3, reason: /has 4 cells; the header has 5/, todo: /Correct the rows below/ } },
  { shape: 'csv', name: 'a missing column', files: { 'payments.csv': lines('payment_id,user_id,amount,currency', '#p,#u,1,USD') },
    expect: { file: 'payments.csv', line: 1, reason: /missing column\(s\) paid_at/, todo: /rename the columns or map them in dataset\.yaml/ } },
  { shape: 'csv', name: 'a repeated column', files: { 'payments.csv': lines(`${P},amount`, '#p,#u,1,USD,2024-01-01T00:00:00Z,2') },
    expect: { file: 'payments.csv', line: 1, value: '"amount"', reason: /the header repeats column/, todo: /give each column once/ } },
  { shape: 'csv', name: 'an empty file', files: { 'payments.csv': '' }, expect: { file: 'payments.csv', reason: /the file is empty; expected a header row/, todo: /expected a header row/ } },
  { shape: 'csv', name: 'an unclosed quote', files: pay('"#p,#u,10,USD,2024-01-01T00:00:00Z'), expect: { file: 'payments.csv', reason: /not readable as CSV/, todo: /Correct the quoting/ } },
  { shape: 'csv', name: 'a quote inside an unquoted cell', files: pay('#p,#u,1"0,USD,2024-01-01T00:00:00Z'), expect: { file: 'payments.csv', line: 3, reason: /not readable as CSV/, todo: /Correct the quoting/ } },
  { shape: 'csv', name: 'a 2 MiB line (a huge platform name)', files: calls(`#c,#u,${'h'.repeat(2 * 1024 * 1024)},2024-01-01T00:00:00Z,1`),
    expect: { file: 'calls.csv', line: 3, reason: /longer than 1048576 bytes/, todo: /is it the right file/ } },
  { shape: 'csv', name: 'a 2 MiB cell in a quoted file (parser path)', files: calls(`"#c",#u,"${'h'.repeat(2 * 1024 * 1024)}",2024-01-01T00:00:00Z,1`),
    expect: { file: 'calls.csv', line: 3, reason: /longer than 1048576 bytes/, todo: /is it the right file/ } },
  { shape: 'csv', name: 'the same id twice with different content', files: { 'payments.csv': lines(P, '#p,#u,10,USD,2024-01-01T00:00:00Z', '#p,#u,11,USD,2024-01-01T00:00:00Z') },
    expect: badRow('payment_id', '#p', /already loaded with different content \(line 2 of this file\)/) },
  { shape: 'csv', name: 'an id stored before with different content', before: { 'payments.csv': lines(P, '#p,#u,10,USD,2024-01-01T00:00:00Z') },
    files: { 'payments.csv': lines(P, '#p,#u,12,USD,2024-01-01T00:00:00Z') }, expect: badRow('payment_id', '#p', /already loaded with different content \(payments\.csv version 1, line 2\)/, 2) },
  // Refunds beyond their payment.
  { shape: 'csv', name: 'a refund of 500 against a payment of 100', before: { 'payments.csv': lines(P, '#p,#u,100,USD,2024-01-01T00:00:00Z') },
    files: { 'refunds.csv': lines(R, '#r,#u,500,USD,2024-01-02T00:00:00Z,#p') },
    expect: badRow('amount', '500.0000', /refund #r is more than what is left of payment #p \(paid 100\.0000, refunded before 0\.0000, left 100\.0000\)/, 2, 'refunds.csv') },
  { shape: 'csv', name: 'two refunds in one file that together exceed the payment', before: { 'payments.csv': lines(P, '#p,#u,100,USD,2024-01-01T00:00:00Z') },
    files: { 'refunds.csv': lines(R, '#r1,#u,60,USD,2024-01-02T00:00:00Z,#p', '#r2,#u,50,USD,2024-01-03T00:00:00Z,#p') },
    expect: badRow('amount', '50.0000', /refund #r2 is more than what is left of payment #p \(paid 100\.0000, refunded before 60\.0000, left 40\.0000\)/, 3, 'refunds.csv') },
  { shape: 'csv', name: 'a refund beyond what an earlier refund file left', before: { 'payments.csv': lines(P, '#p,#u,100,USD,2024-01-01T00:00:00Z'), 'refunds.csv': lines(R, '#r1,#u,70,USD,2024-01-02T00:00:00Z,#p') },
    files: { 'refunds.csv': lines(R, '#r1,#u,70,USD,2024-01-02T00:00:00Z,#p', '#r2,#u,30.0001,USD,2024-01-03T00:00:00Z,#p') },
    expect: badRow('amount', '30.0001', /left 30\.0000/, 3, 'refunds.csv') },
  { shape: 'csv', name: 'a payment that refunds stored before it exceed', before: { 'refunds.csv': lines(R, '#r,#u,500,USD,2024-01-02T00:00:00Z,#p') },
    files: { 'payments.csv': lines(P, '#p,#u,100,USD,2024-01-01T00:00:00Z') },
    expect: badRow('amount', '100.0000', /payment #p \(100\.0000\) is less than what refunds already stored take back from it \(500\.0000/, 2) },
  // Workspaces, usage and integrations (strict unless --max-rejects).
  { shape: 'csv', name: 'a member id with a control character', files: { 'workspaces.csv': lines(W, '#w,#o,#a;#b\u0007') }, expect: badRow('member_ids', '\\u0007', /member 2: holds the control character U\+0007/, 2, 'workspaces.csv') },
  { shape: 'csv', name: 'a member id over 200 characters', files: { 'workspaces.csv': lines(W, `#w,#o,#a;${'m'.repeat(201)}`) }, expect: badRow('member_ids', '(207 characters)', /member 2: is 201 characters long/, 2, 'workspaces.csv') },
  { shape: 'csv', name: 'a platform name over 200 characters', files: calls(`#c,#u,${'h'.repeat(250)},2024-01-01T00:00:00Z,1`), expect: badRow('platform', '(250 characters)', /a platform name may have at most 200/, 3, 'calls.csv') },
  { shape: 'csv', name: 'a TAB inside a platform name', files: calls('#c,#u,hub\tspot,2024-01-01T00:00:00Z,1'), expect: badRow('platform', 'hub\\tspot', /control character U\+0009/, 3, 'calls.csv') },
  { shape: 'csv', name: 'an unknown action', files: { 'integrations.csv': lines(I, '#i,#u,hubspot,connect,2024-01-01T00:00:00Z') }, expect: badRow('action', '"connect"', /must be "connected" or "disconnected"/, 2, 'integrations.csv') },
  { shape: 'csv', name: 'a duration that is not one', files: calls('#c,#u,web,2024-01-01T00:00:00Z,ten minutes'), expect: badRow('duration', '"ten minutes"', /is not a duration/, 3, 'calls.csv') },
  { shape: 'csv', name: 'negative SMS segments', files: { 'sms.csv': lines(S, '#s,#u,web,2024-01-01T00:00:00Z,-1') }, expect: badRow('segments', '"-1"', /must be a whole number >= 0/, 2, 'sms.csv') },
  { shape: 'csv', name: 'an offset +14:30 in a usage file', files: { 'sms.csv': lines(S, '#s,#u,web,2024-01-01T00:00:00+14:30,1') }, expect: badRow('sent_at', '+14:30', /outside the real range/, 2, 'sms.csv') },

  // NDJSON events.
  { shape: 'ndjson', name: 'a line that is not JSON', events: lines('{"transactionId": '), expect: badEvent('(line)', /is not valid JSON/) },
  { shape: 'ndjson', name: 'a JSON array instead of an object', events: lines('[1,2]'), expect: badEvent('(line)', /must be one JSON object per line/) },
  { shape: 'ndjson', name: 'a NUL in transactionId', events: lines(event({ transactionId: '#a\u0000' })), expect: badEvent('transactionId', /control character U\+0000/, 1, '\\u0000') },
  { shape: 'ndjson', name: 'a LF in customerId', events: lines(event({ customerId: '#c\n' })), expect: badEvent('customerId', /control character U\+000A/, 1, '\\n') },
  { shape: 'ndjson', name: 'a currency that is not ISO 4217', events: lines(event({ currency: 'ZZZ' })), expect: badEvent('currency', /is not an ISO 4217 currency code/, 1, 'ZZZ') },
  { shape: 'ndjson', name: 'an offset +99:99', events: lines(event({ timestamp: '2024-03-01T10:00:00+99:99' })), expect: badEvent('timestamp', /minutes are not below 60/, 1, '+99:99') },
  { shape: 'ndjson', name: 'an impossible date', events: lines(event({ timestamp: '2024-04-31T10:00:00Z' })), expect: badEvent('timestamp', /is not a real date and time/, 1, '2024-04-31') },
  { shape: 'ndjson', name: 'a timestamp without offset', events: lines(event({ timestamp: '2024-04-01T10:00:00' })), expect: badEvent('timestamp', /has no UTC offset/) },
  { shape: 'ndjson', name: 'a negative grossAmount', events: lines(event({ grossAmount: -5 })), expect: badEvent('grossAmount', /is not a positive decimal number/) },
  { shape: 'ndjson', name: 'a grossAmount beyond float precision', events: lines(event({ grossAmount: 1e21 })), expect: badEvent('grossAmount', /more than 15 significant digits/) },
  { shape: 'ndjson', name: 'a misspelt key refund_of', events: lines(event({ source: 'refund', refund_of: '#x' })), expect: badEvent('refund_of', /is not a field of an event/) },
  { shape: 'ndjson', name: 'refundOf on a payment', events: lines(event({ refundOf: '#x' })), expect: badEvent('refundOf', /is only allowed on refunds/) },
  { shape: 'ndjson', name: 'a touchpoint weight above 1', events: lines(event({ touchpoints: [{ productId: 'crm', interactionType: 'view', timestamp: '2024-01-01T00:00:00Z', weight: 2 }] })), expect: badEvent('touchpoints[0].weight', /must be at most 1/) },
  { shape: 'ndjson', name: 'a productId over 200 characters', events: lines(event({ products: [{ productId: 'p'.repeat(300), quantity: 1, unitPrice: 1 }] })), expect: badEvent('products[0].productId', /may have at most 200/, 1, '(300 characters)') },
  { shape: 'ndjson', name: 'more than 1000 products', events: lines(event({ products: Array.from({ length: 1001 }, (_, i) => ({ productId: `p${i}`, quantity: 1, unitPrice: 1 })) })), expect: badEvent('products', /may have at most 1000 products/) },
  { shape: 'ndjson', name: 'a missing customerId', events: lines(event({ customerId: undefined })), expect: badEvent('customerId', /is required/) },
  { shape: 'ndjson', name: 'a Latin-1 byte in an events file', events: bytes('{"transactionId":"#e1","customerId":"caf', [0xe9], '"}\n'),
    expect: { file: 'events.ndjson', line: 1, column: '44', value: '0xE9', reason: /is not valid UTF-8/, todo: /re-export it as UTF-8/ } },
  { shape: 'ndjson', name: 'a 2 MiB line', events: lines(event({ products: [{ productId: 'crm', quantity: 1, unitPrice: 1, metadata: { note: 'n'.repeat(2 * 1024 * 1024) } }] })),
    expect: { file: 'events.ndjson', line: 1, reason: /longer than 1048576 bytes/, todo: /is it the right file/ } },
  { shape: 'ndjson', name: 'metadata nested 100,000 deep', events: lines(event({ products: [{ productId: 'crm', quantity: 1, unitPrice: 1, metadata: { deep: 0 } }] }).replace('{"deep":0}', `{"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`)),
    expect: { file: 'events.ndjson', line: 1, column: 'products[0].metadata', reason: /nested more than 32 levels deep/, todo: /Correct the events below/ } },
  { shape: 'ndjson', name: 'a refund of 500 against a payment of 100 in the same file',
    events: lines(event({ transactionId: '#p', grossAmount: '100' }), event({ transactionId: '#r', source: 'refund', grossAmount: '500', refundOf: '#p' })),
    expect: badEvent('grossAmount', /refund #r is more than what is left of payment #p \(paid 100\.0000, refunded before 0\.0000, left 100\.0000\)/, 2, '500.0000') },
  { shape: 'ndjson', name: 'a refund beyond what an earlier events file left', before: lines(event({ transactionId: '#p', grossAmount: '100' }), event({ transactionId: '#r1', source: 'refund', grossAmount: '80', refundOf: '#p' })),
    events: lines(event({ transactionId: '#r2', source: 'refund', grossAmount: '20.5', refundOf: '#p' })),
    expect: badEvent('grossAmount', /refund #r2 is more than what is left of payment #p \(paid 100\.0000, refunded before 80\.0000, left 20\.0000\)/, 1, '20.5000') },
  { shape: 'ndjson', name: 'an events file in a directory that is a link to /dev/zero', events: { 'a.ndjson': { symlink: '/dev/zero' } },
    expect: refused('a.ndjson', /leads outside the directory/, /copy the file into the directory/) },
  { shape: 'ndjson', name: 'an events file that is a FIFO', events: { 'b.ndjson': { fifo: true } },
    expect: refused('b.ndjson', /is a FIFO \(named pipe\), not a regular file/, /Nothing of it was read/) },

  // The HTTP batch schema (the same validation as the NDJSON loader, line by line).
  { shape: 'http', name: 'HTTP: a NUL in transactionId', line: event({ transactionId: 'a\u0000' }), expect: { column: 'transactionId', reason: /control character U\+0000/ } },
  { shape: 'http', name: 'HTTP: an array nested 200,000 deep', line: '['.repeat(200_000) + ']'.repeat(200_000), expect: { column: '(line)', reason: /is not valid JSON|must be one JSON object/ } },
  { shape: 'http', name: 'HTTP: an unpaired surrogate escape in an id', line: event({ customerId: '#c' }).replace('"#c"', '"c\\ud800"'), expect: { column: '(line)', reason: /unpaired UTF-16 surrogate/ } },
  { shape: 'http', name: 'HTTP: an unpaired low surrogate in metadata', line: event({ products: [{ productId: 'crm', quantity: 1, unitPrice: 1, metadata: { note: 'x' } }] }).replace('"x"', '"\\udc00x"'), expect: { column: '(line)', reason: /unpaired UTF-16 surrogate/ } },
  { shape: 'http', name: 'HTTP: a currency that is not ISO 4217', line: event({ currency: 'ABC' }), expect: { column: 'currency', reason: /is not an ISO 4217 currency code/ } },
  { shape: 'http', name: 'HTTP: an offset -14:01', line: event({ timestamp: '2024-01-01T00:00:00-14:01' }), expect: { column: 'timestamp', reason: /outside the real range/ } },
  { shape: 'http', name: 'HTTP: a 1001-touchpoint event', line: event({ touchpoints: Array.from({ length: 1001 }, () => ({ productId: 'crm', interactionType: 'view', timestamp: '2024-01-01T00:00:00Z' })) }), expect: { column: 'touchpoints', reason: /at most 1000 touchpoints/ } },

  // Rulesets.
  { shape: 'ruleset', name: 'a nine-level alias bomb', files: { 'ruleset.yaml': `version: r1\nx:\n${bomb().split('\n').map((l) => `  ${l}`).join('\n')}` },
    expect: { file: 'ruleset.yaml', reason: /aliases \(\*name\) expand to too much/, todo: /use fewer aliases/, withinMs: 2000 } },
  { shape: 'ruleset', name: 'CEL: nested comprehensions over list literals', files: { 'ruleset.yaml': ruleset(nested(4)) },
    expect: { file: 'ruleset.yaml', reason: /may take up to \d+ steps per transaction, more than the budget of 1000000/, todo: /simplify it/, withinMs: 2000 } },
  { shape: 'ruleset', name: 'CEL: a condition that does not compile', files: { 'ruleset.yaml': ruleset('event.grossAmount >') },
    expect: { file: 'ruleset.yaml', reason: /condition/, todo: /./ } },
  { shape: 'ruleset', name: 'bundles_file with ..', files: { 'ruleset.yaml': 'version: r1\nbundles_file: ../../etc/passwd\n' },
    expect: { file: 'ruleset.yaml', reason: /bundles_file "\.\.\/\.\.\/etc\/passwd" climbs out of the directory/, todo: /name a file inside the directory/, never: PASSWD } },
  { shape: 'ruleset', name: 'bundles_file absolute', files: { 'ruleset.yaml': 'version: r1\nbundles_file: /etc/passwd\n' },
    expect: { file: 'ruleset.yaml', reason: /bundles_file "\/etc\/passwd" is an absolute path/, todo: /name a file inside the directory/, never: PASSWD } },
  { shape: 'ruleset', name: 'bundles_file a link out of the directory', files: { 'ruleset.yaml': 'version: r1\nbundles_file: bundles.yaml\n', 'bundles.yaml': { symlink: '/etc/passwd' } },
    expect: { file: 'ruleset.yaml', reason: /bundles_file "bundles\.yaml" is a symbolic link that leads outside/, todo: /copy the file into the directory/, never: PASSWD } },
  { shape: 'ruleset', name: 'bundles_file a FIFO', files: { 'ruleset.yaml': 'version: r1\nbundles_file: bundles.yaml\n', 'bundles.yaml': { fifo: true } },
    expect: { file: 'ruleset.yaml', reason: /bundles_file "bundles\.yaml" is a FIFO/, todo: /Nothing of it was read/, withinMs: 2000 } },
  { shape: 'ruleset', name: 'the ruleset itself a FIFO', files: { 'ruleset.yaml': { fifo: true } },
    expect: { file: 'ruleset.yaml', reason: /is a FIFO \(named pipe\), not a regular file/, todo: /Nothing of it was read/, withinMs: 2000 } },
  { shape: 'ruleset', name: 'a ruleset that is not UTF-8', files: { 'ruleset.yaml': bytes('version: caf', [0xe9], '\n') },
    expect: { file: 'ruleset.yaml', reason: /is not valid UTF-8/, todo: /save it as UTF-8/ } },
];

/** Writes a case's files into `dir`, replacing `#` by the case's id prefix. */
export function writeFiles(dir: string, files: Record<string, CaseFile>, prefix: string): void {
  for (const [name, content] of Object.entries(files)) {
    const target = `${dir}/${name}`;
    if (typeof content === 'string') fs.writeFileSync(target, content.replaceAll('#', prefix));
    else if (Buffer.isBuffer(content)) fs.writeFileSync(target, Buffer.from(content.toString('latin1').replaceAll('#', prefix), 'latin1'));
    else if ('symlink' in content) fs.symlinkSync(content.symlink, target);
    else if ('fifo' in content) mkfifo(target);
    else fs.mkdirSync(target);
  }
}

function mkfifo(target: string): void {
  // Node has no mkfifo; the coreutils tool is on every machine that runs these tests.
  execFileSync('mkfifo', [target]);
}
