import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { getCache } from '#shared/cache/get-cache';
import {
  currentStanding,
  forgetStanding,
  postgresRevocationList,
  refreshStanding,
} from '#shared/revocation/postgres-revocation-list';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase, testSql } from '../support/database';

// Real PostgreSQL, and the cache the handlers use (Valkey when REDIS_URL is set).
const issuer = setUpApiEnvironment();
const { handler: conversations } = await import('#conversations/lambda');
const { handler: users } = await import('#users/lambda');
const db = testDatabase();
const queries = testSql();
const revocations = postgresRevocationList(queries, getCache);

afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

async function signedIn(iat = Math.floor(Date.now() / 1000) - 5) {
  const user = await createTestUser(db, { role: 'members' });
  const token = issuer.accessToken({
    sub: user.id,
    username: user.email,
    'cognito:groups': ['members'],
    iat,
  });
  return { user, token };
}

const list = (token: string) => call(conversations, { method: 'GET', path: '/api/conversations', token });

describe('revoked access tokens', () => {
  it('are refused on the very next request after a sign-out everywhere, even with the standing cached', async () => {
    // Prepare: a live token, used once so its standing is cached.
    const { user, token } = await signedIn();
    expect((await list(token)).status).toBe(200);

    // Act
    await revocations.revokeTokens(user.id);

    // Assess
    const refused = await list(token);
    expect(refused.status).toBe(401);
    expect((refused.body as { detail: string }).detail).toBe('The access token was revoked; sign in again.');
    expect((await call(users, { method: 'GET', path: '/api/me', token })).status).toBe(401);
  });

  it('are refused when a request read the standing before the revocation committed and cached it after', async () => {
    // Prepare: a live token, nothing cached, and a request that has read the row (before the
    // revocation) and is held just before it fills the cache
    const { user, token } = await signedIn();
    const cache = getCache();
    await forgetStanding(cache, user.id);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let hasRead!: () => void;
    const read = new Promise<void>((resolve) => (hasRead = resolve));
    const slow = postgresRevocationList(queries, () => ({
      ...cache,
      set: async (...args: Parameters<typeof cache.set>) => {
        hasRead();
        await held;
        return cache.set(...args);
      },
    }));
    const stale = slow.standingOf(user.id);
    await read;

    // Act: the revocation commits and writes its standing; then the held request fills the cache
    await revocations.revokeTokens(user.id);
    await refreshStanding(queries, cache, user.id);
    release();
    expect((await stale).validAfter).toBeNull();

    // Assess: the next request is refused: the standing read before the revocation was not cached
    expect((await list(token)).status).toBe(401);
  });

  it('let a token issued after the revocation through', async () => {
    const { user } = await signedIn();
    await revocations.revokeTokens(user.id);
    const fresh = issuer.accessToken({
      sub: user.id,
      username: user.email,
      'cognito:groups': ['members'],
      iat: Math.floor(Date.now() / 1000) + 1,
    });

    expect((await list(fresh)).status).toBe(200);
  });

  it("refuse a disabled user's token once the cached standing is forgotten", async () => {
    const { user, token } = await signedIn();
    expect((await list(token)).status).toBe(200);

    await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute();
    await revocations.revokeTokens(user.id);

    expect((await list(token)).status).toBe(401);
  });

  it('refuse a token whose iat is beyond the allowed clock skew', async () => {
    const { token } = await signedIn(Math.floor(Date.now() / 1000) + 600);

    expect((await list(token)).status).toBe(401);
  });

  it('records the revocation instant in users.tokens_valid_after', async () => {
    const { user } = await signedIn();

    await revocations.revokeTokens(user.id);

    const row = await db
      .selectFrom('users')
      .select(sql<boolean>`tokens_valid_after <= now()`.as('recorded'))
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    expect(row.recorded).toBe(true);
  });
});

describe('currentStanding', () => {
  it('reads the database past a cached standing, and leaves the cached one as it is', async () => {
    // Prepare: a standing cached without TOTP, then TOTP recorded where the triggers record it.
    const { user } = await signedIn();
    await forgetStanding(getCache(), user.id);
    expect(await revocations.standingOf(user.id)).toMatchObject({ mfaEnabled: false });
    await db.updateTable('users').set({ mfa_enabled: true }).where('id', '=', user.id).execute();

    // Act
    const current = await currentStanding(queries, user.id);

    // Assess
    expect(current).toEqual({ validAfter: null, disabled: false, mfaEnabled: true, role: 'members' });
    expect(await revocations.standingOf(user.id)).toMatchObject({ mfaEnabled: false });
  });
});
