import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { getCache } from '#shared/cache/get-cache';
import { monthlyUsageKey, profileKey, serviceRoleKey } from '#shared/cache/keys';
import { createDatabase } from '#shared/db/database';
import { createMigrator } from '#shared/db/migrator';
import type { Role } from '#shared/domain/roles';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';
import { createScratchDatabase } from '../support/scratch-database';
import { callStreaming } from '../support/streaming';

/**
 * Monthly token quotas: the role's default from configuration unless an admin set the user's own,
 * as `/api/me`, the admin API and the chat see them; and the profile `/api/me` reads kept in the
 * cache (real Redis with REDIS_URL) and dropped when an admin changes the user.
 */
const issuer = setUpApiEnvironment({
  CHAT_QUOTA_MEMBERS: '7000',
  CHAT_QUOTA_ADMINS: '90000',
  DEFAULT_MONTHLY_TOKENS: '100',
});
const users = (await import('#users/lambda')).handler;
const admin = (await import('#admin/lambda')).handler;
const conversations = (await import('#conversations/lambda')).handler;
const { setAdminDependencies } = await import('#admin/wiring');
const idp = fakeIdentityProvider();
setAdminDependencies({ identity: () => idp.provider });
const db = testDatabase();
afterAll(() => db.destroy());

async function person(role: Role, quota: number | null = null) {
  const user = await createTestUser(db, { role, monthly_token_quota: quota });
  idp.add(user.email, { id: user.id, role });
  const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': [role] });
  return { user, token };
}

const me = async (token: string) => {
  const response = await call(users, { method: 'GET', path: '/api/me', token });
  expect(response.status).toBe(200);
  return (response.body as { quota: { monthlyTokens: number; isDefault: boolean } }).quota;
};
const patch = (token: string, id: string, body: unknown) =>
  call(admin, { method: 'PATCH', path: `/api/admin/users/${id}`, token, body });

describe('GET /api/me quota', () => {
  it("shows the role's default from configuration for a user without a quota of their own", async () => {
    const member = await person('members');
    const boss = await person('admins');

    expect(await me(member.token)).toMatchObject({ monthlyTokens: 7000, isDefault: true, usedTokens: 0 });
    expect(await me(boss.token)).toMatchObject({ monthlyTokens: 90000, isDefault: true });
  });

  it('shows DEFAULT_MONTHLY_TOKENS for a role with no default of its own', async () => {
    const auditor = await person('auditors');

    expect(await me(auditor.token)).toEqual({ monthlyTokens: 100, usedTokens: 0, isDefault: true });
  });

  it("shows the user's own quota when an admin set one", async () => {
    const member = await person('members', 1234);

    expect(await me(member.token)).toMatchObject({ monthlyTokens: 1234, isDefault: false });
  });
});

describe('PATCH /api/admin/users/{id} monthlyTokens', () => {
  it("sets a user's quota and clears it back to the role default; /api/me shows each on the next request", async () => {
    // Prepare: the member's profile is in the cache.
    const boss = await person('admins');
    const member = await person('members');
    expect(await me(member.token)).toMatchObject({ monthlyTokens: 7000, isDefault: true });

    // Act
    const set = await patch(boss.token, member.user.id, { monthlyTokens: 2500 });

    // Assess
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ monthlyTokens: 2500, quotaIsDefault: false });
    expect(await me(member.token)).toMatchObject({ monthlyTokens: 2500, isDefault: false });

    const cleared = await patch(boss.token, member.user.id, { monthlyTokens: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ monthlyTokens: 7000, quotaIsDefault: true });
    expect(await me(member.token)).toMatchObject({ monthlyTokens: 7000, isDefault: true });
    const row = await db
      .selectFrom('users')
      .select('monthly_token_quota')
      .where('id', '=', member.user.id)
      .executeTakeFirstOrThrow();
    expect(row.monthly_token_quota).toBeNull();
    const audit = await db
      .selectFrom('audit_events')
      .select('details')
      .where('target_id', '=', member.user.id)
      .where('action', '=', 'user.quota-change')
      .orderBy('occurred_at')
      .execute();
    expect(audit.map((e) => e.details)).toEqual([
      { before: { monthlyTokens: null }, after: { monthlyTokens: 2500 } },
      { before: { monthlyTokens: 2500 }, after: { monthlyTokens: null } },
    ]);
  });

  it('follows the new role default after a role change, for a user on the default', async () => {
    const boss = await person('admins');
    const member = await person('members');

    const response = await patch(boss.token, member.user.id, { role: 'admins' });

    expect(response.body).toMatchObject({ role: 'admins', monthlyTokens: 90000, quotaIsDefault: true });
  });

  it('lists users with their effective quota and whether it is the default', async () => {
    const boss = await person('admins');
    const own = await person('members', 4321);
    const byRole = await person('members');

    const response = await call(admin, {
      method: 'GET',
      path: '/api/admin/users',
      token: boss.token,
      query: { limit: '200' },
    });

    expect(response.status).toBe(200);
    const items = (
      response.body as { items: { id: string; monthlyTokens: number; quotaIsDefault: boolean }[] }
    ).items;
    expect(items.find((u) => u.id === own.user.id)).toMatchObject({
      monthlyTokens: 4321,
      quotaIsDefault: false,
    });
    expect(items.find((u) => u.id === byRole.user.id)).toMatchObject({
      monthlyTokens: 7000,
      quotaIsDefault: true,
    });
  });

  it.each([
    [{ monthlyTokens: -1 }],
    [{ monthlyTokens: 1.5 }],
    [{ monthlyTokens: '5000' }],
    [{ monthlyTokens: 2 ** 31 }],
    [{ monthlyTokens: {} }],
  ])('refuses %j with 400 naming body.monthlyTokens, changing nothing', async (body) => {
    const boss = await person('admins');
    const member = await person('members', 10);

    const response = await patch(boss.token, member.user.id, body);

    expect(response.status).toBe(400);
    expect((response.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(
      'body.monthlyTokens',
    );
    expect(await me(member.token)).toMatchObject({ monthlyTokens: 10, isDefault: false });
  });

  it('refuses members and auditors (403), the quota unchanged', async () => {
    const member = await person('members');
    const auditor = await person('auditors');
    const target = await person('members', 10);

    for (const token of [member.token, auditor.token]) {
      const response = await patch(token, target.user.id, { monthlyTokens: null });
      expect(response.status).toBe(403);
    }
    expect(await me(target.token)).toMatchObject({ monthlyTokens: 10, isDefault: false });
  });

  it('lets the last admin clear their own quota (the last-admin rule is about role and status only)', async () => {
    const boss = await person('admins', 5);

    const response = await patch(boss.token, boss.user.id, { monthlyTokens: null });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ monthlyTokens: 90000, quotaIsDefault: true });
  });
});

describe('the cached profile', () => {
  it('answers /api/me from the cache: a change made around the admin API waits for the TTL', async () => {
    const member = await person('members', 300);
    expect(await me(member.token)).toMatchObject({ monthlyTokens: 300 });
    expect(await getCache().get(profileKey(member.user.id))).toContain('"monthlyTokens":300');

    await db
      .updateTable('users')
      .set({ monthly_token_quota: 400 })
      .where('id', '=', member.user.id)
      .execute();

    expect(await me(member.token)).toMatchObject({ monthlyTokens: 300 });
    await getCache().delete(profileKey(member.user.id));
    expect(await me(member.token)).toMatchObject({ monthlyTokens: 400 });
  });

  it.runIf(process.env.REDIS_URL)('is kept in Redis with a short TTL', async () => {
    const member = await person('members');
    await me(member.token);

    const { parseRedisUrl, RespClient } = await import('#shared/cache/resp-client');
    const raw = new RespClient({ endpoint: parseRedisUrl(process.env.REDIS_URL ?? '') });
    try {
      const ttl = await raw.command('TTL', `parley:test:${profileKey(member.user.id)}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30);
    } finally {
      await raw.close();
    }
  });
});

describe("a machine client's role", () => {
  it('is read through the cache, and an admin role change shows on its next request', async () => {
    // Prepare: the client's service account is a member; its role is now in the cache.
    const boss = await person('admins');
    await createTestUser(db, { id: issuer.clientId, kind: 'service', role: 'members' });
    const machineToken = () =>
      issuer.accessToken({ sub: issuer.clientId, username: undefined, scope: 'parley/chat.read' });
    const list = (token: string) => call(conversations, { method: 'GET', path: '/api/conversations', token });
    expect((await list(machineToken())).status).toBe(200);
    expect(await getCache().get(serviceRoleKey(issuer.clientId))).toBe('members');

    // Act
    const changed = await patch(boss.token, issuer.clientId, { role: 'auditors' });

    // Assess: a token issued after the change (the change revokes the earlier ones) meets the new role.
    expect(changed.status).toBe(200);
    expect((await list(machineToken())).status).toBe(403);
  });
});

describe('migration 0011', () => {
  it('turns quotas equal to the old column default into null (the role default) and keeps the others', async () => {
    const scratch = await createScratchDatabase();
    const scratchDb = createDatabase({ DB_DRIVER: 'pg', DATABASE_URL: scratch.url, DB_POOL_MAX: 1 });
    try {
      await createMigrator(scratchDb).migrateTo('0010-messages-owner-search');
      const insert = (id: string, quota?: number) =>
        sql`insert into users (id, email, display_name, monthly_token_quota)
            values (${id}, ${`${id}@example.test`}, ${id}, coalesce(${quota ?? null}::int, 200000))`.execute(
          scratchDb,
        );
      await insert('by-default');
      await insert('own', 5000);

      await createMigrator(scratchDb).migrateTo('0011-users-quota-role-default');

      const quotas = await scratchDb
        .selectFrom('users')
        .select(['id', 'monthly_token_quota'])
        .orderBy('id')
        .execute();
      expect(quotas).toEqual([
        { id: 'by-default', monthly_token_quota: null },
        { id: 'own', monthly_token_quota: 5000 },
      ]);
      await sql`insert into users (id, email, display_name) values ('new', 'new@example.test', 'new')`.execute(
        scratchDb,
      );
      const fresh = await scratchDb
        .selectFrom('users')
        .select('monthly_token_quota')
        .where('id', '=', 'new')
        .executeTakeFirstOrThrow();
      expect(fresh.monthly_token_quota).toBeNull();

      await createMigrator(scratchDb).migrateTo('0010-messages-owner-search');
      const restored = await scratchDb
        .selectFrom('users')
        .select(['id', 'monthly_token_quota'])
        .orderBy('id')
        .execute();
      expect(restored.map((r) => r.monthly_token_quota)).toEqual([200_000, 200_000, 5000]);
    } finally {
      await scratchDb.destroy();
      await scratch.drop();
    }
  });
});

describe('chat against the role default', () => {
  it('keeps the month’s usage in the cache after a reply, with the tokens just charged', async () => {
    const member = await person('members');
    const conversation = await db
      .insertInto('conversations')
      .values({ owner_id: member.user.id, title: 'New conversation' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const chat = (await import('#chat/lambda')).handler;

    const response = await callStreaming(chat, {
      method: 'POST',
      path: `/api/conversations/${conversation.id}/messages`,
      token: member.token,
      body: { content: 'Hello' },
    });

    expect(response.status).toBe(201);
    const { usage } = (
      response.body as { assistantMessage: { usage: { promptTokens: number; completionTokens: number } } }
    ).assistantMessage;
    const cached = await getCache().get(monthlyUsageKey(member.user.id, new Date()));
    // The next message's check is a cache hit: the entry was refreshed, not dropped, at the
    // version the reply's charge bumped the month to (its first).
    expect(JSON.parse(cached ?? 'null')).toEqual({
      used: usage.promptTokens + usage.completionTokens,
      version: 1,
    });
  });

  it('refuses a member over the role default with 429 naming it', async () => {
    const member = await person('members');
    const conversation = await db
      .insertInto('conversations')
      .values({ owner_id: member.user.id, title: 'New conversation' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('usage_daily')
      .values({
        user_id: member.user.id,
        day: new Date().toISOString().slice(0, 10),
        model: 'offline',
        requests: 1,
        prompt_tokens: 6000,
        completion_tokens: 1000,
        cost_micros: 0,
      })
      .execute();
    const chat = (await import('#chat/lambda')).handler;

    const response = await callStreaming(chat, {
      method: 'POST',
      path: `/api/conversations/${conversation.id}/messages`,
      token: member.token,
      body: { content: 'Hello' },
    });

    expect(response.status).toBe(429);
    expect(response.text).toContain('7000 tokens');
  });
});
