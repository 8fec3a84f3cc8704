import * as fc from 'fast-check';

/** SQL meant to break out of a literal or an identifier. */
export const SQL_INJECTION = [
  "' OR '1'='1",
  "'; DROP TABLE messages; --",
  '" OR ""="',
  '1; SELECT pg_sleep(5) --',
  "') UNION SELECT email, NULL FROM users --",
  '$$; DELETE FROM audit_events; $$',
  "E'\\x27'",
];

/** Markup meant to run in a browser that shows the text. */
export const HTML_INJECTION = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(1)>',
  'javascript:alert(1)',
  '<!--',
  '{{7*7}}${7*7}<%= 7*7 %>',
];

/** Header and log splitting: a new line that forges a header or a JSON log line. */
export const SPLITTING = [
  'x\r\nSet-Cookie: session=forged',
  'x\r\n\r\n<html>',
  'ok\n{"level":"ERROR","message":"forged","requestId":"someone-else"}',
  '\u2028\u2029',
  '%0d%0aLocation:%20https://evil.example',
];

/** Paths that climb out of where they are used. */
export const TRAVERSAL = [
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e/%2e%2e/',
  '....//',
  '/',
  '\\..\\',
];

/** Keys that mean something to a JavaScript object. */
export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];

/** Unicode that trips parsers and databases. */
export const UNICODE_EDGES = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  'a\ud83d',
  '\u202eevil\u202c',
  '\u200f\u200e\u2066\u2069',
  '\ufeff',
  'e\u0301\u0301\u0301',
  '👩‍👩‍👧‍👦',
  '\uffff\ufffe',
];

/** Dates no calendar has, and instants outside what PostgreSQL or JavaScript hold. */
export const IMPOSSIBLE_DATES = [
  '2026-02-30T00:00:00Z',
  '2025-02-29T12:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-04-31T24:00:00Z',
  '2026-01-01T23:59:60Z',
  '0000-00-00T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.001Z',
  '9999-99-99',
  '1970-01-01T00:00:00+25:00',
  'NaN',
  '',
];

export const NUMBERS_AS_TEXT = [
  '-1',
  '0',
  '1e309',
  'NaN',
  'Infinity',
  '-0',
  '9007199254740993',
  '0x10',
  '1.5',
];

/** Every payload above: what the verbatim tests store and read back. */
export const INJECTION_PAYLOADS = [
  ...SQL_INJECTION,
  ...HTML_INJECTION,
  ...SPLITTING,
  ...TRAVERSAL,
  ...PROTOTYPE_KEYS,
  ...UNICODE_EDGES,
];

/** A JSON text nested `depth` levels deep (objects and arrays in turn). */
export function deepJson(depth: number): string {
  return '{"a":['.repeat(depth) + '1' + ']}'.repeat(depth);
}

/** A cursor as the API encodes one (base64url JSON), around a value it should refuse. */
export const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Any string a client might send, weighted toward the hostile ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTION_PAYLOADS, ...IMPOSSIBLE_DATES, ...NUMBERS_AS_TEXT) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'x'.repeat(5_000),
      'é'.repeat(20_000),
      '\u0000'.repeat(1_000),
      '😀'.repeat(40_000),
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...INJECTION_PAYLOADS), fc.string({ maxLength: 10 }))
      .map(([a, b]) => a + b),
  },
);

/** A cursor: random text, or well-formed base64url JSON that holds impossible dates and ids. */
export const hostileCursor: fc.Arbitrary<string> = fc.oneof(
  hostileString,
  fc
    .record({ at: fc.constantFrom(...IMPOSSIBLE_DATES), id: fc.oneof(fc.uuid(), hostileString) })
    .map(cursorOf),
  fc.jsonValue({ maxDepth: 3 }).map(cursorOf),
  fc.constantFrom(
    cursorOf({ at: '2026-02-30T00:00:00Z', id: '00000000-0000-4000-8000-000000000000' }),
    cursorOf({ __proto__: { at: '2026-01-01T00:00:00Z' } }),
    cursorOf(JSON.parse('{"__proto__":{"at":"2026-01-01T00:00:00Z","id":"x"}}')),
    cursorOf({ at: Number.MAX_VALUE, id: null }),
  ),
);

/** A JSON value of the wrong type for anything, or deep, or huge. */
export const wrongJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, 0, -1, 1e308, [], {}, [[[[]]]], { length: 1e9 }),
  hostileString,
);
