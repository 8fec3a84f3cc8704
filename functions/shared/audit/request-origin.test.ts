import { describe, expect, it } from 'vitest';

import type { Sql } from '#shared/db/sql';
import { postgresAuditLog } from './postgres-audit-log';
import {
  cleanOriginPart,
  forgetRequestOrigin,
  rememberRequestOrigin,
  requestOriginOf,
} from './request-origin';

/** The address and user agent an audit insert writes, read by its column names. */
function originWritten(statement: Sql) {
  const columns = /\(([^)]*)\)/.exec(statement.text(() => '?'))?.[1]?.split(',') ?? [];
  const valueOf = (column: string) => statement.values[columns.findIndex((c) => c.trim() === column)];
  return { sourceIp: valueOf('source_ip'), userAgent: valueOf('user_agent') };
}

describe('request origins', () => {
  it('keeps an origin for its request until it is forgotten', () => {
    rememberRequestOrigin('req-a', { sourceIp: '192.0.2.1', userAgent: 'ua' });
    expect(requestOriginOf('req-a')).toEqual({ sourceIp: '192.0.2.1', userAgent: 'ua' });
    expect(requestOriginOf('req-b')).toBeUndefined();
    expect(requestOriginOf(undefined)).toBeUndefined();
    forgetRequestOrigin('req-a');
    expect(requestOriginOf('req-a')).toBeUndefined();
  });

  it('keeps at most 1000 requests, dropping the oldest', () => {
    for (let i = 0; i < 1001; i++) rememberRequestOrigin(`bulk-${i}`, { sourceIp: null, userAgent: null });
    expect(requestOriginOf('bulk-0')).toBeUndefined();
    expect(requestOriginOf('bulk-1000')).toBeDefined();
    for (let i = 0; i < 1001; i++) forgetRequestOrigin(`bulk-${i}`);
  });

  it('drops only the oldest past 1000: the 1000 newest keep their own origins', () => {
    // Prepare
    const originOf = (i: number) => ({ sourceIp: `198.51.100.${i % 256}`, userAgent: `agent ${i}` });

    // Act
    for (let i = 0; i < 1001; i++) rememberRequestOrigin(`many-${i}`, originOf(i));

    // Assess
    const kept = Array.from({ length: 1000 }, (_, i) => requestOriginOf(`many-${i + 1}`));
    expect(kept).toEqual(Array.from({ length: 1000 }, (_, i) => originOf(i + 1)));
    expect(requestOriginOf('many-0')).toBeUndefined();
    for (let i = 0; i < 1001; i++) forgetRequestOrigin(`many-${i}`);
  });

  it('records an audit event of a dropped request with no address or user agent', async () => {
    // Prepare: the request's origin was dropped for 1000 newer ones
    rememberRequestOrigin('dropped', { sourceIp: '192.0.2.7', userAgent: 'ua' });
    for (let i = 0; i < 1000; i++)
      rememberRequestOrigin(`newer-${i}`, { sourceIp: '192.0.2.8', userAgent: 'x' });
    const statements: Sql[] = [];
    const audit = postgresAuditLog({
      query: async <Row extends object>(statement: Sql) => {
        statements.push(statement);
        return { rows: [] as Row[], rowCount: 1 };
      },
    });

    // Act
    await audit.record({ actorId: 'ada', action: 'user.update', requestId: 'dropped' });
    await audit.record({ actorId: 'ada', action: 'user.update', requestId: 'newer-999' });

    // Assess
    expect(statements.map(originWritten)).toEqual([
      { sourceIp: null, userAgent: null },
      { sourceIp: '192.0.2.8', userAgent: 'x' },
    ]);
    for (let i = 0; i < 1000; i++) forgetRequestOrigin(`newer-${i}`);
  });

  it.each([
    [undefined, null],
    [42, null],
    ['   ', null],
    ['a\u0000b\u001bc\u007f', 'abc'],
    ['x'.repeat(600), 'x'.repeat(512)],
    // Lone surrogates become U+FFFD (jsonb holds none); the cut at 512 never splits a pair.
    ['a\ud800b\udfffc', 'a\ufffdb\ufffdc'],
    ['\u{1F600} ok', '\u{1F600} ok'],
    [`${'x'.repeat(511)}\u{1F600}`, 'x'.repeat(511)],
  ])('stores %j as %j', (input, expected) => {
    expect(cleanOriginPart(input)).toBe(expected);
  });
});
