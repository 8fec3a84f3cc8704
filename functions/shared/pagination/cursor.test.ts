import { describe, expect, it } from 'vitest';
import * as z from 'zod';

import { cursorParam, decodeCursor, encodeCursor, limitParam, type Keyset } from './cursor';

const keyset: Keyset = { at: '2025-03-01T10:20:30.123456Z', id: '3f0c1a52-8f7e-4c1b-9a43-3d2b9d6f1e20' };

const reencode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('cursors', () => {
  it('decode to the keyset they were made from, microseconds included', () => {
    // Act
    const decoded = decodeCursor(encodeCursor(keyset));

    // Assess
    expect(decoded).toEqual(keyset);
  });

  it('are URL-safe (no +, / or = to escape in a query string)', () => {
    const cursor = encodeCursor({
      at: '2025-12-31T23:59:59.999999Z',
      id: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
    });

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['a leap day', '2024-02-29T00:00:00Z'],
    ['whole seconds', '2025-03-01T10:20:30Z'],
    ['milliseconds', '2025-03-01T10:20:30.123Z'],
  ])('accept timestamps with %s', (_case, at) => {
    expect(decodeCursor(encodeCursor({ ...keyset, at }))).toEqual({ ...keyset, at });
  });

  it.each([
    ['an empty string', ''],
    ['garbage', '!!!not-base64!!!'],
    ['base64 of something other than JSON', Buffer.from('hello world').toString('base64url')],
    ['JSON that is not an object', reencode(42)],
    ['JSON null', reencode(null)],
    ['a keyset without id', reencode({ at: keyset.at })],
    ['an id that is not a UUID', reencode({ ...keyset, id: "1' or '1'='1" })],
    ['a timestamp with an offset instead of Z', reencode({ ...keyset, at: '2025-03-01T10:20:30+01:00' })],
    ['a timestamp with nanoseconds', reencode({ ...keyset, at: '2025-03-01T10:20:30.123456789Z' })],
    ['a date without a time', reencode({ ...keyset, at: '2025-03-01' })],
    ['a numeric timestamp', reencode({ ...keyset, at: 1740824430 })],
    ['an impossible date (30 February)', reencode({ ...keyset, at: '2024-02-30T00:00:00Z' })],
    ['month 13', reencode({ ...keyset, at: '2024-13-01T00:00:00Z' })],
    ['year 0', reencode({ ...keyset, at: '0000-01-01T00:00:00Z' })],
    ['hour 24', reencode({ ...keyset, at: '2024-01-01T24:00:00Z' })],
    ['second 60', reencode({ ...keyset, at: '2024-01-01T23:59:60Z' })],
  ])('refuse %s', (_case, cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });

  it('refuse a cursor whose characters were altered', () => {
    // Prepare: change the id inside a genuine cursor to a value that is not a UUID.
    const genuine = encodeCursor(keyset);
    const tampered = reencode({
      ...JSON.parse(Buffer.from(genuine, 'base64url').toString()),
      id: 'x'.repeat(36),
    });
    const truncated = genuine.slice(0, -6);

    // Assess
    expect(decodeCursor(tampered)).toBeUndefined();
    expect(decodeCursor(truncated)).toBeUndefined();
  });

  it('drop fields a client added, keeping only the keyset', () => {
    expect(decodeCursor(reencode({ ...keyset, ownerId: 'someone-else' }))).toEqual(keyset);
  });
});

describe('cursorParam', () => {
  it('turns a cursor query parameter into its keyset', () => {
    expect(cursorParam.parse(encodeCursor(keyset))).toEqual(keyset);
  });

  it('refuses a cursor this API did not return, with a message for the client', () => {
    const result = cursorParam.safeParse('garbage');

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('is not a cursor this API returned');
  });

  it('refuses a cursor longer than 512 characters before decoding it', () => {
    const result = cursorParam.safeParse('A'.repeat(513));

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.code).toBe('too_big');
  });
});

describe('limitParam', () => {
  const limit = limitParam(20, 100);

  it('defaults when absent', () => {
    expect(limit.parse(undefined)).toBe(20);
  });

  it.each([
    ['1', 1],
    ['100', 100],
    ['42', 42],
    ['005', 5],
  ])('accepts %s from a query string', (raw, expected) => {
    expect(limit.parse(raw)).toBe(expected);
  });

  it.each(['0', '-1', '101', '2.5', 'ten', '', '1e3', '0x10', '1e1', '+5', ' 5', '5 ', '5.0', '__proto__'])(
    'refuses %j',
    (raw) => {
      expect(limit.safeParse(raw).success).toBe(false);
    },
  );

  it.each(['ten', '0', '101', '2.5', '-1', '0x10', '1e1', '+5', ' 5', '', '100000000000000000000'])(
    'states the allowed range, once, when it refuses %j',
    (raw) => {
      const result = z.object({ limit }).safeParse({ limit: raw });

      expect(result.error?.issues.map((i) => i.message)).toEqual([
        'must be a whole number between 1 and 100',
      ]);
    },
  );

  it('is described to clients as an integer with its range and default', () => {
    expect(z.toJSONSchema(z.object({ limit }), { io: 'input' }).properties?.limit).toEqual({
      type: 'integer',
      minimum: 1,
      maximum: 100,
      default: 20,
    });
  });
});
