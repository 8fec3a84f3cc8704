import { randomUUID } from 'node:crypto';

import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';

import type { Sql, SqlDatabase } from '#shared/db/sql';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { auditRowsOf, testDatabase, testSql } from '#test/support/database';
import { postgresSignInActivityLog } from '../activity/sign-in-activity-log';
import { LOCKOUT_POLICY } from '../domain/lockout';
import { postgresAuthUsers } from './postgres-auth-users';
import { postgresSignInAttempts, postgresStaleSignInAttempts } from './postgres-sign-in-attempts';

/**
 * The lockout counters on both drivers: node-postgres (local, tests) and the RDS Data API (the
 * triggers on AWS), played by real PostgreSQL. The Data API runs the transaction and its row lock
 * through BeginTransaction / CommitTransaction, and binds each value by its own type.
 */
const db = testDatabase();
const pgSql = testSql();
const onDataApi = sqlOnDataApi();
const drivers = { pg: () => pgSql, 'data-api': () => onDataApi.db() } as const;

afterAll(async () => {
  await pgSql.destroy();
  await db.destroy();
});

const NOW = new Date('2026-03-10T12:00:00.123Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

function on(driver: keyof typeof drivers): SqlDatabase {
  return drivers[driver]();
}

const rowOf = (key: string) =>
  db
    .selectFrom('sign_in_attempts')
    .select(['failed_count', 'last_failed_at', 'locked_until'])
    .where('username', '=', key)
    .executeTakeFirst();

describe.each(['pg', 'data-api'] as const)('postgresSignInAttempts on %s', (driver) => {
  it('counts attempts, locks at the threshold, refuses while locked, and a reset starts again', async () => {
    const attempts = postgresSignInAttempts(on(driver));
    const key = `user-${randomUUID()}@example.test`;

    const decisions = [];
    for (let i = 0; i < LOCKOUT_POLICY.maxAttempts; i++)
      decisions.push(await attempts.register(key, later(i)));
    const lockedUntil = later(LOCKOUT_POLICY.maxAttempts - 1 + LOCKOUT_POLICY.lockMs);
    expect(decisions.map((d) => d.kind === 'allowed' && d.next.failedCount)).toEqual([1, 2, 3, 4, 5]);
    expect(decisions.at(-1)).toMatchObject({ kind: 'allowed', lockedNow: true });
    expect(await rowOf(key)).toEqual({
      failed_count: 5,
      last_failed_at: later(LOCKOUT_POLICY.maxAttempts - 1),
      locked_until: lockedUntil,
    });

    expect(await attempts.register(key, later(60_000))).toEqual({ kind: 'blocked', lockedUntil });
    expect((await rowOf(key))?.failed_count).toBe(5);

    await attempts.reset(key, later(61_000));
    expect(await rowOf(key)).toEqual({ failed_count: 0, last_failed_at: null, locked_until: null });
    expect(await attempts.register(key, later(62_000))).toMatchObject({
      kind: 'allowed',
      next: { failedCount: 1, lockedUntil: null },
    });
  });

  it('counts concurrent attempts on one name without losing any', async () => {
    const attempts = postgresSignInAttempts(on(driver));
    const key = `burst-${randomUUID()}@example.test`;

    await Promise.all(Array.from({ length: 4 }, (_, i) => attempts.register(key, later(i))));

    expect((await rowOf(key))?.failed_count).toBe(4);
  });

  it('keeps hostile names as data: each its own counter, none matching another', async () => {
    const attempts = postgresSignInAttempts(on(driver));
    const suffix = randomUUID();
    const keys = [`'; drop table sign_in_attempts; -- ${suffix}`, `%_\\ ${suffix}`, `__proto__ ${suffix}`];
    const wildcard = `%${suffix}`;

    for (const [i, key] of keys.entries()) {
      for (let n = 0; n <= i; n++) await attempts.register(key, later(n));
    }
    await attempts.register(wildcard, NOW);
    await attempts.reset('%', NOW);

    expect(await Promise.all(keys.map(async (key) => (await rowOf(key))?.failed_count))).toEqual([1, 2, 3]);
    expect((await rowOf(wildcard))?.failed_count).toBe(1);
  });

  it('refuses a name with a NUL byte and records nothing; a reset of an unknown name adds no row', async () => {
    const attempts = postgresSignInAttempts(on(driver));
    const key = `nul-${randomUUID()}`;

    await expect(attempts.register(`${key}\u0000`, NOW)).rejects.toThrow(/0x00/);
    await attempts.reset(key, NOW);

    expect(await rowOf(key)).toBeUndefined();
    // The failed transaction was rolled back: the same connections still work.
    expect(await attempts.register(key, NOW)).toMatchObject({ kind: 'allowed' });
  });
});

describe.each(['pg', 'data-api'] as const)('postgresStaleSignInAttempts on %s', (driver) => {
  /** A century back: no other test writes counters that old, so the erasure meets only these. */
  const THEN = new Date('1926-03-10T12:00:00.000Z');
  const minutes = (n: number) => new Date(THEN.getTime() + n * 60_000);

  /** A counter stored directly, as the attempts and resets left it. */
  async function counter(row: {
    updated: Date;
    lastFailed: Date | null;
    lockedUntil?: Date;
    count?: number;
  }) {
    const username = `stale-${randomUUID()}@example.test`;
    await db
      .insertInto('sign_in_attempts')
      .values({
        username,
        failed_count: row.count ?? (row.lastFailed ? 1 : 0),
        last_failed_at: row.lastFailed,
        locked_until: row.lockedUntil ?? null,
        updated_at: row.updated,
      })
      .execute();
    return username;
  }

  it('erases counters that no longer count, and keeps those within the window or locked', async () => {
    // Prepare: the lockout window is 15 minutes, the lock 15 minutes
    const failedLongAgo = await counter({ updated: minutes(-60), lastFailed: minutes(-60) });
    const resetLongAgo = await counter({ updated: minutes(-30), lastFailed: null });
    const lockExpired = await counter({
      updated: minutes(-40),
      lastFailed: minutes(-40),
      lockedUntil: minutes(-25),
      count: 5,
    });
    const failedJustNow = await counter({ updated: minutes(-14), lastFailed: minutes(-14), count: 4 });
    const resetJustNow = await counter({ updated: minutes(-1), lastFailed: null });
    const locked = await counter({
      updated: minutes(-20),
      lastFailed: minutes(-20),
      lockedUntil: minutes(1),
      count: 5,
    });
    const stale = postgresStaleSignInAttempts(on(driver));

    // Act: batches until one is not full (a bounded loop)
    let erased = 0;
    for (let batch = 0; batch < 10; batch++) {
      const count = await stale.erase(THEN, 2);
      erased += count;
      if (count < 2) break;
    }

    // Assess
    expect(erased).toBeGreaterThanOrEqual(3);
    const left = await db
      .selectFrom('sign_in_attempts')
      .select('username')
      .where('username', 'in', [
        failedLongAgo,
        resetLongAgo,
        lockExpired,
        failedJustNow,
        resetJustNow,
        locked,
      ])
      .execute();
    expect(left.map((r) => r.username).sort()).toEqual([failedJustNow, resetJustNow, locked].sort());
  });

  it('erases no more than its limit in one statement', async () => {
    for (let i = 0; i < 3; i++) await counter({ updated: minutes(-100 - i), lastFailed: minutes(-100 - i) });

    await expect(postgresStaleSignInAttempts(on(driver)).erase(THEN, 2)).resolves.toBe(2);
  });
});

describe('postgresSignInAttempts against a counter erased during an attempt', () => {
  it('counts the attempt instead of failing when an unlock or the retention run erases its counter', async () => {
    // Prepare: a counter from an earlier attempt; after the attempt's first statement, another
    // connection erases it if it can take its row at once (as an unlock or the retention run would)
    const key = `erased-${randomUUID()}@example.test`;
    const attempts = postgresSignInAttempts(pgSql);
    await attempts.register(key, NOW);
    let statements = 0;
    const erasingInBetween: SqlDatabase = {
      ...pgSql,
      transaction: (work) =>
        pgSql.transaction((tx) =>
          work({
            async query<Row extends object>(statement: Sql) {
              const result = await tx.query<Row>(statement);
              if (statements++ === 0)
                await sql`delete from sign_in_attempts where username in (
                  select username from sign_in_attempts where username = ${key} for update skip locked)`.execute(
                  db,
                );
              return result;
            },
          }),
        ),
    };

    // Act
    const decision = await postgresSignInAttempts(erasingInBetween).register(key, later(1000));

    // Assess: counted (the erasure found the row locked and left it)
    expect(decision).toMatchObject({ kind: 'allowed', next: { failedCount: 2 } });
    expect((await rowOf(key))?.failed_count).toBe(2);
  });
});

describe('the other trigger and activity adapters on the Data API', () => {
  it('appends a sign-in activity once under its uuid, with its details as jsonb', async () => {
    const log = postgresSignInActivityLog(on('data-api'));
    const actor = `actor-${randomUUID()}`;
    const id = randomUUID();

    const first = await log.recordOnce(id, {
      actorId: actor,
      action: 'auth.sign-in-activity',
      targetType: 'user',
      targetId: actor,
      sourceIp: '203.0.113.7',
      userAgent: "Robert'); drop table audit_events;--",
      details: { eventId: 'e-1', city: '%_\\' },
    });
    const again = await log.recordOnce(id, { actorId: actor, action: 'auth.sign-in-activity' });

    expect([first, again]).toEqual([true, false]);
    expect(await auditRowsOf(db, actor)).toEqual([
      {
        id,
        actor_id: actor,
        action: 'auth.sign-in-activity',
        target_type: 'user',
        target_id: actor,
        request_id: null,
        source_ip: '203.0.113.7',
        user_agent: "Robert'); drop table audit_events;--",
        details: { eventId: 'e-1', city: '%_\\' },
      },
    ]);
  });

  it('provisions a user once and finds it by id and by e-mail', async () => {
    const users = postgresAuthUsers(on('data-api'), { defaultMonthlyTokens: 75_000 });
    const id = `sub-${randomUUID()}`;
    const email = `Data-${id}@Example.test`;

    const created = await users.upsert({ id, email, displayName: 'D', mfaEnabled: true }, NOW);
    const again = await users.upsert({ id, email, displayName: 'D', mfaEnabled: false }, NOW);

    expect(created).toEqual({ user: { id, email, role: null, status: 'active' }, created: true });
    expect(again).toEqual({ user: { id, email, role: null, status: 'active' }, created: false });
    expect(await users.find({ id })).toEqual(again.user);
    expect(await users.find({ email: email.toLowerCase() })).toEqual(again.user);
    expect(
      await db
        .selectFrom('users')
        .select(['monthly_token_quota', 'mfa_enabled'])
        .where('id', '=', id)
        .executeTakeFirst(),
    ).toEqual({ monthly_token_quota: 75_000, mfa_enabled: false });
  });
});
