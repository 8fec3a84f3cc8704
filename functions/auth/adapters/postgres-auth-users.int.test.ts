import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { EmailOfAnotherUserError } from '../domain/identity-drift';
import { postgresAuthUsers } from './postgres-auth-users';

/** Fixtures and checks through kysely; the adapter on the query layer, as the triggers run it. */
const db = testDatabase();
const sqlDb = testSql();
afterAll(async () => {
  await sqlDb.destroy();
  await db.destroy();
});

const NOW = new Date('2026-03-10T12:00:00Z');

describe('postgresAuthUsers.find', () => {
  it('finds a user by id', async () => {
    const row = await createTestUser(db, { role: 'auditors' });

    const found = await postgresAuthUsers(sqlDb).find({ id: row.id, email: 'someone-else@example.test' });

    expect(found).toEqual({ id: row.id, email: row.email, role: 'auditors', status: 'active' });
  });

  it('falls back to the e-mail, whatever its case, when the id is unknown (a user re-created in Cognito)', async () => {
    const row = await createTestUser(db);

    const found = await postgresAuthUsers(sqlDb).find({ id: randomUUID(), email: row.email.toUpperCase() });

    expect(found).toMatchObject({ id: row.id, email: row.email });
  });

  it('answers null for an unknown id without an e-mail, and for an unknown e-mail', async () => {
    const users = postgresAuthUsers(sqlDb);

    expect(await users.find({ id: randomUUID() })).toBeNull();
    expect(await users.find({ email: `nobody-${randomUUID()}@example.test` })).toBeNull();
    expect(await users.find({})).toBeNull();
  });

  it('matches an e-mail with LIKE wildcards to nobody, and refuses one with a NUL byte', async () => {
    const row = await createTestUser(db);
    const users = postgresAuthUsers(sqlDb);

    // PostgreSQL text cannot hold NUL: the lookup fails rather than match anyone.
    await expect(users.find({ email: `${row.email}\u0000` })).rejects.toThrow(/0x00/);
    expect(await users.find({ email: row.email.replace(/^./, '_') })).toBeNull();
    expect(await users.find({ email: '%' })).toBeNull();
    expect(await users.find({ email: row.email.replace('@', '%@') })).toBeNull();
    expect(await users.find({ email: `${row.email.slice(0, -1)}\\` })).toBeNull();
  });

  it('treats a hostile id as data: no match, and the table is still there', async () => {
    const row = await createTestUser(db);
    const users = postgresAuthUsers(sqlDb);

    expect(await users.find({ id: "'; drop table users; --" })).toBeNull();
    expect(await users.find({ id: `${row.id}' or '1'='1` })).toBeNull();
    expect(await users.find({ id: '__proto__' })).toBeNull();
    expect(await users.find({ id: row.id })).toMatchObject({ id: row.id });
  });
});

describe('postgresAuthUsers.upsert', () => {
  it('stores hostile ids, e-mails and names as data, and finds them again as typed', async () => {
    const users = postgresAuthUsers(sqlDb);
    const suffix = randomUUID();
    const hostile = [
      { id: `'; drop table users; -- ${suffix}`, email: `x'); drop table users; --${suffix}@example.test` },
      { id: `__proto__-${suffix}`, email: `%_\\-${suffix}@example.test` },
    ];

    for (const { id, email } of hostile) {
      const { user, created } = await users.upsert({ id, email, displayName: `$1 :0 ${email}` }, NOW);
      expect({ user, created }).toEqual({
        user: { id, email, role: null, status: 'active' },
        created: true,
      });
      expect(await users.find({ id })).toEqual(user);
      expect(await users.find({ email: email.toUpperCase() })).toEqual(user);
    }
    const rows = await db
      .selectFrom('users')
      .select(['id', 'display_name'])
      .where(
        'id',
        'in',
        hostile.map((h) => h.id),
      )
      .execute();
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining(hostile.map((h) => ({ id: h.id, display_name: `$1 :0 ${h.email}` }))),
    );
  });

  it('refuses a NUL byte in what it stores', async () => {
    const id = randomUUID();

    await expect(
      postgresAuthUsers(sqlDb).upsert({ id, email: `nul-${id}@example.test`, displayName: 'A\u0000B' }, NOW),
    ).rejects.toThrow(/0x00/);
    expect(await postgresAuthUsers(sqlDb).find({ id })).toBeNull();
  });

  it('gives a new user no role and the configured default quota, and says it was created', async () => {
    const id = randomUUID();
    const users = postgresAuthUsers(sqlDb, { defaultMonthlyTokens: 75_000 });

    const { user, created } = await users.upsert(
      { id, email: `new-${id}@example.test`, displayName: 'New' },
      NOW,
    );

    expect(created).toBe(true);
    expect(user).toEqual({ id, email: `new-${id}@example.test`, role: null, status: 'active' });
    const row = await db
      .selectFrom('users')
      .select('monthly_token_quota')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.monthly_token_quota).toBe(75_000);
  });

  it('leaves a new user on the role default (no quota of their own) when none is configured', async () => {
    const id = randomUUID();

    await postgresAuthUsers(sqlDb).upsert({ id, email: `new-${id}@example.test`, displayName: 'New' }, NOW);

    const row = await db
      .selectFrom('users')
      .select(['monthly_token_quota', 'role', 'mfa_enabled'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ monthly_token_quota: null, role: null, mfa_enabled: false });
  });

  it('keeps the stored role and quota of a known user, refreshing the e-mail and the MFA state', async () => {
    const existing = await createTestUser(db, { role: 'auditors', monthly_token_quota: 10 });
    const users = postgresAuthUsers(sqlDb, { defaultMonthlyTokens: 75_000 });

    const { user, created } = await users.upsert(
      {
        id: existing.id,
        email: `renamed-${existing.id}@example.test`,
        displayName: 'X',
        mfaEnabled: true,
      },
      NOW,
    );

    expect(created).toBe(false);
    expect(user).toMatchObject({ email: `renamed-${existing.id}@example.test`, role: 'auditors' });
    const row = await db
      .selectFrom('users')
      .select(['monthly_token_quota', 'mfa_enabled'])
      .where('id', '=', existing.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ monthly_token_quota: 10, mfa_enabled: true });
  });

  it('stores the MFA state of a new user when Cognito tells it', async () => {
    const id = randomUUID();

    await postgresAuthUsers(sqlDb).upsert(
      { id, email: `mfa-${id}@example.test`, displayName: 'M', mfaEnabled: true },
      NOW,
    );

    const row = await db
      .selectFrom('users')
      .select('mfa_enabled')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.mfa_enabled).toBe(true);
  });

  it("refuses an e-mail that is another row's (a user re-created in Cognito), naming both ids and changing no row", async () => {
    // Prepare
    const existing = await createTestUser(db, { role: 'admins' });
    const newSub = randomUUID();

    // Act
    const error = await postgresAuthUsers(sqlDb)
      .upsert(
        {
          id: newSub,
          email: existing.email.toUpperCase(),
          displayName: 'Again',
          mfaEnabled: true,
        },
        NOW,
      )
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EmailOfAnotherUserError);
    expect((error as EmailOfAnotherUserError).ids).toEqual({ userId: newSub, existingUserId: existing.id });
    expect((error as Error).message).not.toContain(existing.email);
    const rows = await db
      .selectFrom('users')
      .select(['id', 'role'])
      .where('id', 'in', [existing.id, newSub])
      .execute();
    expect(rows).toEqual([{ id: existing.id, role: 'admins' }]);
  });

  it("refuses an e-mail changed in Cognito to another row's, leaving both rows as they were", async () => {
    const first = await createTestUser(db);
    const second = await createTestUser(db);

    const error = await postgresAuthUsers(sqlDb)
      .upsert({ id: second.id, email: first.email, displayName: 'Second' }, NOW)
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ ids: { userId: second.id, existingUserId: first.id } });
    expect(await postgresAuthUsers(sqlDb).find({ id: second.id })).toMatchObject({ email: second.email });
  });
});
