import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAmount, parseCurrency, parseDuration, parsePlatform, parseSegments, parseTimestamp } from '../../ingest/fields';

const value = (r: { ok: boolean; value?: string; reason?: string }) => (r.ok ? r.value : `ERR: ${r.reason}`);

describe('field parsers', () => {
  it('amounts: positive, at most 4 decimals, normalised to 4 decimals as text', () => {
    assert.equal(value(parseAmount('12.5')), '12.5000');
    assert.equal(value(parseAmount(' 100 ')), '100.0000');
    assert.equal(value(parseAmount('0.0001')), '0.0001');
    assert.equal(value(parseAmount('007.10')), '7.1000');
    assert.equal(value(parseAmount('12.34567')), 'ERR: has 5 decimal places; at most 4 are allowed');
    assert.equal(value(parseAmount('0')), 'ERR: must be greater than 0');
    assert.equal(value(parseAmount('-5')), 'ERR: is not a positive decimal number like 12.5 or 12.5000');
    assert.equal(value(parseAmount('1e3')), 'ERR: is not a positive decimal number like 12.5 or 12.5000');
    assert.equal(value(parseAmount('')), 'ERR: is not a positive decimal number like 12.5 or 12.5000');
  });

  it('durations in the three documented shapes', () => {
    assert.equal(value(parseDuration('431.0 seconds')), '431.0');
    assert.equal(value(parseDuration('431 s')), '431');
    assert.equal(value(parseDuration('431')), '431');
    assert.equal(value(parseDuration('12.25 SECONDS')), '12.25');
    assert.equal(value(parseDuration('ten seconds')), 'ERR: is not a duration like "431.0 seconds", "431 s" or "431"');
    assert.equal(value(parseDuration('-4 s')), 'ERR: is not a duration like "431.0 seconds", "431 s" or "431"');
  });

  it('timestamps: offsets become UTC; no offset needs a time zone', () => {
    assert.equal(value(parseTimestamp('2024-07-01T04:45:00+05:45', undefined)), '2024-06-30T23:00:00Z');
    assert.equal(value(parseTimestamp('2024-03-10T01:30:00-05:00', undefined)), '2024-03-10T06:30:00Z');
    assert.equal(value(parseTimestamp('2024-01-05 10:00:00Z', undefined)), '2024-01-05T10:00:00Z');
    assert.equal(value(parseTimestamp('2024-01-05T10:00:00.123456+0100', undefined)), '2024-01-05T09:00:00.123456Z');
    assert.equal(value(parseTimestamp('2024-01-05T10:00:00', 'Asia/Kathmandu')), '2024-01-05T04:15:00Z');
    assert.equal(value(parseTimestamp('2024-07-05T10:00:00', 'Europe/Berlin')), '2024-07-05T08:00:00Z');
    assert.match(value(parseTimestamp('2024-01-05T10:00:00', undefined))!, /^ERR: has no UTC offset/);
    assert.match(value(parseTimestamp('2024-02-30T10:00:00Z', undefined))!, /^ERR: is not a real date/);
    assert.equal(value(parseTimestamp('2024-02-29T23:59:59Z', undefined)), '2024-02-29T23:59:59Z');
    assert.match(value(parseTimestamp('2023-02-29T10:00:00Z', undefined))!, /^ERR: is not a real date/);
    assert.match(value(parseTimestamp('2024-01-05T24:00:00Z', undefined))!, /^ERR: is not a real date/);
    assert.match(value(parseTimestamp('2024-03-31T02:30:00', 'Europe/Berlin'))!, /skipped by a daylight-saving change/);
    assert.match(value(parseTimestamp('yesterday', undefined))!, /^ERR: is not an ISO 8601 timestamp/);
  });

  it('platforms are trimmed, lower-cased and aliased; currencies upper-cased with a default', () => {
    const aliases = new Map([['hs', 'hubspot']]);
    assert.equal(value(parsePlatform('  HubSpot ', aliases)), 'hubspot');
    assert.equal(value(parsePlatform('HS', aliases)), 'hubspot');
    assert.equal(value(parsePlatform('  ', aliases)), 'ERR: is empty');
    assert.equal(value(parseCurrency('usd', undefined)), 'USD');
    assert.equal(value(parseCurrency('', 'EUR')), 'EUR');
    assert.match(value(parseCurrency('dollars', undefined))!, /^ERR: is not a 3-letter/);
    assert.equal(value(parseSegments('3')), '3');
    assert.equal(value(parseSegments('2.5')), 'ERR: must be a whole number >= 0');
  });
});
