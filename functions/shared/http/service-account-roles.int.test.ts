import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import type { Cache } from '../cache/cache';
import { serviceRoleKey } from '../cache/keys';
import { forgetRequestOrigin, rememberRequestOrigin } from '../audit/request-origin';
import { memoryCache } from '../cache/memory-cache';
import {
  postgresServiceAccountRoles,
  refreshServiceRole,
  SERVICE_ROLE_TTL_SECONDS,
} from './service-account-roles';

const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();
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

  it('keeps an admin change when a request read the role before it committed and cached it after', async () => {
    // Prepare: a request that has read the role (members) and is held before it fills the cache
    const client = await service();
    const cache = memoryCache();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let hasRead!: () => void;
    const read = new Promise<void>((resolve) => (hasRead = resolve));
    const slow = setUp({
      ...cache,
      set: async (...args: Parameters<typeof cache.set>) => {
        hasRead();
        await held;
        return cache.set(...args);
      },
    }).roles;
    const stale = slow.roleOf(client.id);
    await read;

    // Act: the admin's change commits and writes its value; then the held request fills the cache
    await db.updateTable('users').set({ role: 'auditors' }).where('id', '=', client.id).execute();
    await refreshServiceRole(queries, cache, client.id);
    release();
    expect(await stale).toBe('members');

    // Assess: the next request has the new role
    expect(await setUp(cache).roles.roleOf(client.id)).toBe('auditors');
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

  it('registers a client seen for the first time: a service account without a role, audited once, naming the request', async () => {
    // Prepare: the request's origin, as the authentication middleware notes it
    const clientId = `client-${randomUUID()}`;
    const requestId = `req-${randomUUID()}`;
    rememberRequestOrigin(requestId, { sourceIp: '198.51.100.4', userAgent: 'batch-job/1.0' });
    const { roles } = setUp();

    // Act
    const first = await roles.roleOf(clientId, requestId);
    const again = await setUp().roles.roleOf(clientId, `req-${randomUUID()}`);
    forgetRequestOrigin(requestId);

    // Assess: still no role (403 until an admin gives one), one row, one audit event
    expect([first, again]).toEqual([null, null]);
    expect(
      await db
        .selectFrom('users')
        .select(['email', 'display_name', 'role', 'status', 'kind'])
        .where('id', '=', clientId)
        .execute(),
    ).toEqual([
      { email: clientId, display_name: 'Machine client', role: null, status: 'active', kind: 'service' },
    ]);
    expect(await auditOf(clientId)).toEqual([
      {
        actor_id: clientId,
        action: 'service-account.registered',
        target_type: 'user',
        request_id: requestId,
        source_ip: '198.51.100.4',
        user_agent: 'batch-job/1.0',
        details: { after: { kind: 'service', role: null, status: 'active' } },
      },
    ]);

    // Once an admin gives it a role, that is its role
    await db.updateTable('users').set({ role: 'members' }).where('id', '=', clientId).execute();
    expect(await setUp().roles.roleOf(clientId)).toBe('members');
  });

  it('registers through the Data API too, with its encodings (nulls, jsonb)', async () => {
    const clientId = `client-${randomUUID()}`;
    const roles = postgresServiceAccountRoles(
      () => onDataApi.db(),
      () => memoryCache(),
      { cacheLookup: () => undefined },
    );
    expect(await roles.roleOf(clientId)).toBeNull();
    expect(await auditOf(clientId)).toEqual([
      expect.objectContaining({ actor_id: clientId, request_id: null, source_ip: null, user_agent: null }),
    ]);
  });

  it('registers a client once when its first requests arrive together', async () => {
    const clientId = `client-${randomUUID()}`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => setUp().roles.roleOf(clientId)));
    expect(answers).toEqual(Array.from({ length: 6 }, () => null));
    expect(await db.selectFrom('users').select('id').where('id', '=', clientId).execute()).toHaveLength(1);
    expect(await auditOf(clientId)).toHaveLength(1);
  });

  it('registers nothing over a person or a disabled service account under the id', async () => {
    const disabled = await service({ status: 'disabled' });
    const person = await createTestUser(db);
    const { roles } = setUp();

    expect(await roles.roleOf(disabled.id)).toBeNull();
    expect(await roles.roleOf(person.id)).toBeNull();

    expect(await auditOf(disabled.id)).toEqual([]);
    expect(await auditOf(person.id)).toEqual([]);
    const rows = await db
      .selectFrom('users')
      .select(['id', 'kind', 'status'])
      .where('id', 'in', [disabled.id, person.id])
      .execute();
    expect(new Set(rows.map((r) => `${r.kind}:${r.status}`))).toEqual(
      new Set(['service:disabled', 'user:active']),
    );
  });
});

/** The audit events about a client (as the registration writes them). */
const auditOf = (clientId: string) =>
  db
    .selectFrom('audit_events')
    .select(['actor_id', 'action', 'target_type', 'request_id', 'source_ip', 'user_agent', 'details'])
    .where('target_id', '=', clientId)
    .execute();
