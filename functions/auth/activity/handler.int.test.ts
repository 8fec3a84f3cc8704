import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { resetConfig } from '#shared/config';
import { first, sql } from '#shared/db/sql';
import { closeSql, getSql } from '#shared/db/sql-database';
import { testDatabase } from '#test/support/database';
import { APPLICATION_ROLE } from '../../migrations/application-role';
import { activityEvent, cognitoActivityRecord, subscriptionBatch, subscriptionEvent } from './fixtures';
import { handler, setSignInActivityLog } from './handler';
import { SIGN_IN_ACTIVITY_ACTION } from './sign-in-activity';

/**
 * The sign-in activity function on real PostgreSQL, connected as the application role the
 * functions use on AWS (which may only add to the audit log): CloudWatch Logs subscription
 * batches in, audit rows out.
 */
const db = testDatabase();

beforeAll(() => {
  // The function's own connection runs as parley_app, as its Data API secret does on AWS.
  const url = new URL(inject('databaseUrl'));
  url.searchParams.set('options', `-c role=${APPLICATION_ROLE}`);
  Object.assign(process.env, {
    STAGE: 'test',
    DB_DRIVER: 'pg',
    DATABASE_URL: url.toString(),
    COGNITO_USER_POOL_ID: 'local_Activity1',
    COGNITO_CLIENT_IDS: 'test-client',
    WEB_ORIGIN: 'http://localhost:5173',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  resetConfig();
});

afterAll(async () => {
  setSignInActivityLog(undefined);
  await closeSql();
  await db.destroy();
});

const rowsOf = (eventIds: string[]) =>
  db
    .selectFrom('audit_events')
    .select(['id', 'actor_id', 'action', 'target_type', 'target_id', 'source_ip', 'user_agent', 'details'])
    .where('action', '=', SIGN_IN_ACTIVITY_ACTION)
    .where((eb) => eb(eb.ref('details', '->>').key('eventId'), 'in', eventIds))
    .orderBy('occurred_at')
    .execute();

describe('sign-in activity → audit trail', () => {
  it('connects as the application role', async () => {
    const row = await first<{ user: string }>(getSql(), sql`select current_user as user`);
    expect(row).toEqual({ user: APPLICATION_ROLE });
  });

  it('records a success and a failure with the address and device Cognito saw', async () => {
    const sub = `sub-${randomUUID()}`;
    const ok = randomUUID();
    const failed = randomUUID();
    const summary = await handler(
      activityEvent(
        cognitoActivityRecord({
          eventId: failed,
          userSub: sub,
          eventResponse: 'Fail',
          ipAddress: '198.51.100.23',
        }),
        cognitoActivityRecord({ eventId: ok, userSub: sub, riskDecision: 'NoRisk', riskLevel: 'Low' }),
      ),
    );
    expect(summary).toEqual({ recorded: 2, duplicates: 0, ignored: 0, malformed: 0 });
    const rows = await rowsOf([ok, failed]);
    expect(rows.map((r) => r.details.eventResponse).sort()).toEqual(['Fail', 'Pass']);
    const success = rows.find((r) => r.details.eventId === ok);
    expect(success).toMatchObject({
      actor_id: sub,
      target_type: 'user',
      target_id: sub,
      source_ip: '192.0.2.10',
      user_agent: 'Chrome 142, Windows 10',
      details: {
        eventType: 'SignIn',
        riskDecision: 'NoRisk',
        riskLevel: 'Low',
        city: 'Dublin',
        country: 'Ireland',
      },
    });
    expect(rows.find((r) => r.details.eventId === failed)?.source_ip).toBe('198.51.100.23');
  });

  it('adds nothing when the same batch is delivered again, and only what is missing from an overlapping one', async () => {
    const sub = `sub-${randomUUID()}`;
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const batch = activityEvent(
      cognitoActivityRecord({ eventId: a, userSub: sub }),
      cognitoActivityRecord({ eventId: b, userSub: sub }),
    );
    expect(await handler(batch)).toMatchObject({ recorded: 2, duplicates: 0 });
    const first = await rowsOf([a, b]);

    expect(await handler(batch)).toMatchObject({ recorded: 0, duplicates: 2 });
    expect(
      await handler(
        activityEvent(
          cognitoActivityRecord({ eventId: b, userSub: sub }),
          cognitoActivityRecord({ eventId: c, userSub: sub }),
        ),
      ),
    ).toMatchObject({ recorded: 1, duplicates: 1 });

    const after = await rowsOf([a, b, c]);
    expect(after).toHaveLength(3);
    // The rows first written are untouched (the trail is append-only).
    expect(after.filter((r) => r.details.eventId !== c)).toEqual(first);
  });

  it('records an unknown account with a null actor and the name as typed', async () => {
    const eventId = randomUUID();
    const name = `Nobody-${randomUUID()}@Example.test`;
    await handler(
      activityEvent(cognitoActivityRecord({ eventId, userSub: null, userName: name, eventResponse: 'Fail' })),
    );
    expect(await rowsOf([eventId])).toEqual([
      expect.objectContaining({
        actor_id: null,
        target_id: null,
        source_ip: '192.0.2.10',
        details: expect.objectContaining({ username: name.toLowerCase(), eventResponse: 'Fail' }) as unknown,
      }),
    ]);
  });

  it('stores hostile values cleaned and skips what cannot be read, without throwing', async () => {
    const eventId = randomUUID();
    const summary = await handler(
      subscriptionEvent(
        subscriptionBatch([
          { message: 'not json' },
          { message: JSON.stringify(cognitoActivityRecord({ eventId: undefined })) },
          {
            message: JSON.stringify(
              cognitoActivityRecord({
                eventId,
                ipAddress: '203.0.113.5\u0000',
                deviceName: `UA\u0000${'x'.repeat(5_000)}`,
                city: "Robert'); drop table audit_events;--",
              }),
            ),
          },
        ]),
      ),
    );
    expect(summary).toEqual({ recorded: 1, duplicates: 0, ignored: 0, malformed: 2 });
    const [row] = await rowsOf([eventId]);
    expect(row?.source_ip).toBe('203.0.113.5');
    expect(row?.user_agent?.startsWith('UAxxx')).toBe(true);
    expect(row?.user_agent?.length).toBeLessThanOrEqual(256);
    expect(row?.details.city).toBe("Robert'); drop table audit_events;--");
    expect(await handler({ awslogs: { data: 'bm90IGd6aXA=' } })).toMatchObject({ malformed: 1 });
  });

  it('stores a lone surrogate as U+FFFD, and cuts between whole characters (jsonb holds no half)', async () => {
    const eventId = randomUUID();
    const summary = await handler(
      activityEvent(
        cognitoActivityRecord({
          eventId,
          deviceName: `${'y'.repeat(255)}\u{1F600}`,
          city: 'Lone \ud800 city',
        }),
      ),
    );
    expect(summary).toMatchObject({ recorded: 1, malformed: 0 });
    const [row] = await rowsOf([eventId]);
    expect(row?.user_agent).toBe('y'.repeat(255));
    expect(row?.details.city).toBe('Lone \ufffd city');
  });

  it('fails the invocation when the database refuses, so CloudWatch Logs retries the batch', async () => {
    setSignInActivityLog({ recordOnce: () => Promise.reject(new Error('connection refused')) });
    try {
      await expect(handler(activityEvent(cognitoActivityRecord({ eventId: randomUUID() })))).rejects.toThrow(
        'connection refused',
      );
    } finally {
      setSignInActivityLog(undefined);
    }
  });
});
