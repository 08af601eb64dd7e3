// Field parsers for the CSV inputs (docs/decisions.md, "Input"). Each turns the raw cell into the canonical text
// that goes to Postgres, or says precisely what is wrong with it. Pure: no I/O.
import { DateTime } from 'luxon';
import { ISO_4217_CODES } from './iso4217';

export type FieldResult = { ok: true; value: string } | { ok: false; reason: string };

const ok = (value: string): FieldResult => ({ ok: true, value });
const bad = (reason: string): FieldResult => ({ ok: false, reason });

/** Ids and other free text are at most this many characters (docs/decisions.md, "Input"). */
export const MAX_TEXT_CHARS = 200;

/** C0 controls (TAB, LF, CR, NUL, ...), DEL and the C1 controls: never part of an id or a name. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks text that becomes an id or a name: no control character anywhere (checked before the
 * trim, so that a TAB or LF at the edge is refused rather than cut off silently), at most
 * MAX_TEXT_CHARS characters. Returns the trimmed text or the reason.
 */
function plainText(raw: string, what: string): FieldResult {
  const control = CONTROL.exec(raw);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return bad(`holds the control character U+${code} at character ${control.index + 1}; ${what} may not contain tabs, line breaks or other control characters`);
  }
  const value = raw.trim();
  if (value.length > MAX_TEXT_CHARS && [...value].length > MAX_TEXT_CHARS) {
    return bad(`is ${[...value].length} characters long; ${what} may have at most ${MAX_TEXT_CHARS}`);
  }
  return ok(value);
}

export function parseId(raw: string): FieldResult {
  const checked = plainText(raw, 'an id');
  if (!checked.ok) return checked;
  if (!checked.value) return bad('is empty; every row needs an id');
  return checked;
}

/** An id that may be empty (a refund's payment_id): the same rules when present. */
export function parseOptionalId(raw: string): FieldResult {
  return plainText(raw, 'an id');
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

/**
 * An ISO 4217 code (iso4217.ts), or one of the dataset's `extra_currencies`. Lower case is read as
 * upper case; anything else is refused, never guessed.
 */
export function parseCurrency(raw: string, fallback: string | undefined, extra: ReadonlySet<string> = NO_EXTRA): FieldResult {
  const value = raw.trim().toUpperCase();
  if (!value) return fallback ? ok(fallback) : bad('is empty; give a 3-letter ISO 4217 code or set default_currency in dataset.yaml');
  if (!/^[A-Z]{3}$/.test(value)) return bad('is not a 3-letter ISO 4217 currency code like USD');
  if (!ISO_4217_CODES.has(value) && !extra.has(value)) {
    return bad('is not an ISO 4217 currency code; correct it, or list it under extra_currencies in dataset.yaml if it is meant');
  }
  return ok(value);
}

const NO_EXTRA: ReadonlySet<string> = new Set();

/** Channel names are trimmed and lower-cased (docs/decisions.md), then mapped through the dataset's aliases. */
export function parsePlatform(raw: string, aliases: ReadonlyMap<string, string>): FieldResult {
  const checked = plainText(raw, 'a platform name');
  if (!checked.ok) return checked;
  const value = checked.value.toLowerCase();
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
  const ids: string[] = [];
  for (const [i, part] of raw.split(';').entries()) {
    const checked = plainText(part, 'an id');
    if (!checked.ok) return bad(`member ${i + 1}: ${checked.reason}`);
    if (checked.value) ids.push(checked.value);
  }
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
    const minutes = offsetMinutes(offset);
    if (typeof minutes === 'string') return bad(minutes);
    epochSeconds = local / 1000 - minutes * 60;
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

/** The offset in minutes, or why it is not a real UTC offset (real ones lie within ±14:00). */
function offsetMinutes(offset: string): number | string {
  if (/^(z|utc)$/i.test(offset)) return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  if (minutes >= 60) return `has the UTC offset ${offset}, whose minutes are not below 60; write a real offset like +05:45`;
  if (hours * 60 + minutes > 14 * 60) return `has the UTC offset ${offset}, outside the real range -14:00..+14:00; write a real offset`;
  return sign * (hours * 60 + minutes);
}

function sameCalendar(utcMillis: number, p: { year: number; month: number; day: number; hour: number; minute: number; second: number }): boolean {
  const d = new Date(utcMillis);
  return (
    d.getUTCFullYear() === p.year && d.getUTCMonth() === p.month - 1 && d.getUTCDate() === p.day &&
    d.getUTCHours() === p.hour && d.getUTCMinutes() === p.minute && d.getUTCSeconds() === p.second
  );
}
