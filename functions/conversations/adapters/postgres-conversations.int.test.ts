import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTestUser, untilBlockedBy } from '#test/support/database';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { ConversationLimitError, DEFAULT_TITLE } from '../domain/conversation';
import { postgresConversations } from './postgres-conversations';

const { pgDb, drivers } = repositoryDrivers();

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

describe.each(drivers)('remove on %s', (_driver, database) => {
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

describe.each(drivers)('the cap on live conversations on %s', (_driver, database) => {
  const maxLive = 3;
  const liveOf = async (ownerId: string) =>
    (
      await pgDb
        .selectFrom('conversations')
        .select('id')
        .where('owner_id', '=', ownerId)
        .where('deleted_at', 'is', null)
        .execute()
    ).length;

  it('refuses the conversation past the cap and stores nothing', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const repo = postgresConversations(database());
    for (const title of ['a', 'b', 'c']) await repo.create(owner.id, title, { maxLive });

    // Act
    const refused = repo.create(owner.id, 'd', { maxLive });

    // Assess
    await expect(refused).rejects.toThrow(ConversationLimitError);
    await expect(refused).rejects.toMatchObject({ status: 409, slug: 'conversation-limit' });
    expect(await liveOf(owner.id)).toBe(3);
    expect(
      await pgDb
        .selectFrom('conversations')
        .where('title', '=', 'd')
        .where('owner_id', '=', owner.id)
        .select('id')
        .execute(),
    ).toEqual([]);
  });

  it('does not count a deleted conversation, nor another person’s', async () => {
    // Prepare: the owner at the cap, one of theirs deleted; someone else at the cap too
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const repo = postgresConversations(database());
    const mine = [];
    for (const title of ['a', 'b', 'c']) mine.push(await repo.create(owner.id, title, { maxLive }));
    for (const title of ['x', 'y']) await repo.create(other.id, title, { maxLive });
    expect(await repo.remove(owner.id, mine[0]?.id ?? '')).toBe(true);

    // Act
    const created = await repo.create(owner.id, 'd', { maxLive });
    const othersThird = await repo.create(other.id, 'z', { maxLive });

    // Assess
    expect(created.title).toBe('d');
    expect(othersThird.title).toBe('z');
    expect(await liveOf(owner.id)).toBe(3);
    await expect(repo.create(other.id, 'too many', { maxLive })).rejects.toThrow(ConversationLimitError);
  });

  it('refuses to restore a deleted conversation past the cap, and leaves it deleted', async () => {
    // Prepare: one deleted, then the owner back at the cap
    const owner = await createTestUser(pgDb);
    const repo = postgresConversations(database());
    const first = await repo.create(owner.id, 'a', { maxLive });
    await repo.remove(owner.id, first.id);
    for (const title of ['b', 'c', 'd']) await repo.create(owner.id, title, { maxLive });

    // Act
    const refused = repo.restore(owner.id, first.id, { maxLive });

    // Assess
    await expect(refused).rejects.toThrow(ConversationLimitError);
    const row = await pgDb
      .selectFrom('conversations')
      .select('deleted_at')
      .where('id', '=', first.id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect(await liveOf(owner.id)).toBe(3);
  });

  it('restores under the cap, and still finds nothing to restore for another owner or a live one', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const repo = postgresConversations(database());
    const first = await repo.create(owner.id, 'a', { maxLive });
    await repo.create(owner.id, 'b', { maxLive });
    await repo.remove(owner.id, first.id);
    await repo.create(owner.id, 'c', { maxLive });

    // Act
    const byAnother = await repo.restore(other.id, first.id, { maxLive });
    const restored = await repo.restore(owner.id, first.id, { maxLive });

    // Assess: back, the owner at the cap; "not found", not the cap, for what is not theirs to restore
    expect(byAnother).toBeUndefined();
    expect(restored).toMatchObject({ id: first.id, title: 'a' });
    expect(await liveOf(owner.id)).toBe(3);
    expect(await repo.restore(owner.id, first.id, { maxLive })).toBeUndefined();
  });
});
