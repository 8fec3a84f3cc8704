import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { auditRowsOf, testDatabase, testSql } from '#test/support/database';
import { postgresSignInActivityLog } from './sign-in-activity-log';

/** Rows read back through kysely; the log on the query layer, as the function runs it. */
const db = testDatabase();
const sqlDb = testSql();
afterAll(async () => {
  await sqlDb.destroy();
  await db.destroy();
});

const rowsOf = (actorId: string) => auditRowsOf(db, actorId);

describe('postgresSignInActivityLog', () => {
  it('appends an event once under its id: a second delivery is refused and changes nothing', async () => {
    // Prepare
    const actor = `actor-${randomUUID()}`;
    const id = randomUUID();
    const log = postgresSignInActivityLog(sqlDb);

    // Act
    const first = await log.recordOnce(id, {
      actorId: actor,
      action: 'auth.sign-in',
      sourceIp: '203.0.113.7',
      userAgent: '\u0000\t',
      details: { via: 'password' },
    });
    const again = await log.recordOnce(id, { actorId: actor, action: 'auth.sign-in-failed' });

    // Assess
    expect([first, again]).toEqual([true, false]);
    expect(await rowsOf(actor)).toEqual([
      {
        id,
        actor_id: actor,
        action: 'auth.sign-in',
        target_type: null,
        target_id: null,
        request_id: null,
        source_ip: '203.0.113.7',
        user_agent: null,
        details: { via: 'password' },
      },
    ]);
  });

  it('stores the target, the request and empty details when the event has none', async () => {
    const actor = `actor-${randomUUID()}`;
    const id = randomUUID();

    await postgresSignInActivityLog(sqlDb).recordOnce(id, {
      actorId: actor,
      action: 'auth.locked',
      targetType: 'user',
      targetId: actor,
      requestId: 'cognito-req-1',
    });

    expect(await rowsOf(actor)).toEqual([
      expect.objectContaining({
        id,
        target_type: 'user',
        target_id: actor,
        request_id: 'cognito-req-1',
        details: {},
      }),
    ]);
  });

  it('stores hostile text as data', async () => {
    const actor = `'; drop table audit_events; -- ${randomUUID()}`;
    const id = randomUUID();
    const details = JSON.parse(
      `{"__proto__": {"polluted": true}, "city": "%_\\\\ $1 :0", "username": "x'); drop table users; --"}`,
    ) as Record<string, unknown>;

    expect(
      await postgresSignInActivityLog(sqlDb).recordOnce(id, {
        actorId: actor,
        action: 'auth.sign-in-activity',
        targetId: '__proto__',
        userAgent: "Robert'); drop table audit_events;--",
        details,
      }),
    ).toBe(true);

    const [row] = await rowsOf(actor);
    expect(row).toMatchObject({
      id,
      actor_id: actor,
      target_id: '__proto__',
      user_agent: "Robert'); drop table audit_events;--",
    });
    // jsonb orders the keys its own way; `__proto__` stays an own key, not a prototype.
    expect(Object.keys(row?.details ?? {}).sort()).toEqual(['__proto__', 'city', 'username']);
    expect(Object.getOwnPropertyDescriptor(row?.details, '__proto__')?.value).toEqual({ polluted: true });
    expect(row?.details).toMatchObject({ city: '%_\\ $1 :0', username: "x'); drop table users; --" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an id that is not a uuid, and a NUL byte in the action', async () => {
    const actor = `actor-${randomUUID()}`;
    const log = postgresSignInActivityLog(sqlDb);

    await expect(
      log.recordOnce("'; drop table audit_events; --", { actorId: actor, action: 'x' }),
    ).rejects.toThrow(/uuid/);
    await expect(log.recordOnce(randomUUID(), { actorId: actor, action: 'auth.\u0000' })).rejects.toThrow(
      /0x00/,
    );
    expect(await rowsOf(actor)).toEqual([]);
  });
});
