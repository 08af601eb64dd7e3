import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { canonicalJson, modelVersion, parseRuleset, RulesetError, type Ruleset } from '../../domain/ruleset';
import { describe, test } from './helpers';

const DEFAULT_YAML = readFileSync(new URL('../../rulesets/default.yaml', import.meta.url), 'utf8');

const POSITION_DEFAULTS = { single: '1', two_first: '0.6', two_last: '0.4', first: '0.4', last: '0.4', middle: '0.2' };

/** The problems of a ruleset that must fail, one per line, without the "ruleset <name>: " prefix. */
function problemsOf(yamlText: string): string[] {
  try {
    parseRuleset(yamlText, 'test.yaml');
  } catch (e) {
    assert.ok(e instanceof RulesetError, `expected a RulesetError, got ${String(e)}`);
    for (const line of e.message.split('\n')) assert.match(line, /^ruleset test\.yaml: /);
    return [...e.problems];
  }
  assert.fail('the ruleset was accepted');
}

describe('parseRuleset: defaults', () => {
  test('a ruleset with only a version gets every default', () => {
    const expected: Ruleset = {
      version: 'v1',
      sms_seconds_per_segment: '5',
      always_available: ['mobile', 'web'],
      stop_at_first_refund: true,
      books: { first_touch: {}, usage_share: {}, position_based: POSITION_DEFAULTS },
      default_books: ['first_touch', 'usage_share', 'position_based'],
      report: { chosen: 'position_based' },
    };
    assert.deepEqual(parseRuleset('version: v1\n', 'test.yaml'), expected);
  });

  test('rulesets/default.yaml is the KrispCall default with all five books', () => {
    const r = parseRuleset(DEFAULT_YAML, 'default.yaml');
    assert.equal(
      canonicalJson(r),
      '{"always_available":["mobile","web"],"books":{"first_touch":{},"last_touch":{},"linear":{},"position_based":{"first":"0.4","last":"0.4","middle":"0.2","single":"1","two_first":"0.6","two_last":"0.4"},"usage_share":{}},"default_books":["first_touch","usage_share","position_based"],"report":{"chosen":"position_based"},"sms_seconds_per_segment":"5","stop_at_first_refund":true,"version":"krispcall-1"}',
    );
    // sha256 of the canonical JSON above, computed with sha256sum.
    assert.equal(modelVersion(r), 'krispcall-1#defc7cd9');
  });

  test('values are normalised: channels trimmed, lower-cased, distinct; numbers kept exact', () => {
    const r = parseRuleset(
      'version: 1.10\nsms_seconds_per_segment: 2.50\nalways_available: [" Web ", MOBILE, web, Desktop]\nbooks:\n  linear:\n  position_based: {two_first: 0.7, two_last: 0.3, first: 0.1, last: 0.7, middle: 0.2}\n',
      'test.yaml',
    );
    assert.equal(r.version, '1.10');
    assert.equal(r.sms_seconds_per_segment, '2.5');
    assert.deepEqual(r.always_available, ['desktop', 'mobile', 'web']);
    assert.deepEqual(r.books.linear, {});
    // 0.1 + 0.7 + 0.2 is 1 exactly; in floats it is 0.9999999999999999.
    assert.deepEqual(r.books.position_based, { ...POSITION_DEFAULTS, two_first: '0.7', two_last: '0.3', first: '0.1', last: '0.7' });
  });
});

describe('parseRuleset: every error names its key', () => {
  const cases: Array<[string, string, string[]]> = [
    ['missing version', 'books: {}\n', ['version: is required']],
    ['empty version', 'version: " "\n', ['version: must not be empty']],
    ['version with #', 'version: "a#b"\n', ['version: must not contain "#"']],
    ['unknown top-level key', 'version: v\nbook: {}\n', ['book: unknown key (known: always_available, books, bundles, default_books, report, sms_seconds_per_segment, stop_at_first_refund, version)']],
    ['negative seconds per segment', 'version: v\nsms_seconds_per_segment: -1\n', ['sms_seconds_per_segment: must be >= 0 (got -1)']],
    ['seconds per segment as text', 'version: v\nsms_seconds_per_segment: five\n', ['sms_seconds_per_segment: must be a number']],
    ['infinite seconds per segment', 'version: v\nsms_seconds_per_segment: .inf\n', ['sms_seconds_per_segment: must be a finite number']],
    ['always_available not a list', 'version: v\nalways_available: web\n', ['always_available: must be a list']],
    ['always_available with an empty name', 'version: v\nalways_available: [web, " "]\n', ['always_available[1]: must not be empty']],
    ['stop_at_first_refund not a boolean', 'version: v\nstop_at_first_refund: 1\n', ['stop_at_first_refund: must be true or false']],
    ['unknown book', 'version: v\nbooks:\n  bayesian: {}\n', ['books.bayesian: unknown book (known: first_touch, last_touch, linear, markov, position_based, pro_rata, rules, shapley, time_decay, usage_share, weighted)']],
    ['parameter of a book without parameters', 'version: v\nbooks:\n  linear: {decay: 2}\n', ['books.linear.decay: unknown key (known: lookback_days)']],
    ['unknown position parameter', 'version: v\nbooks:\n  position_based: {mid: 0.2}\n', ['books.position_based.mid: unknown key (known: first, last, lookback_days, middle, single, two_first, two_last)']],
    ['position weight above 1', 'version: v\nbooks:\n  position_based: {first: 1.5}\n', ['books.position_based.first: must be between 0 and 1 (got 1.5)']],
    ['negative position weight', 'version: v\nbooks:\n  position_based: {middle: -0.2}\n', ['books.position_based.middle: must be between 0 and 1 (got -0.2)']],
    ['position weight as text', 'version: v\nbooks:\n  position_based: {last: "0.4"}\n', ['books.position_based.last: must be a number']],
    ['single other than 1', 'version: v\nbooks:\n  position_based: {single: 0.5}\n', ['books.position_based.single: must be 1: one channel gets everything (got 0.5)']],
    ['two-channel weights not summing to 1', 'version: v\nbooks:\n  position_based: {two_first: 0.3}\n', ['books.position_based: two_first + two_last must be 1 for two channels (got 0.7)']],
    ['position weights not summing to 1', 'version: v\nbooks:\n  position_based: {first: 0.3}\n', ['books.position_based: first + last + middle must be 1 for more than two channels (got 0.9)']],
    ['books not a mapping', 'version: v\nbooks: [linear]\n', ['books: must be a mapping']],
    ['unknown default book', 'version: v\ndefault_books: [first_touch, bayesian, position_based]\n', ['default_books[1]: unknown book "bayesian" (known: first_touch, last_touch, linear, markov, position_based, pro_rata, rules, shapley, time_decay, usage_share, weighted)']],
    ['default book listed twice', 'version: v\ndefault_books: [linear, position_based, linear]\n', ['default_books[2]: linear is listed twice']],
    ['chosen book outside the default books', 'version: v\ndefault_books: [first_touch]\n', ['report.chosen: must be one of default_books (first_touch), got position_based']],
    ['unknown chosen book', 'version: v\nreport: {chosen: best}\n', ['report.chosen: unknown book "best" (known: first_touch, last_touch, linear, markov, position_based, pro_rata, rules, shapley, time_decay, usage_share, weighted)']],
    ['unknown report key', 'version: v\nreport: {chosen: position_based, title: x}\n', ['report.title: unknown key (known: chosen)']],
    ['empty file', '', ['document: is empty (a ruleset needs at least a version)']],
    ['a list instead of a mapping', '- version\n', ['document: must be a mapping']],
    ['duplicate key', 'version: a\nversion: b\n', ['invalid YAML: Map keys must be unique at line 2, column 1']],
  ];
  for (const [name, yamlText, expected] of cases) {
    test(name, () => assert.deepEqual(problemsOf(yamlText), expected));
  }

  test('every problem is reported at once, sorted by key path', () => {
    assert.deepEqual(problemsOf('sms_seconds_per_segment: -2\nbooks:\n  linear: {x: 1}\n  position_based: {first: 2}\nfoo: 1\n'), [
      'books.linear.x: unknown key (known: lookback_days)',
      'books.position_based.first: must be between 0 and 1 (got 2)',
      'foo: unknown key (known: always_available, books, bundles, default_books, report, sms_seconds_per_segment, stop_at_first_refund, version)',
      'sms_seconds_per_segment: must be >= 0 (got -2)',
      'version: is required',
    ]);
  });

  test('the message of the error carries the source name on every line', () => {
    assert.throws(
      () => parseRuleset('version: v\nbooks:\n  position_based:\n    first: 1.5\n', 'default.yaml'),
      { name: 'RulesetError', message: 'ruleset default.yaml: books.position_based.first: must be between 0 and 1 (got 1.5)' },
    );
  });
});

describe('modelVersion', () => {
  test('does not depend on the order of keys or the spelling of equal values', () => {
    const a = parseRuleset('version: v2\nsms_seconds_per_segment: 5\nbooks:\n  position_based: {first: 0.4, last: 0.4, middle: 0.2}\n', 'a.yaml');
    const b = parseRuleset('books:\n  position_based: {middle: 0.20, last: 0.4, first: 0.40}\nsms_seconds_per_segment: 5.0\nversion: v2\n', 'b.yaml');
    assert.equal(modelVersion(a), modelVersion(b));
    // Writing a default out does not change the effective ruleset either.
    assert.equal(modelVersion(parseRuleset('version: v2\n', 'c.yaml')), modelVersion(a));
  });

  test('changes when a parameter changes without a version bump', () => {
    const before = modelVersion(parseRuleset('version: v2\n', 'a.yaml'));
    const after = modelVersion(parseRuleset('version: v2\nsms_seconds_per_segment: 6\n', 'a.yaml'));
    const positions = modelVersion(parseRuleset('version: v2\nbooks:\n  position_based: {first: 0.5, middle: 0.1}\n', 'a.yaml'));
    assert.match(before, /^v2#[0-9a-f]{8}$/);
    assert.match(after, /^v2#[0-9a-f]{8}$/);
    assert.notEqual(after, before);
    assert.notEqual(positions, before);
    assert.notEqual(positions, after);
  });

  test('is "<version>#<first 8 hex of sha256 of the canonical JSON>"', () => {
    // sha256 of {"always_available":["mobile","web"],"books":{"first_touch":{},"position_based":{...defaults}},
    // "usage_share":{}},...,"version":"v1"} computed with sha256sum.
    assert.equal(modelVersion(parseRuleset('version: v1\n', 'a.yaml')), 'v1#7716d8ab');
  });
});

describe('canonicalJson', () => {
  test('sorts keys at every level and writes no whitespace', () => {
    assert.equal(canonicalJson({ b: [3, { z: 1, a: null }], a: 'x', c: true, d: undefined }), '{"a":"x","b":[3,{"a":null,"z":1}],"c":true}');
  });

  test('refuses values without a JSON form', () => {
    assert.throws(() => canonicalJson({ a: 1n }), /unsupported value of type bigint/);
    assert.throws(() => canonicalJson(Number.NaN), /no JSON form/);
    assert.throws(() => canonicalJson(new Date(0)), /unsupported/);
  });
});
