import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { auditRowsOf, testDatabase } from '#test/support/database';
import { postgresSignInActivityLog } from './sign-in-activity-log';

const db = testDatabase();
afterAll(async () => {
  await db.destroy();
});

const rowsOf = (actorId: string) => auditRowsOf(db, actorId);

describe('postgresSignInActivityLog', () => {
  it('appends an event once under its id: a second delivery is refused and changes nothing', async () => {
    // Prepare
    const actor = `actor-${randomUUID()}`;
    const id = randomUUID();
    const log = postgresSignInActivityLog(db);

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

    await postgresSignInActivityLog(db).recordOnce(id, {
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
});
