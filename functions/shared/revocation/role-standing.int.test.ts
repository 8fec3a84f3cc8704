import { randomUUID } from 'node:crypto';

import { afterAll, describe, expect, it } from 'vitest';

import { getCache } from '#shared/cache/get-cache';
import { first, sql, type Queryable } from '#shared/db/sql';
import type { Role } from '#shared/domain/roles';
import { call, setUpApiEnvironment } from '#test/support/api';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { fakeIdentityProvider } from '#test/support/fakes/admin';
import { forgetStanding, markTokensRevoked, postgresRevocationList } from './postgres-revocation-list';
import { tokenVerdict } from './revocation-list';

// Real PostgreSQL and the handlers' cache (Valkey when REDIS_URL is set); Cognito is the edge the
// admin API's change cannot reach here, so a hand-written identity provider stands in for it.
const issuer = setUpApiEnvironment();
const { handler: adminApi } = await import('#admin/lambda');
const { setAdminDependencies } = await import('#admin/wiring');
const { handler: conversations } = await import('#conversations/lambda');
const { handler: users } = await import('#users/lambda');
const idp = fakeIdentityProvider();
setAdminDependencies({ identity: () => idp.provider });
const db = testDatabase();
const queries = testSql();

afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

async function person(role: Role) {
  const id = randomUUID();
  const user = await createTestUser(db, {
    id,
    email: `standing-${id}@example.test`,
    role,
    mfa_enabled: true,
  });
  idp.add(user.email, { id: user.id, role });
  return user;
}

/** An access token for `user` carrying `role`, issued at `iat` (seconds). */
const tokenOf = (user: { id: string; email: string }, role: Role, iat = Math.floor(Date.now() / 1000) - 5) =>
  issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': [role], iat });

/** A query layer that counts the statements it runs. */
function counting(db: Queryable) {
  const counted = { statements: 0 };
  const wrapped: Queryable = {
    query: (statement) => {
      counted.statements += 1;
      return db.query(statement);
    },
  };
  return { db: wrapped, counted };
}

describe("an admin's role change", () => {
  it('refuses a token minted with the old role in the change’s own second, once it commits; a new token works', async () => {
    // Prepare: a member using the API (their standing cached), and an admin.
    const admin = await person('admins');
    const target = await person('members');
    const before = tokenOf(target, 'members');
    expect((await call(users, { method: 'GET', path: '/api/me', token: before })).status).toBe(200);

    // Act: the role change commits (tokens_valid_after recorded inside it).
    const changed = await call(adminApi, {
      method: 'PATCH',
      path: `/api/admin/users/${target.id}`,
      token: tokenOf(admin, 'admins'),
      body: { role: 'auditors' },
    });
    expect(changed.status).toBe(200);
    const { tokens_valid_after: validAfter } = await db
      .selectFrom('users')
      .select('tokens_valid_after')
      .where('id', '=', target.id)
      .executeTakeFirstOrThrow();
    // A refresh while the change was committing: the very second of its instant (which the
    // whole-second comparison lets through), with the role pre-token-generation still read.
    const sameSecond = Math.floor((validAfter?.getTime() ?? 0) / 1000);
    const refreshedDuringChange = tokenOf(target, 'members', sameSecond);
    const refreshedAfter = tokenOf(target, 'auditors', sameSecond);

    // Assess: the old role is refused as a revoked token is; the new role's token works.
    const refused = await call(users, { method: 'GET', path: '/api/me', token: refreshedDuringChange });
    expect(refused.status).toBe(401);
    expect((refused.body as { detail: string }).detail).toBe('The access token was revoked; sign in again.');
    const listed = await call(conversations, {
      method: 'GET',
      path: '/api/conversations',
      token: refreshedDuringChange,
    });
    expect(listed.status).toBe(401);
    const me = await call(users, { method: 'GET', path: '/api/me', token: refreshedAfter });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: target.id, role: 'auditors' });
  });
});

describe('the cached standing', () => {
  it("carries the stored role in the same one read: a query on a miss, none on a hit, and the change's refresh replaces it", async () => {
    // Prepare
    const admin = await person('admins');
    const target = await person('members');
    await forgetStanding(getCache(), target.id);
    const { db: counted, counted: count } = counting(queries);
    const revocations = postgresRevocationList(counted, getCache);

    // Act
    const missed = await revocations.standingOf(target.id);
    const hit = await revocations.standingOf(target.id);
    await call(adminApi, {
      method: 'PATCH',
      path: `/api/admin/users/${target.id}`,
      token: tokenOf(admin, 'admins'),
      body: { role: 'auditors' },
    });
    const afterChange = await revocations.standingOf(target.id);

    // Assess
    expect(missed).toMatchObject({ role: 'members' });
    expect(hit).toMatchObject({ role: 'members' });
    expect(afterChange).toMatchObject({ role: 'auditors' });
    expect(count.statements).toBe(1);
  });

  it('reads an entry cached without a role (by an earlier version) as not knowing it', async () => {
    const target = await person('members');
    await forgetStanding(getCache(), target.id);
    await getCache().set(
      `token-standing:${target.id}`,
      JSON.stringify({ validAfter: null, disabled: false, mfaEnabled: true }),
      30,
    );

    const standing = await postgresRevocationList(queries, getCache).standingOf(target.id);

    expect(standing).toEqual({ validAfter: null, disabled: false, mfaEnabled: true });
    const token = tokenOf(target, 'auditors');
    expect((await call(users, { method: 'GET', path: '/api/me', token })).status).toBe(200);
    await forgetStanding(getCache(), target.id);
  });
});

describe('the revocation instant (a sign-out everywhere, an admin sign-out, a password reset)', () => {
  it('falls in a later whole second than the call began: a token minted in its second before it is refused, one minted after it is not', async () => {
    // Tokens carry their issue time in whole seconds. Cognito revokes the refresh tokens first;
    // a token a thief minted just before that, in the same second as the instant, used to pass.
    const user = await person('members');
    const { at: began } = (await first<{ at: Date }>(queries, sql`select clock_timestamp() as at`)) ?? {
      at: 0,
    };

    await markTokensRevoked(queries, user.id);

    const row = await first<{ at: Date }>(
      queries,
      sql`select tokens_valid_after as at from users where id = ${user.id}`,
    );
    const standing = { validAfter: new Date(row?.at ?? 0), disabled: false };
    const second = (at: Date | number) => Math.floor(new Date(at).getTime() / 1000);
    expect(second(began)).toBeGreaterThan(0);
    expect(second(standing.validAfter)).toBeGreaterThan(second(began));
    expect(tokenVerdict(second(began), standing, new Date())).toBe('revoked');
    expect(tokenVerdict(Math.floor(Date.now() / 1000), standing, new Date())).toBe('valid');
  });
});
