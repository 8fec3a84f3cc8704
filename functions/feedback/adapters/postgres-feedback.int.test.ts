import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCursor } from '#shared/pagination/cursor';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, holdingLocks, testDatabase, testSql, untilBlockedBy } from '#test/support/database';
import { postgresFeedback } from './postgres-feedback';

/*
 * Feedback keeps its reply's conversation and model (migration 0025), and the admin list reads
 * them there instead of joining every message. During a canary the previous release still inserts
 * feedback without them: such a row is listed, counted and filtered by its reply's. Each test
 * lists a model of its own (test files share the database).
 */
const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();
const userIds: string[] = [];

afterAll(async () => {
  // Their conversations, replies and feedback go with them (on delete cascade).
  if (userIds.length) await db.deleteFrom('users').where('id', 'in', userIds).execute();
  await db.destroy();
  await queries.destroy();
});

async function owner() {
  const user = await createTestUser(db);
  userIds.push(user.id);
  return user.id;
}

/** A conversation of `ownerId` with one finished reply by `model`. */
async function reply(ownerId: string, model: string) {
  const conversation = await db
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: 'Feedback' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const message = await db
    .insertInto('messages')
    .values({
      conversation_id: conversation.id,
      owner_id: ownerId,
      role: 'assistant',
      content: 'Because.',
      status: 'complete',
      model,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { conversationId: conversation.id, messageId: message.id };
}

/** Feedback as the previous release writes it: without the conversation or the model. */
async function givenByPreviousRelease(
  ownerId: string,
  messageId: string,
  rating: 'up' | 'down',
  updatedAt: Date,
) {
  await db
    .insertInto('message_feedback')
    .values({ message_id: messageId, owner_id: ownerId, rating, updated_at: updatedAt })
    .execute();
}

const stored = (messageId: string) =>
  db
    .selectFrom('message_feedback')
    .select(['conversation_id', 'model'])
    .where('message_id', '=', messageId)
    .executeTakeFirstOrThrow();

const deleteConversation = (id: string) =>
  db.updateTable('conversations').set({ deleted_at: new Date() }).where('id', '=', id).execute();

describe.each([
  ['PostgreSQL', () => queries],
  ['the Data API', () => onDataApi.db()],
])('postgresFeedback on %s', (_driver, database) => {
  it("keeps the reply's conversation and model with the feedback, and fills them in on a row written without", async () => {
    // Prepare
    const model = `model-${randomUUID().slice(0, 8)}`;
    const ownerId = await owner();
    const fresh = await reply(ownerId, model);
    const old = await reply(ownerId, model);
    await givenByPreviousRelease(ownerId, old.messageId, 'up', new Date());
    const feedback = postgresFeedback(database());

    // Act
    const saved = await feedback.save(ownerId, fresh.conversationId, fresh.messageId, { rating: 'up' });
    const replaced = await feedback.save(ownerId, old.conversationId, old.messageId, { rating: 'down' });

    // Assess
    expect(saved.kind).toBe('saved');
    expect(replaced.kind).toBe('saved');
    expect(await stored(fresh.messageId)).toEqual({ conversation_id: fresh.conversationId, model });
    expect(await stored(old.messageId)).toEqual({ conversation_id: old.conversationId, model });
  });

  it("lists, counts and filters a row the previous release wrote by its reply's model, in order with the others", async () => {
    // Prepare: newest first: a new row, a previous release's row, a new row; and a previous
    // release's row on another model, which the filter leaves out.
    const model = `model-${randomUUID().slice(0, 8)}`;
    const ownerId = await owner();
    const [newest, old, oldest] = [
      await reply(ownerId, model),
      await reply(ownerId, model),
      await reply(ownerId, model),
    ];
    const elsewhere = await reply(ownerId, `${model}-other`);
    const feedback = postgresFeedback(database());
    await feedback.save(ownerId, oldest.conversationId, oldest.messageId, { rating: 'down' });
    await givenByPreviousRelease(ownerId, old.messageId, 'down', new Date(Date.now() + 60_000));
    await givenByPreviousRelease(ownerId, elsewhere.messageId, 'down', new Date(Date.now() + 60_000));
    await feedback.save(ownerId, newest.conversationId, newest.messageId, { rating: 'up' });
    await db
      .updateTable('message_feedback')
      .set({ updated_at: new Date(Date.now() + 120_000) })
      .where('message_id', '=', newest.messageId)
      .execute();

    // Act
    const all = await feedback.list({ limit: 10, model });
    const first = await feedback.list({ limit: 2, model });
    const second = await feedback.list({ limit: 2, model, cursor: decodeCursor(first.nextCursor ?? '') });
    const downs = await feedback.list({ limit: 10, model, rating: 'down' });

    // Assess
    expect(all.items.map((e) => [e.messageId, e.model])).toEqual([
      [newest.messageId, model],
      [old.messageId, model],
      [oldest.messageId, model],
    ]);
    expect(all.totals).toEqual({ up: 1, down: 2 });
    expect([...first.items, ...second.items].map((e) => e.messageId)).toEqual(
      all.items.map((e) => e.messageId),
    );
    expect(second.nextCursor).toBeNull();
    expect(first.totals).toEqual({ up: 1, down: 2 });
    expect(downs.items.map((e) => e.messageId)).toEqual([old.messageId, oldest.messageId]);
    expect(downs.totals).toEqual({ up: 0, down: 2 });
    const other = await feedback.list({ limit: 10, model: `${model}-other` });
    expect(other.items.map((e) => [e.messageId, e.model])).toEqual([[elsewhere.messageId, `${model}-other`]]);
  });

  it("drops feedback on a deleted conversation from the page and the totals, either release's row", async () => {
    // Prepare: two conversations deleted (one rated by this release, one by the previous), one live
    const model = `model-${randomUUID().slice(0, 8)}`;
    const ownerId = await owner();
    const [live, goneNew, goneOld] = [
      await reply(ownerId, model),
      await reply(ownerId, model),
      await reply(ownerId, model),
    ];
    const feedback = postgresFeedback(database());
    await feedback.save(ownerId, live.conversationId, live.messageId, { rating: 'up' });
    await feedback.save(ownerId, goneNew.conversationId, goneNew.messageId, { rating: 'down' });
    await givenByPreviousRelease(ownerId, goneOld.messageId, 'down', new Date());
    const before = await feedback.list({ limit: 10, model });

    // Act
    await deleteConversation(goneNew.conversationId);
    await deleteConversation(goneOld.conversationId);
    const after = await feedback.list({ limit: 10, model });
    const downs = await feedback.list({ limit: 10, model, rating: 'down' });

    // Assess
    expect(before.totals).toEqual({ up: 1, down: 2 });
    expect(after.items.map((e) => e.messageId)).toEqual([live.messageId]);
    expect(after.totals).toEqual({ up: 1, down: 0 });
    expect(downs).toEqual({ items: [], nextCursor: null, totals: { up: 0, down: 0 } });
  });

  it.each(['a first rating', 'a changed rating'])(
    'dates %s when it is written, after waiting for its reply, so a list paged meanwhile cannot pass over it',
    async (kind) => {
      // Prepare: the reply held by another transaction (a reply finishing, a regeneration)
      const ownerId = await owner();
      const target = await reply(ownerId, 'gpt-4o');
      const feedback = postgresFeedback(database());
      if (kind === 'a changed rating')
        await feedback.save(ownerId, target.conversationId, target.messageId, { rating: 'up' });
      const held = await holdingLocks('select 1 from messages where id = $1 for update', [target.messageId]);

      // Act: the save waits for it; a reader pages past "now" before the holder commits
      const saving = feedback.save(ownerId, target.conversationId, target.messageId, { rating: 'down' });
      await untilBlockedBy(db, held.pid);
      const { rows } = await sql<{ at: string }>`
        select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`.execute(
        db,
      );
      await held.release();
      const saved = await saving;

      // Assess: dated after the wait, so newer than anything a list read before the commit saw
      expect(saved.kind).toBe('saved');
      const updatedAt = saved.kind === 'saved' ? saved.feedback.updatedAt : '';
      expect(updatedAt > (rows[0]?.at ?? '')).toBe(true);
    },
  );
});
