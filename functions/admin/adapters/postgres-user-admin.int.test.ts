import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { NewUser } from '#shared/db/schema';
import { sql as statement } from '#shared/db/sql';
import { decodeCursor } from '#shared/pagination/cursor';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql, untilBlockedBy } from '#test/support/database';
import { isLocked as isLockedForSignIn } from '#auth/domain/lockout';
import { EmailTakenError } from '../domain/admin-user';
import type { UserListOptions } from '../ports/user-admin';
import { postgresUserAdmin } from './postgres-user-admin';

const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();

/** What this file creates (test files share one database), deleted in `afterAll`. */
const userIds: string[] = [];
const usernames: string[] = [];

afterAll(async () => {
  if (usernames.length) await db.deleteFrom('sign_in_attempts').where('username', 'in', usernames).execute();
  // usage_daily rows outlive their user (migration 0020): removed first, so no test leaves any.
  if (userIds.length) await db.deleteFrom('usage_daily').where('user_id', 'in', userIds).execute();
  if (userIds.length) await db.deleteFrom('users').where('id', 'in', userIds).execute();
  await db.destroy();
  await queries.destroy();
});

const NOW = new Date('2026-03-10T12:00:00Z');
const roleQuota = () => 100_000;
/** A unique marker for this run's users, so a search finds only them. */
const run = randomBytes(4).toString('hex');

async function user(overrides: Partial<NewUser> = {}) {
  const created = await createTestUser(db, overrides);
  userIds.push(created.id);
  return created;
}

/** A new id, deleted with the others in `afterAll` if a test inserts a user under it. */
function newId(): string {
  const id = randomUUID();
  userIds.push(id);
  return id;
}

async function signInAttempts(email: string, lockedUntil: Date | null) {
  const username = email.toLowerCase();
  usernames.push(username);
  await db
    .insertInto('sign_in_attempts')
    .values({ username, failed_count: 5, locked_until: lockedUntil })
    .execute();
}

/** Whether another connection would wait for a lock on the row (NOWAIT answers 55P03 at once). */
async function isLocked(table: 'users' | 'sign_in_attempts', column: 'id' | 'username', value: string) {
  try {
    await sql`select 1 from ${sql.table(table)} where ${sql.ref(column)} = ${value} for update nowait`.execute(
      db,
    );
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return true;
    throw error;
  }
}

describe('postgresUserAdmin.insert', () => {
  it('answers EmailTakenError for an e-mail already in use, whatever its case', async () => {
    // Prepare
    const existing = await user();
    const id = newId();

    // Act
    const error = await postgresUserAdmin(queries, roleQuota)
      .insert({ id, email: existing.email.toUpperCase(), displayName: 'Twin', role: 'members' })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(EmailTakenError);
    expect(await postgresUserAdmin(queries, roleQuota).get(id, NOW)).toBeUndefined();
  });

  it('passes on a refusal that is not a taken e-mail as it is (a NUL byte in the name)', async () => {
    const id = newId();

    const error = await postgresUserAdmin(queries, roleQuota)
      .insert({ id, email: `nul-${id}@example.test`, displayName: 'Ada\u0000', role: 'members' })
      .catch((e: unknown) => e);

    expect(error).not.toBeInstanceOf(EmailTakenError);
    expect(String(error)).toMatch(/0x00/);
  });

  it('stores a new user who then reads back with the role default quota', async () => {
    const id = newId();
    const users = postgresUserAdmin(queries, roleQuota);

    await users.insert({ id, email: `new-${id}@example.test`, displayName: 'New', role: 'auditors' });

    expect(await users.get(id, NOW)).toMatchObject({
      id,
      email: `new-${id}@example.test`,
      role: 'auditors',
      status: 'active',
      monthlyTokens: 100_000,
      quotaIsDefault: true,
    });
  });

  it('stores hostile text as data', async () => {
    const id = newId();
    const users = postgresUserAdmin(queries, roleQuota);
    const displayName = `'; drop table users; -- %_\\ __proto__`;

    await users.insert({ id, email: `hostile-${id}@example.test`, displayName, role: 'members' });

    expect(await users.get(id, NOW)).toMatchObject({ id, displayName });
  });
});

describe('postgresUserAdmin writes and their listener', () => {
  it('tells the listener the id of each user a change or a revocation touched', async () => {
    // Prepare
    const target = await user();
    const changed: string[] = [];
    const users = postgresUserAdmin(queries, roleQuota, (id) => changed.push(id));

    // Act
    await users.update(target.id, { monthlyTokens: 5_000 }, NOW);
    await users.revokeTokens(target.id);

    // Assess
    expect(changed).toEqual([target.id, target.id]);
    expect(await users.get(target.id, NOW)).toMatchObject({ monthlyTokens: 5_000, quotaIsDefault: false });
  });

  it('writes without a listener', async () => {
    const target = await user();
    const users = postgresUserAdmin(queries, roleQuota);

    await users.update(target.id, { role: 'auditors', status: 'disabled' }, NOW);

    expect(await users.get(target.id, NOW)).toMatchObject({ role: 'auditors', status: 'disabled' });
  });
});

describe('postgresUserAdmin.update and revokeTokens', () => {
  const tokensValidAfter = async (id: string) =>
    (await db.selectFrom('users').select('tokens_valid_after').where('id', '=', id).executeTakeFirstOrThrow())
      .tokens_valid_after;

  it('changes only the columns named, and refuses older tokens only on a role or status change', async () => {
    // Prepare
    const target = await user({ monthly_token_quota: 7, mfa_enabled: true });
    const users = postgresUserAdmin(queries, roleQuota);

    // Act: quota and MFA only.
    await users.update(target.id, { monthlyTokens: null, mfaEnabled: false }, NOW);

    // Assess
    expect(await users.get(target.id, NOW)).toMatchObject({
      role: 'members',
      status: 'active',
      mfaEnabled: false,
      monthlyTokens: 100_000,
      quotaIsDefault: true,
    });
    expect(await tokensValidAfter(target.id)).toBeNull();

    await users.update(target.id, { role: 'auditors' }, NOW);
    expect(await tokensValidAfter(target.id)).toBeInstanceOf(Date);
  });

  it('answers the user as the admin view shows them after the change, and undefined for an unknown id', async () => {
    // Prepare: locked out, with tokens used this month.
    const target = await user({ mfa_enabled: true });
    await signInAttempts(target.email, new Date('2026-03-10T12:10:00Z'));
    await db
      .insertInto('usage_daily')
      .values({ user_id: target.id, day: '2026-03-02', model: 'm', prompt_tokens: 3, completion_tokens: 4 })
      .execute();
    const users = postgresUserAdmin(queries, roleQuota);

    // Act
    const after = await users.update(
      target.id,
      { role: 'auditors', status: 'disabled', monthlyTokens: 9 },
      NOW,
    );

    // Assess: what a read would show, the disable's instant being the refusal's.
    const { rows } = await sql<{ refused_from: string }>`
      select to_char(tokens_valid_after at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as refused_from
      from users where id = ${target.id}`.execute(db);
    expect(after).toEqual(await users.get(target.id, NOW));
    expect(after).toMatchObject({
      id: target.id,
      role: 'auditors',
      status: 'disabled',
      mfaEnabled: true,
      monthlyTokens: 9,
      quotaIsDefault: false,
      locked: true,
      lockedUntil: '2026-03-10T12:10:00.000000Z',
      usedTokens: 7,
      disabledAt: rows[0]?.refused_from,
    });
    expect(await users.update(randomUUID(), { role: 'members' }, NOW)).toBeUndefined();
  });

  it("refuses tokens from the statement's own time on a role or status change, not the transaction's start", async () => {
    // Prepare
    const target = await user();

    // Act: the change comes a while into its transaction (after Cognito's calls, in updateUser).
    const started = await queries.transaction(async (tx) => {
      const { rows } = await tx.query<{ started: Date }>(statement`select now() as started`);
      await tx.query(statement`select pg_sleep(0.05)`);
      await postgresUserAdmin(tx, roleQuota).update(target.id, { status: 'disabled' }, NOW);
      return rows[0]?.started;
    });

    // Assess
    const refusedFrom = await tokensValidAfter(target.id);
    expect(started).toBeInstanceOf(Date);
    expect(refusedFrom).toBeInstanceOf(Date);
    expect((refusedFrom?.getTime() ?? 0) - (started?.getTime() ?? 0)).toBeGreaterThanOrEqual(45);
  });

  it('revokeTokens refuses the tokens issued until now', async () => {
    const target = await user();

    await postgresUserAdmin(queries, roleQuota).revokeTokens(target.id);

    expect(await tokensValidAfter(target.id)).toBeInstanceOf(Date);
  });
});

describe('postgresUserAdmin.list', () => {
  it("shows lock state and this month's tokens, newest first, and pages by keyset", async () => {
    // Prepare: two users created at the same instant (the id breaks the tie), one later.
    const tag = `page${run}`;
    const at = '2026-03-01T08:00:00.123456Z';
    const twins = [
      await user({ display_name: `${tag} twin`, created_at: at }),
      await user({ display_name: `${tag} twin`, created_at: at }),
    ].sort((a, b) => (a.id < b.id ? 1 : -1));
    const newest = await user({ display_name: `${tag} newest`, created_at: '2026-03-02T08:00:00Z' });
    await signInAttempts(newest.email, new Date('2026-03-10T12:10:00Z'));
    await signInAttempts(twins[0]?.email ?? '', new Date('2026-03-10T11:50:00Z'));
    await db
      .insertInto('usage_daily')
      .values([
        { user_id: newest.id, day: '2026-03-01', model: 'a', prompt_tokens: 70, completion_tokens: 30 },
        { user_id: newest.id, day: '2026-03-09', model: 'b', prompt_tokens: 1, completion_tokens: 2 },
        { user_id: newest.id, day: '2026-02-28', model: 'a', prompt_tokens: 900, completion_tokens: 9 },
      ])
      .execute();
    const users = postgresUserAdmin(queries, roleQuota);

    // Act
    const first = await users.list({ limit: 2, q: tag }, NOW);
    const cursor = decodeCursor(first.nextCursor ?? '');
    const second = await users.list({ limit: 2, q: tag, ...(cursor ? { cursor } : {}) }, NOW);

    // Assess
    expect(first.items.map((u) => u.id)).toEqual([newest.id, twins[0]?.id]);
    expect(first.items[0]).toMatchObject({
      locked: true,
      lockedUntil: '2026-03-10T12:10:00.000000Z',
      usedTokens: 103,
      createdAt: '2026-03-02T08:00:00.000000Z',
    });
    // A lockout that has ended is no lock.
    expect(first.items[1]).toMatchObject({ locked: false, lockedUntil: null, usedTokens: 0, createdAt: at });
    expect(cursor).toEqual({ at, id: twins[0]?.id });
    expect(second.items.map((u) => u.id)).toEqual([twins[1]?.id]);
    expect(second.nextCursor).toBeNull();
  });

  it('matches q literally (LIKE wildcards, quotes and __proto__ are text), in e-mail or name, any case', async () => {
    // Prepare
    const tag = `lit${run}`;
    const named = async (name: string) => (await user({ display_name: `${tag} ${name}` })).id;
    const wildcards = await named('100%_sure');
    await named('100xxsure');
    const backslash = await named('back\\slash');
    await named('backxslash');
    const proto = await named('__proto__');
    await named('xxprotoxx');
    const quote = await named(`'; drop table users; --`);
    const users = postgresUserAdmin(queries, roleQuota);
    const ids = async (q: string) => (await users.list({ limit: 50, q }, NOW)).items.map((u) => u.id);

    // Act and assess
    expect(await ids(`${tag} 100%_`)).toEqual([wildcards]);
    expect(await ids(`${tag} BACK\\SLASH`)).toEqual([backslash]);
    expect(await ids(`${tag} __proto__`)).toEqual([proto]);
    expect(await ids(`${tag} '; drop table users; --`)).toEqual([quote]);
    expect(await ids(`${tag}%`)).toEqual([]);
    expect(await ids(`${tag} `)).toHaveLength(7);
    const byEmail = await user();
    expect(await ids(byEmail.email.toUpperCase())).toEqual([byEmail.id]);
  });

  it('filters by role and status', async () => {
    const tag = `flt${run}`;
    await user({ display_name: `${tag} a`, role: 'auditors' });
    const wanted = await user({ display_name: `${tag} b`, role: 'auditors', status: 'disabled' });
    await user({ display_name: `${tag} c`, role: 'members', status: 'disabled' });

    const page = await postgresUserAdmin(queries, roleQuota).list(
      { limit: 10, q: tag, role: 'auditors', status: 'disabled' },
      NOW,
    );

    expect(page.items.map((u) => u.id)).toEqual([wanted.id]);
    expect(page.nextCursor).toBeNull();
  });
});

describe('postgresUserAdmin.list by two-factor enrolment and sign-in lockout', () => {
  /** The ids of this run's users with `tag` in their name that `filters` keep, newest first. */
  const ids = async (tag: string, filters: Omit<UserListOptions, 'limit' | 'q'>) =>
    (await postgresUserAdmin(queries, roleQuota).list({ limit: 50, q: tag, ...filters }, NOW)).items.map(
      (u) => u.id,
    );
  const at = (day: number) => `2026-03-0${day}T08:00:00Z`;

  it('keeps those with two-factor on, or off', async () => {
    // Prepare
    const tag = `mfa${run}`;
    const on = await user({ display_name: `${tag} on`, mfa_enabled: true, created_at: at(2) });
    const off = await user({ display_name: `${tag} off`, mfa_enabled: false, created_at: at(1) });

    // Act and assess
    expect(await ids(tag, { mfaEnabled: true })).toEqual([on.id]);
    expect(await ids(tag, { mfaEnabled: false })).toEqual([off.id]);
    expect(await ids(tag, {})).toEqual([on.id, off.id]);
  });

  it('keeps those locked out now, by the rule sign-in applies: not an ended lock, a count below the threshold or no counter', async () => {
    // Prepare
    const tag = `lck${run}`;
    const lockedNow = await user({ display_name: `${tag} locked`, created_at: at(5) });
    const ended = await user({ display_name: `${tag} ended`, created_at: at(4) });
    const endsNow = await user({ display_name: `${tag} ends now`, created_at: at(3) });
    const counting = await user({ display_name: `${tag} counting`, created_at: at(2) });
    const never = await user({ display_name: `${tag} never`, created_at: at(1) });
    await signInAttempts(lockedNow.email, new Date('2026-03-10T12:00:00.001Z'));
    await signInAttempts(ended.email, new Date('2026-03-10T11:59:00Z'));
    await signInAttempts(endsNow.email, NOW);
    await signInAttempts(counting.email, null);

    // Act
    const page = await postgresUserAdmin(queries, roleQuota).list(
      { limit: 50, q: tag, lockedNow: true },
      NOW,
    );

    // Assess: the list agrees with the sign-in's own decision for each of them.
    expect(page.items.map((u) => [u.id, u.locked])).toEqual([[lockedNow.id, true]]);
    const rows = await db
      .selectFrom('sign_in_attempts')
      .selectAll()
      .where('username', 'in', [lockedNow.email, ended.email, endsNow.email, counting.email])
      .execute();
    const lockedBySignIn = rows
      .filter((row) =>
        isLockedForSignIn(
          { failedCount: row.failed_count, lastFailedAt: row.last_failed_at, lockedUntil: row.locked_until },
          NOW,
        ),
      )
      .map((row) => row.username);
    expect(lockedBySignIn).toEqual([lockedNow.email]);
    expect(await ids(tag, {})).toEqual([lockedNow.id, ended.id, endsNow.id, counting.id, never.id]);
  });

  it('combines with q, role, status and the other new filter', async () => {
    // Prepare
    const tag = `cmb${run}`;
    const lock = new Date('2026-03-10T12:10:00Z');
    const wanted = await user({ display_name: `${tag} wanted`, role: 'members', mfa_enabled: false });
    const admin = await user({ display_name: `${tag} admin`, role: 'admins', mfa_enabled: false });
    const enrolled = await user({ display_name: `${tag} enrolled`, role: 'members', mfa_enabled: true });
    const free = await user({ display_name: `${tag} free`, role: 'members', mfa_enabled: false });
    const other = await user({ role: 'members', mfa_enabled: false });
    for (const locked of [wanted, admin, enrolled, other]) await signInAttempts(locked.email, lock);

    // Act and assess
    expect(await ids(tag, { role: 'members', mfaEnabled: false, lockedNow: true })).toEqual([wanted.id]);
    expect(await ids(tag, { role: 'members', status: 'active', mfaEnabled: false })).toEqual([
      free.id,
      wanted.id,
    ]);
    expect(await ids(tag, { role: 'members', status: 'disabled', lockedNow: true })).toEqual([]);
    expect(await ids(tag, { mfaEnabled: true, lockedNow: true })).toEqual([enrolled.id]);
    expect(await ids(tag, { role: 'admins', lockedNow: true })).toEqual([admin.id]);
  });

  it('pages by keyset with a filter: the cursor of the first page leads to the rest that match', async () => {
    // Prepare: five users, one a day; the locked ones are not side by side.
    const tag = `pgf${run}`;
    const made = [];
    for (const day of [1, 2, 3, 4, 5])
      made.push(await user({ display_name: `${tag} ${day}`, created_at: at(day) }));
    const locked = made.filter((_, i) => i !== 1 && i !== 3).reverse();
    for (const u of locked) await signInAttempts(u.email, new Date('2026-03-10T12:10:00Z'));
    const users = postgresUserAdmin(queries, roleQuota);

    // Act
    const first = await users.list({ limit: 2, q: tag, lockedNow: true }, NOW);
    const cursor = decodeCursor(first.nextCursor ?? '');
    const second = await users.list(
      { limit: 2, q: tag, lockedNow: true, ...(cursor ? { cursor } : {}) },
      NOW,
    );

    // Assess
    expect(first.items.map((u) => u.id)).toEqual(locked.slice(0, 2).map((u) => u.id));
    expect(cursor).toEqual({ at: '2026-03-03T08:00:00.000000Z', id: locked[1]?.id });
    expect(second.items.map((u) => u.id)).toEqual([locked[2]?.id]);
    expect(second.nextCursor).toBeNull();
  });
});

describe('postgresUserAdmin.get', () => {
  it('answers undefined for an unknown id', async () => {
    expect(await postgresUserAdmin(queries, roleQuota).get(`nobody-${run}`, NOW)).toBeUndefined();
  });

  it('locks the user row until commit, and not the sign-in attempts row', async () => {
    const target = await user();
    await signInAttempts(target.email, null);

    const locks = await queries.transaction(async (tx) => {
      await postgresUserAdmin(tx, roleQuota).get(target.id, NOW);
      return [
        await isLocked('users', 'id', target.id),
        await isLocked('sign_in_attempts', 'username', target.email),
      ];
    });

    expect(locks).toEqual([true, false]);
    expect(await isLocked('users', 'id', target.id)).toBe(false);
  });
});

describe('postgresUserAdmin.holdEmail', () => {
  it('finds an e-mail whatever its case, and nothing for hostile text', async () => {
    const existing = await user();
    const users = postgresUserAdmin(queries, roleQuota);

    expect(await users.holdEmail(existing.email.toUpperCase())).toEqual({ taken: true });
    expect(await users.holdEmail(`other-${existing.email}`)).toEqual({ taken: false });
    expect(await users.holdEmail(`' or '1'='1`)).toEqual({ taken: false });
    expect(await users.holdEmail('%')).toEqual({ taken: false });
    expect(await users.holdEmail('__proto__')).toEqual({ taken: false });
  });

  it('makes a second invitation of the address wait, then see the row the first one committed', async () => {
    // Prepare
    const id = newId();
    const email = `held-${id}@example.test`;
    const order: string[] = [];
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held!: (pid: number) => void;
    const firstHolds = new Promise<number>((resolve) => (held = resolve));

    // Act: the first holds the address (in another case) and inserts its row; the second asks
    // while the first is still open.
    const first = queries.transaction(async (tx) => {
      const users = postgresUserAdmin(tx, roleQuota);
      const answer = await users.holdEmail(email.toUpperCase());
      const { rows } = await tx.query<{ pid: number }>(statement`select pg_backend_pid() as pid`);
      held(rows[0]?.pid ?? 0);
      await released;
      await users.insert({ id, email, displayName: 'First', role: 'members' });
      order.push('first commits');
      return answer;
    });
    const firstPid = await firstHolds;
    const second = queries.transaction(async (tx) => {
      const answer = await postgresUserAdmin(tx, roleQuota).holdEmail(email);
      order.push('second answered');
      return answer;
    });
    // The first is released only once the second waits for its lock on the address (and, should
    // the second never wait, released all the same so the failed test holds no connection).
    await untilBlockedBy(db, firstPid).finally(() => {
      order.push('first released');
      release();
    });

    // Assess: the second waited for the first's commit, and its check saw the committed row.
    expect(await first).toEqual({ taken: false });
    expect(await second).toEqual({ taken: true });
    expect(order).toEqual(['first released', 'first commits', 'second answered']);
  });

  it('holds nothing after the transaction ends, nor for another address', async () => {
    const email = `free-${run}-${randomUUID()}@example.test`;
    const answers = await queries.transaction(async (tx) => {
      const users = postgresUserAdmin(tx, roleQuota);
      await users.holdEmail(email);
      // Another address is not held by this one (its own connection, so no re-entry).
      return postgresUserAdmin(queries, roleQuota).holdEmail(`other-${email}`);
    });
    expect(answers).toEqual({ taken: false });
    expect(await postgresUserAdmin(queries, roleQuota).holdEmail(email)).toEqual({ taken: false });
  });
});

describe('postgresUserAdmin.lockActiveAdmins', () => {
  it('answers the active admins in id order and holds their rows until commit', async () => {
    // Prepare
    const admins = [
      await user({ role: 'admins' }),
      await user({ role: 'admins' }),
      await user({ role: 'admins' }),
    ];
    const disabled = await user({ role: 'admins', status: 'disabled' });
    const member = await user({ role: 'members' });
    // A machine client's service account may hold the role, but may not administer anything.
    const machine = await user({ role: 'admins', kind: 'service' });
    const mine = new Set(admins.map((a) => a.id));

    // Act
    const [ids, locked] = await queries.transaction(async (tx) => {
      const all = await postgresUserAdmin(tx, roleQuota).lockActiveAdmins();
      return [all, await isLocked('users', 'id', admins[0]?.id ?? '')] as const;
    });

    // Assess
    expect(ids.filter((id) => mine.has(id))).toEqual([...mine].sort());
    expect(ids).not.toContain(disabled.id);
    expect(ids).not.toContain(member.id);
    expect(ids).not.toContain(machine.id);
    expect(locked).toBe(true);
  });
});

describe('postgresUserAdmin.clearSignInAttempts', () => {
  it("forgets the e-mail's failed sign-ins, given in any case, and no one else's", async () => {
    const target = await user();
    const other = await user();
    await signInAttempts(target.email, new Date('2030-01-01T00:00:00Z'));
    await signInAttempts(other.email, new Date('2030-01-01T00:00:00Z'));

    await postgresUserAdmin(queries, roleQuota).clearSignInAttempts(target.email.toUpperCase());

    const left = await db
      .selectFrom('sign_in_attempts')
      .select('username')
      .where('username', 'in', [target.email, other.email])
      .execute();
    expect(left).toEqual([{ username: other.email }]);
  });
});

describe('postgresUserAdmin on the Data API', () => {
  it('runs every statement with the encodings Aurora accepts', async () => {
    // Prepare
    const tag = `dapi${run}`;
    const users = postgresUserAdmin(onDataApi.db(), roleQuota);
    const older = await user({ display_name: `${tag} 100%_`, created_at: '2026-03-01T00:00:00.000001Z' });
    await user({ display_name: `${tag} 100xx`, created_at: '2026-03-01T00:00:00.000002Z' });
    const id = newId();
    const email = `Dapi-${id}@Example.test`;

    // Act and assess: insert, then the same e-mail in another case.
    await users.insert({ id, email, displayName: `${tag} new`, role: 'admins' });
    const twin = await users
      .insert({ id: newId(), email: email.toLowerCase(), displayName: 'Twin', role: 'members' })
      .catch((e: unknown) => e);
    expect(twin).toBeInstanceOf(EmailTakenError);
    const nul = await users
      .insert({ id: newId(), email: `nul-${id}@example.test`, displayName: 'Ada\u0000', role: 'members' })
      .catch((e: unknown) => e);
    expect(nul).not.toBeInstanceOf(EmailTakenError);
    expect(String(nul)).toMatch(/0x00/);
    expect(
      await onDataApi
        .db()
        .transaction((tx) => postgresUserAdmin(tx, roleQuota).holdEmail(email.toUpperCase())),
    ).toEqual({ taken: true });

    // Lock state, usage (int8 as a number here), timestamps as text, the keyset cursor.
    await signInAttempts(email, new Date('2026-03-10T12:10:00Z'));
    await db
      .insertInto('usage_daily')
      .values({ user_id: id, day: '2026-03-02', model: 'm', prompt_tokens: 5, completion_tokens: 6 })
      .execute();
    const first = await users.list({ limit: 2, q: tag }, NOW);
    expect(first.items[0]).toMatchObject({
      id,
      locked: true,
      lockedUntil: '2026-03-10T12:10:00.000000Z',
      usedTokens: 11,
      mfaEnabled: false,
      quotaIsDefault: true,
    });
    // The new filters bind a boolean and compare a timestamp there too.
    expect(
      (await users.list({ limit: 5, q: tag, mfaEnabled: false, lockedNow: true }, NOW)).items.map(
        (u) => u.id,
      ),
    ).toEqual([id]);
    const cursor = decodeCursor(first.nextCursor ?? '');
    expect(cursor).toBeDefined();
    const second = await users.list({ limit: 2, q: tag, ...(cursor ? { cursor } : {}) }, NOW);
    expect(second.items.map((u) => u.id)).toEqual([older.id]);
    expect(
      (await users.list({ limit: 5, q: `${tag} 100%_`, role: 'members', status: 'active' }, NOW)).items,
    ).toEqual([expect.objectContaining({ id: older.id, createdAt: '2026-03-01T00:00:00.000001Z' })]);

    // Writes, locks and the lockout in one transaction.
    const changed: string[] = [];
    const [got, admins] = await onDataApi.db().transaction(async (tx) => {
      const inTx = postgresUserAdmin(tx, roleQuota, (changedId) => changed.push(changedId));
      const locked = await inTx.get(id, NOW);
      await inTx.update(id, { monthlyTokens: 42, mfaEnabled: true }, NOW);
      await inTx.revokeTokens(id);
      await inTx.clearSignInAttempts(email);
      return [locked, await inTx.lockActiveAdmins()] as const;
    });
    expect(got?.id).toBe(id);
    expect(admins).toContain(id);
    expect(changed).toEqual([id, id]);
    expect(await users.get(id, NOW)).toMatchObject({ monthlyTokens: 42, mfaEnabled: true, locked: false });
    // The change answers the row it wrote (an UPDATE … RETURNING under the view), as a read would.
    const changedUser = await users.update(
      id,
      { role: 'members', status: 'disabled', monthlyTokens: null },
      NOW,
    );
    expect(changedUser).toMatchObject({
      role: 'members',
      status: 'disabled',
      quotaIsDefault: true,
      usedTokens: 11,
      disabledAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
    });
    expect(await users.get(id, NOW)).toEqual(changedUser);
    expect(new Set(onDataApi.dataApi().server.calls.map((c) => c.operation))).toEqual(
      new Set(['ExecuteStatement', 'BeginTransaction', 'CommitTransaction']),
    );
  });
});
