import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { auditRowsOf, testDatabase, testSql } from '#test/support/database';
import { forgetRequestOrigin, rememberRequestOrigin } from './request-origin';
import { postgresAuditLog } from './postgres-audit-log';

const db = testDatabase();
const queries = testSql();
afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

const rowsOf = (actorId: string) => auditRowsOf(db, actorId);

describe('postgresAuditLog', () => {
  const requestId = `req-${randomUUID()}`;
  afterEach(() => {
    forgetRequestOrigin(requestId);
  });

  it('stores an event without target or request with nulls there and empty details', async () => {
    const actor = `actor-${randomUUID()}`;

    await postgresAuditLog(queries).record({ actorId: actor, action: 'auth.sign-in' });

    expect(await rowsOf(actor)).toEqual([
      {
        id: expect.any(String),
        actor_id: actor,
        action: 'auth.sign-in',
        target_type: null,
        target_id: null,
        request_id: null,
        source_ip: null,
        user_agent: null,
        details: {},
      },
    ]);
  });

  it('stores the address and user agent the API noted for the request, without control characters', async () => {
    // Prepare
    const actor = `actor-${randomUUID()}`;
    rememberRequestOrigin(requestId, {
      sourceIp: '203.0.113.7',
      userAgent: 'Parley\u0000/1.0\r\nX-Injected: 1',
    });

    // Act
    await postgresAuditLog(queries).record({
      actorId: actor,
      action: 'conversation.delete',
      targetType: 'conversation',
      targetId: 'c-1',
      requestId,
      details: { title: 'Plans' },
    });

    // Assess
    expect(await rowsOf(actor)).toEqual([
      expect.objectContaining({
        target_type: 'conversation',
        target_id: 'c-1',
        request_id: requestId,
        source_ip: '203.0.113.7',
        user_agent: 'Parley/1.0X-Injected: 1',
        details: { title: 'Plans' },
      }),
    ]);
  });

  it("prefers the event's own address and user agent over the request's, a null included", async () => {
    const actor = `actor-${randomUUID()}`;
    rememberRequestOrigin(requestId, { sourceIp: '203.0.113.7', userAgent: 'Browser' });

    await postgresAuditLog(queries).record({
      actorId: actor,
      action: 'auth.sign-in',
      requestId,
      sourceIp: '198.51.100.9',
      userAgent: null,
    });

    expect(await rowsOf(actor)).toEqual([
      expect.objectContaining({ source_ip: '198.51.100.9', user_agent: null }),
    ]);
  });

  it('stores a `__proto__` key in the details as plain data, polluting nothing', async () => {
    // Prepare: as JSON.parse builds it from a hostile request body.
    const actor = `actor-${randomUUID()}`;
    const details = JSON.parse('{"__proto__":{"polluted":true},"name":"x"}') as Record<string, unknown>;

    // Act
    await postgresAuditLog(queries).record({ actorId: actor, action: 'user.invite', details });

    // Assess
    const [row] = await rowsOf(actor);
    expect(Object.keys(row?.details ?? {})).toEqual(['name', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(row?.details, '__proto__')?.value).toEqual({ polluted: true });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
