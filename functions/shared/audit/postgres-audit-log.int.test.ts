import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sql } from '#shared/db/sql';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { auditRowsOf, testDatabase, testSql } from '#test/support/database';
import { forgetRequestOrigin, rememberRequestOrigin } from './request-origin';
import { auditInsert, postgresAuditLog } from './postgres-audit-log';

const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();
const drivers = { pg: () => queries, 'data-api': () => onDataApi.db() } as const;
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

describe.each(Object.keys(drivers) as (keyof typeof drivers)[])('auditInsert with an id (%s)', (driver) => {
  const run = (statement: ReturnType<typeof auditInsert>) =>
    drivers[driver]().query<{ id: string }>(sql`${statement} returning id`);

  it('writes the row under the id, once with onConflictDoNothing: a second copy writes nothing', async () => {
    // Prepare
    const actor = `actor-${randomUUID()}`;
    const id = randomUUID();
    const once = { onConflictDoNothing: true };

    // Act
    const first = await run(auditInsert({ id, actorId: actor, action: 'auth.sign-in' }, undefined, once));
    const again = await run(
      auditInsert({ id, actorId: actor, action: 'auth.sign-in-failed', details: { x: 1 } }, undefined, once),
    );

    // Assess: the id is the caller's (cast for the Data API, which binds it as varchar)
    expect([first.rows, again.rows]).toEqual([[{ id }], []]);
    expect(await rowsOf(actor)).toEqual([
      expect.objectContaining({ id, action: 'auth.sign-in', details: {} }),
    ]);
  });

  it('refuses a second row under the id without the option, and an id that is not a uuid', async () => {
    const actor = `actor-${randomUUID()}`;
    const id = randomUUID();
    await run(auditInsert({ id, actorId: actor, action: 'auth.sign-in' }));

    await expect(run(auditInsert({ id, actorId: actor, action: 'auth.sign-in' }))).rejects.toThrow(
      /audit_events_pkey/,
    );
    await expect(
      run(
        auditInsert({ id: "'; drop table audit_events; --", actorId: actor, action: 'x' }, undefined, {
          onConflictDoNothing: true,
        }),
      ),
    ).rejects.toThrow(/uuid/);
    expect(await rowsOf(actor)).toHaveLength(1);
  });
});
