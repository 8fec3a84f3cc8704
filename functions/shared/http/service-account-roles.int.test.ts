import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import type { Cache } from '../cache/cache';
import { serviceRoleKey } from '../cache/keys';
import { memoryCache } from '../cache/memory-cache';
import { postgresServiceAccountRoles, SERVICE_ROLE_TTL_SECONDS } from './service-account-roles';

const db = testDatabase();
const queries = testSql();
afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

function setUp(cache: Cache = memoryCache()) {
  const recorded: string[] = [];
  const roles = postgresServiceAccountRoles(
    () => queries,
    () => cache,
    { cacheLookup: (what, hit) => recorded.push(`${what}:${hit ? 'hit' : 'miss'}`) },
  );
  return { roles, recorded, cache };
}

const service = (overrides: Parameters<typeof createTestUser>[1] = {}) =>
  createTestUser(db, { id: `client-${randomUUID()}`, kind: 'service', role: 'members', ...overrides });

describe('postgresServiceAccountRoles', () => {
  it("answers an active service account's role, the second time from the cache", async () => {
    // Prepare
    const client = await service();
    const { roles, recorded, cache } = setUp();

    // Act
    const first = await roles.roleOf(client.id);
    await db.updateTable('users').set({ role: 'auditors' }).where('id', '=', client.id).execute();
    const second = await roles.roleOf(client.id);

    // Assess: the change made around the admin API waits for the entry to go.
    expect([first, second]).toEqual(['members', 'members']);
    expect(recorded).toEqual(['service-role:miss', 'service-role:hit']);
    await cache.delete(serviceRoleKey(client.id));
    expect(await roles.roleOf(client.id)).toBe('auditors');
  });

  it('answers null for a disabled service account, a person and an unknown client, and caches it', async () => {
    const disabled = await service({ status: 'disabled' });
    const person = await createTestUser(db);
    const { roles, recorded } = setUp();

    for (const id of [disabled.id, person.id, `client-${randomUUID()}`]) {
      expect(await roles.roleOf(id)).toBeNull();
      expect(await roles.roleOf(id)).toBeNull();
    }
    expect(recorded.filter((r) => r.endsWith('hit'))).toHaveLength(3);
  });

  it('keeps an entry no longer than the TTL', async () => {
    let now = 0;
    const client = await service();
    const { roles } = setUp(memoryCache(() => now));
    await roles.roleOf(client.id);
    await db.updateTable('users').set({ role: 'admins' }).where('id', '=', client.id).execute();

    now += (SERVICE_ROLE_TTL_SECONDS + 1) * 1000;

    expect(await roles.roleOf(client.id)).toBe('admins');
  });

  it('answers from the database when the cache fails', async () => {
    const client = await service();
    const broken: Cache = {
      ...memoryCache(),
      get: () => Promise.reject(new Error('cache down')),
      set: () => Promise.reject(new Error('cache down')),
    };
    const { roles } = setUp(broken);

    expect(await roles.roleOf(client.id)).toBe('members');
  });
});
