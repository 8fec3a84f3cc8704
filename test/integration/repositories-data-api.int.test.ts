import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { postgresConversations } from '../../functions/conversations/adapters/postgres-conversations';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { createDatabase } from '../../functions/shared/db/database';
import type { SqlDatabase } from '../../functions/shared/db/sql';
import { createSqlDatabase } from '../../functions/shared/db/sql-database';
import type { Database } from '../../functions/shared/db/schema';
import { postgresUserDirectory } from '../../functions/users/adapters/postgres-user-directory';
import {
  dataApiTestConfig,
  startDataApiOnPostgres,
  type DataApiOnPostgresServer,
} from '../support/data-api-on-postgres';
import { createTestUser } from '../support/database';

/**
 * The repositories the API uses, run through the Data API driver (as on Aurora) against real
 * PostgreSQL: the SQL, parameter types and result mapping that deploy are the ones tested here.
 */
let dataApi: DataApiOnPostgresServer;
let db: Kysely<Database>;
/** The query layer the handlers use, on the same Data API. */
let queries: SqlDatabase;

beforeAll(async () => {
  dataApi = await startDataApiOnPostgres({ serverUrl: inject('databaseUrl') });
  db = createDatabase(dataApiTestConfig(), { rdsData: dataApi.client });
  queries = createSqlDatabase(dataApiTestConfig(), { rdsData: dataApi.client });
});
afterAll(async () => {
  await db.destroy();
  await queries.destroy();
  await dataApi.close();
});

describe('conversations repository on the Data API', () => {
  it('creates, pages, reads, renames and deletes, scoped to the owner', async () => {
    const repo = postgresConversations(queries);
    const owner = await createTestUser(db);
    const other = await createTestUser(db);
    const created = [];
    for (const title of ['a', 'b', 'c']) created.push(await repo.create(owner.id, title));
    expect(created[0]).toMatchObject({ title: 'a', messageCount: 0 });
    expect(created[0]?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const first = await repo.list(owner.id, { limit: 2 });
    expect(first.items.map((c) => c.title)).toEqual(['c', 'b']);
    expect(first.nextCursor).not.toBeNull();
    const { decodeCursor } = await import('../../functions/shared/pagination/cursor');
    const second = await repo.list(owner.id, { limit: 2, cursor: decodeCursor(first.nextCursor ?? '') });
    expect(second.items.map((c) => c.title)).toEqual(['a']);
    expect(second.nextCursor).toBeNull();

    const id = created[1]?.id ?? '';
    expect(await repo.get(other.id, id)).toBeUndefined();
    expect((await repo.rename(owner.id, id, 'renamed'))?.title).toBe('renamed');
    expect(await repo.rename(other.id, id, 'stolen')).toBeUndefined();
    expect(await repo.remove(other.id, id)).toBe(false);
    expect(await repo.remove(owner.id, id)).toBe(true);
    expect(await repo.get(owner.id, id)).toBeUndefined();
    expect((await repo.list(owner.id, { limit: 10, q: 'A' })).items.map((c) => c.title)).toEqual(['a']);
  });
});

describe('user directory and audit on the Data API', () => {
  it('provisions a user once and sums this month’s usage', async () => {
    const users = postgresUserDirectory(queries);
    const id = `sub-${Date.now()}`;
    const profile = await users.provision({
      id,
      email: 'Mixed@Case.test',
      role: 'members',
      kind: 'user',
    });
    // null: the role's default applies.
    expect(profile).toMatchObject({
      id,
      email: 'mixed@case.test',
      displayName: 'Mixed',
      monthlyTokens: null,
    });
    expect((await users.provision({ id, email: 'x@y.z', role: null, kind: 'user' })).email).toBe(
      'mixed@case.test',
    );
    const now = new Date();
    await db
      .insertInto('usage_daily')
      .values({
        user_id: id,
        day: sql<string>`cast(${now.toISOString().slice(0, 10)} as date)`,
        model: 'm',
        prompt_tokens: 7,
        completion_tokens: 5,
        cost_micros: 1,
      })
      .execute();
    expect(await users.tokensUsedSince(id, now)).toBe(12);
  });

  it('appends audit events with JSON details', async () => {
    const targetId = `target-${Date.now()}`;
    await postgresAuditLog(queries).record({
      actorId: 'someone',
      action: 'test.event',
      targetType: 'thing',
      targetId,
      details: { n: 1 },
    });
    const row = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('target_id', '=', targetId)
      .executeTakeFirstOrThrow();
    expect(row.details).toEqual({ n: 1 });
  });
});
