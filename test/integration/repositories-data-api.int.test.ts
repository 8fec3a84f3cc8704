import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { postgresConversations } from '../../functions/conversations/adapters/postgres-conversations';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { postgresMessages } from '#chat/adapters/postgres-message-repository';
import { postgresFeedback } from '#feedback/adapters/postgres-feedback';
import { decodeCursor } from '#shared/pagination/cursor';
import { createDatabase } from '../../functions/shared/db/database';
import type { SqlDatabase } from '../../functions/shared/db/sql';
import { createSqlDatabase } from '../../functions/shared/db/sql-database';
import type { Database } from '../../functions/shared/db/schema';
import { postgresUserDirectory } from '../../functions/users/adapters/postgres-user-directory';
import { postgresInstructions } from '#users/adapters/postgres-instructions';
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
    const profile = await users.provision(
      { id, email: 'Mixed@Case.test', role: 'members', kind: 'user' },
      'req-data-api',
    );
    // null: the role's default applies.
    expect(profile).toMatchObject({
      id,
      email: 'mixed@case.test',
      displayName: 'Mixed',
      monthlyTokens: null,
    });
    expect((await users.provision({ id, email: 'x@y.z', role: null, kind: 'user' }, 'req-2')).email).toBe(
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

describe('feedback repository on the Data API', () => {
  it('keeps, replaces, lists and takes back feedback on finished replies only, scoped to the owner', async () => {
    // Prepare: a conversation with a finished and a streaming reply, of a model of this test's own.
    const feedback = postgresFeedback(queries);
    const owner = await createTestUser(db);
    const other = await createTestUser(db);
    const model = `data-api-${Date.now()}`;
    const conversation = await postgresConversations(queries).create(owner.id, 'rated');
    const reply = async (status: 'complete' | 'streaming', content: string) =>
      (
        await db
          .insertInto('messages')
          .values({
            // The Data API sends strings as varchar: the uuid column needs the cast.
            conversation_id: sql<string>`cast(${conversation.id} as uuid)`,
            owner_id: owner.id,
            role: 'assistant',
            content,
            status,
            model,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const done = await reply('complete', 'one');
    const writing = await reply('streaming', 'two');
    const second = await reply('complete', 'three');

    // Act and assess
    expect(await feedback.save(other.id, conversation.id, done, { rating: 'up' })).toEqual({
      kind: 'not-found',
    });
    expect(await feedback.save(owner.id, conversation.id, writing, { rating: 'up' })).toEqual({
      kind: 'not-finished',
    });
    const saved = await feedback.save(owner.id, conversation.id, done, { rating: 'up' });
    expect(saved).toMatchObject({ kind: 'saved', feedback: { messageId: done, rating: 'up', reason: null } });
    const replaced = await feedback.save(owner.id, conversation.id, done, {
      rating: 'down',
      reason: 'harmful',
      comment: 'Not okay',
    });
    expect(replaced).toMatchObject({
      kind: 'saved',
      feedback: { rating: 'down', reason: 'harmful', comment: 'Not okay' },
    });
    await feedback.save(owner.id, conversation.id, second, { rating: 'up' });

    const first = await feedback.list({ limit: 1, model });
    expect(first.items.map((e) => e.messageId)).toEqual([second]);
    expect(first.totals).toEqual({ up: 1, down: 1 });
    const next = await feedback.list({ limit: 1, model, cursor: decodeCursor(first.nextCursor ?? '') });
    expect(next.items).toMatchObject([{ messageId: done, email: owner.email, model, comment: 'Not okay' }]);
    expect(next.nextCursor).toBeNull();
    const today = new Date().toISOString().slice(0, 10);
    expect(
      (await feedback.list({ limit: 10, model, rating: 'down', reason: 'harmful', from: today, to: today }))
        .items,
    ).toHaveLength(1);

    const listed = await postgresMessages(queries).list(owner.id, conversation.id, { limit: 10 });
    expect(listed?.items.map((m) => m.feedback?.rating ?? null)).toEqual(['down', null, 'up']);

    expect(await feedback.remove(other.id, conversation.id, done)).toBe(false);
    expect(await feedback.remove(owner.id, conversation.id, done)).toBe(true);
    expect(await feedback.remove(owner.id, conversation.id, done)).toBe(true);
    expect((await feedback.list({ limit: 10, model })).totals).toEqual({ up: 1, down: 0 });
  });
});

describe('instructions on the Data API', () => {
  it('sets, reads and removes a person’s instructions, and says when there is no row', async () => {
    const store = postgresInstructions(queries);
    const owner = await createTestUser(db);
    expect(await store.get(owner.id)).toBeNull();
    expect(await store.set(owner.id, 'Réponds en français.\nBrièvement.')).toBe(true);
    expect(await store.get(owner.id)).toBe('Réponds en français.\nBrièvement.');
    expect(await store.set(owner.id, null)).toBe(true);
    expect(await store.get(owner.id)).toBeNull();
    expect(await store.set('nobody-at-all', 'x')).toBe(false);
  });
});
