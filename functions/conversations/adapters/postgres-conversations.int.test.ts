import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql, untilBlockedBy } from '#test/support/database';
import { DEFAULT_TITLE } from '../domain/conversation';
import { postgresConversations } from './postgres-conversations';

const pgDb = testDatabase();
const pgSql = testSql();
const onDataApi = sqlOnDataApi();

afterAll(async () => {
  await pgSql.destroy();
  await pgDb.destroy();
});

/**
 * A turn on a connection of its own that holds the conversation's lock and has stored its reply
 * being written, uncommitted: as the turn statement leaves them until it commits.
 */
async function turnHolding(conversationId: string, ownerId: string) {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  await client.query('begin');
  await client.query(
    `update conversations set message_count = message_count + 2, updated_at = now() where id = $1`,
    [conversationId],
  );
  const inserted = await client.query<{ id: string; role: string }>(
    `insert into messages (conversation_id, owner_id, role, content, status)
     values ($1, $2, 'user', 'Hi', 'complete'), ($1, $2, 'assistant', '', 'streaming')
     returning id, role`,
    [conversationId, ownerId],
  );
  return {
    pid: rows[0]?.pid ?? 0,
    replyId: String(inserted.rows.find((r) => r.role === 'assistant')?.id),
    commit: async () => {
      await client.query('commit');
      await client.end();
    },
  };
}

describe.each([
  ['node-postgres', () => pgSql],
  ['the Data API', () => onDataApi.db()],
])('remove on %s', (_driver, database) => {
  it('asks a reply to stop whose turn committed while the delete waited for the conversation', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const { id: conversationId } = await pgDb
      .insertInto('conversations')
      .values({ owner_id: owner.id, title: DEFAULT_TITLE })
      .returning('id')
      .executeTakeFirstOrThrow();
    const turn = await turnHolding(conversationId, owner.id);

    // Act: the delete's snapshot predates the turn's commit; it waits for the conversation meanwhile
    const removing = postgresConversations(database()).remove(owner.id, conversationId);
    await untilBlockedBy(pgDb, turn.pid).finally(turn.commit);
    const removed = await removing;

    // Assess: the model is not left writing, unseen and charged, into a deleted conversation
    expect(removed).toBe(true);
    const reply = await pgDb
      .selectFrom('messages')
      .select(['status', 'stop_requested_at'])
      .where('id', '=', turn.replyId)
      .executeTakeFirstOrThrow();
    expect(reply.status).toBe('streaming');
    expect(reply.stop_requested_at).not.toBeNull();
  });
});
