// Field parsers for the CSV inputs (SPEC §3.1). Each turns the raw cell into the canonical text
// that goes to Postgres, or says precisely what is wrong with it. Pure: no I/O.
import { DateTime } from 'luxon';

export type FieldResult = { ok: true; value: string } | { ok: false; reason: string };

const ok = (value: string): FieldResult => ({ ok: true, value });
const bad = (reason: string): FieldResult => ({ ok: false, reason });

export function parseId(raw: string): FieldResult {
  const value = raw.trim();
  if (!value) return bad('is empty; every row needs an id');
  if (value.length > 200) return bad('is longer than 200 characters');
  return ok(value);
}

/** A positive amount with at most 4 decimals, kept as text: money never becomes a float. */
export function parseAmount(raw: string): FieldResult {
  const value = raw.trim();
  const match = /^(\d{1,14})(?:\.(\d+))?$/.exec(value);
  if (!match) return bad('is not a positive decimal number like 12.5 or 12.5000');
  const decimals = match[2] ?? '';
  if (decimals.length > 4) return bad(`has ${decimals.length} decimal places; at most 4 are allowed`);
  const normalised = `${BigInt(match[1]!)}.${decimals.padEnd(4, '0')}`;
  if (/^0\.0000$/.test(normalised)) return bad('must be greater than 0');
  return ok(normalised);
}

export function parseCurrency(raw: string, fallback: string | undefined): FieldResult {
  const value = raw.trim().toUpperCase();
  if (!value) return fallback ? ok(fallback) : bad('is empty; give a 3-letter ISO 4217 code or set default_currency in dataset.yaml');
  if (!/^[A-Z]{3}$/.test(value)) return bad('is not a 3-letter ISO 4217 currency code like USD');
  return ok(value);
}

/** Channel names are trimmed and lower-cased (SPEC §2), then mapped through the dataset's aliases. */
export function parsePlatform(raw: string, aliases: ReadonlyMap<string, string>): FieldResult {
  const value = raw.trim().toLowerCase();
  if (!value) return bad('is empty');
  return ok(aliases.get(value) ?? value);
}

export function parseAction(raw: string): FieldResult {
  const value = raw.trim().toLowerCase();
  if (value !== 'connected' && value !== 'disconnected') return bad('must be "connected" or "disconnected"');
  return ok(value);
}

/** `431.0 seconds`, `431 s`, `431 sec`, or a bare `431`. */
export function parseDuration(raw: string): FieldResult {
  const match = /^(\d{1,9})(?:\.(\d{1,3}))?\s*(?:s|sec|secs|second|seconds)?$/i.exec(raw.trim());
  if (!match) return bad('is not a duration like "431.0 seconds", "431 s" or "431"');
  return ok(match[2] ? `${match[1]}.${match[2]}` : match[1]!);
}

export function parseSegments(raw: string): FieldResult {
  const value = raw.trim();
  if (!/^\d{1,6}$/.test(value)) return bad('must be a whole number >= 0');
  return ok(String(Number(value)));
}

export function parseMemberIds(raw: string): FieldResult {
  const ids = raw.split(';').map((s) => s.trim()).filter(Boolean);
  if (ids.some((id) => id.length > 200)) return bad('holds an id longer than 200 characters');
  return ok(ids.join(';'));
}

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * An ISO 8601 instant, returned as UTC text with its fraction kept (`2024-01-05T04:15:00.25Z`).
 * A timestamp without an offset is only accepted when the dataset names a time zone for it.
 */
export function parseTimestamp(raw: string, timeZone: string | undefined): FieldResult {
  // Fast path for the canonical form (`2024-01-05T10:00:00Z`): already UTC text, only the calendar needs checking.
  if (raw.length === 20 && CANONICAL_UTC.test(raw)) {
    return isRealUtc(raw) ? ok(raw) : bad('is not a real date and time');
  }
  const match = TIMESTAMP.exec(raw.trim());
  if (!match) return bad('is not an ISO 8601 timestamp like 2024-01-05T10:00:00Z');
  const [, y, mo, d, h, mi, s = '00', fraction, offset] = match;
  const parts = { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(s) };
  let epochSeconds: number;
  if (offset) {
    const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    if (!sameCalendar(local, parts)) return bad('is not a real date and time');
    epochSeconds = local / 1000 - offsetMinutes(offset) * 60;
  } else {
    if (!timeZone) {
      return bad('has no UTC offset; write it with one (e.g. 2024-01-05T10:00:00Z) or set `timezone:` in dataset.yaml');
    }
    const zoned = DateTime.fromObject(parts, { zone: timeZone });
    if (!zoned.isValid || zoned.hour !== parts.hour || zoned.day !== parts.day) {
      return bad(`is not a real local time in ${timeZone} (invalid date, or skipped by a daylight-saving change)`);
    }
    epochSeconds = zoned.toMillis() / 1000;
  }
  if (parts.year < 1970 || parts.year > 2200) return bad('is outside the years 1970..2200');
  const iso = new Date(epochSeconds * 1000).toISOString().slice(0, 19);
  return ok(fraction ? `${iso}.${fraction}Z` : `${iso}Z`);
}

const CANONICAL_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealUtc(s: string): boolean {
  const year = +s.slice(0, 4), month = +s.slice(5, 7), day = +s.slice(8, 10);
  const leap = month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 1 : 0;
  return (
    year >= 1970 && year <= 2200 && month >= 1 && month <= 12 && day >= 1 && day <= DAYS_IN_MONTH[month - 1]! + leap &&
    +s.slice(11, 13) < 24 && +s.slice(14, 16) < 60 && +s.slice(17, 19) < 60
  );
}

function offsetMinutes(offset: string): number {
  if (/^(z|utc)$/i.test(offset)) return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'));
}

function sameCalendar(utcMillis: number, p: { year: number; month: number; day: number; hour: number; minute: number; second: number }): boolean {
  const d = new Date(utcMillis);
  return (
    d.getUTCFullYear() === p.year && d.getUTCMonth() === p.month - 1 && d.getUTCDate() === p.day &&
    d.getUTCHours() === p.hour && d.getUTCMinutes() === p.minute && d.getUTCSeconds() === p.second
  );
}
