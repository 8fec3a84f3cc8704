import { sql, type Transaction } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '#shared/db/schema';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createAgedConversation, createTestUser, testDatabase, testSql } from '#test/support/database';
import { postgresConversationPurge } from './conversation-purge';

const db = testDatabase();
const queries = testSql();
const onDataApi = sqlOnDataApi();
afterAll(async () => {
  await db.destroy();
  await queries.destroy();
});

const DAY = 86_400_000;
/** About a century, in days: dates older than any other test writes. */
const FAR = 36_500;

const conversation = (ownerId: string, daysAgo: number, deletedDaysAgo?: number) =>
  createAgedConversation(db, ownerId, daysAgo, deletedDaysAgo);

const exists = async (ids: string[]) => {
  const conversations = await db.selectFrom('conversations').select('id').where('id', 'in', ids).execute();
  const messages = await db
    .selectFrom('messages')
    .select('conversation_id')
    .where('conversation_id', 'in', ids)
    .execute();
  return {
    conversations: new Set(conversations.map((c) => c.id)),
    messages: new Set(messages.map((m) => m.conversation_id)),
  };
};

describe.each([
  ['pg', () => queries],
  ['the Data API', () => onDataApi.db()],
])('postgresConversationPurge on %s', (_driver, database) => {
  it('erases deleted conversations before the cut-off, with their messages, and nothing else', async () => {
    // Prepare: one owner's conversations, about a century old (test files share the database,
    // and no other test writes dates that far back), the cut-off between them
    const owner = await createTestUser(db);
    const longDeleted = await conversation(owner.id, FAR + 60, FAR + 40);
    const recentlyDeleted = await conversation(owner.id, FAR + 60, FAR + 5);
    const oldButKept = await conversation(owner.id, FAR + 400);
    const fresh = await conversation(owner.id, 0);
    const purge = postgresConversationPurge(database());

    // Act
    const erased = await purge.eraseDeleted(new Date(Date.now() - (FAR + 30) * DAY), 200);

    // Assess
    expect(erased).toBeGreaterThanOrEqual(1);
    const left = await exists([longDeleted, recentlyDeleted, oldButKept, fresh]);
    expect([...left.conversations].sort()).toEqual([recentlyDeleted, oldButKept, fresh].sort());
    expect(left.messages.has(longDeleted)).toBe(false);
    expect(left.messages.has(recentlyDeleted)).toBe(true);
  });

  it('erases inactive conversations, deleted or not, in batches of the limit', async () => {
    const owner = await createTestUser(db);
    const stale = [
      await conversation(owner.id, FAR + 800),
      await conversation(owner.id, FAR + 900, FAR + 850),
      await conversation(owner.id, FAR + 1000),
    ];
    const active = await conversation(owner.id, FAR + 1);
    const purge = postgresConversationPurge(database());
    const cutOff = new Date(Date.now() - (FAR + 700) * DAY);

    // Act: one, then batches of two until none of them is left (a bounded loop)
    const first = await purge.eraseInactive(cutOff, 1);
    let rounds = 0;
    while ((await exists(stale)).conversations.size > 0 && rounds < 10) {
      await purge.eraseInactive(cutOff, 2);
      rounds += 1;
    }

    // Assess
    expect(first).toBe(1);
    expect(rounds).toBeLessThanOrEqual(2);
    const left = await exists([...stale, active]);
    expect([...left.conversations]).toEqual([active]);
    expect([...left.messages]).toEqual([active]);
  });

  it('keeps a conversation whose reply is being written, of either kind, until the reply is finished', async () => {
    // Prepare: a deleted and an inactive conversation, both past their cut-offs, each with a reply
    // a chat function writes now (saved just now: no sweep takes it for abandoned), and one beside
    // them without
    const owner = await createTestUser(db);
    const deleted = await conversation(owner.id, FAR + 4060, FAR + 4040);
    const inactive = await conversation(owner.id, FAR + 4100);
    const erasable = await conversation(owner.id, FAR + 4060, FAR + 4040);
    const replies = await db
      .insertInto('messages')
      .values(
        [deleted, inactive].map((id) => ({
          conversation_id: id,
          owner_id: owner.id,
          role: 'assistant' as const,
          content: 'Half a reply',
          status: 'streaming' as const,
          model: 'gpt-4o-mini',
        })),
      )
      .returning('id')
      .execute();
    const purge = postgresConversationPurge(database());
    const deletedCutOff = new Date(Date.now() - (FAR + 4030) * DAY);
    const inactiveCutOff = new Date(Date.now() - (FAR + 4090) * DAY);

    // Act: batches of one, so a batch that chose a kept conversation would erase nothing
    const first = await purge.eraseDeleted(deletedCutOff, 1);
    const second = await purge.eraseDeleted(deletedCutOff, 1);
    const inactiveFirst = await purge.eraseInactive(inactiveCutOff, 1);
    const left = await exists([deleted, inactive, erasable]);
    // The replies finish; the next purge takes their conversations
    await db
      .updateTable('messages')
      .set({ status: 'complete' })
      .where(
        'id',
        'in',
        replies.map((r) => r.id),
      )
      .execute();
    const afterDeleted = await purge.eraseDeleted(deletedCutOff, 10);
    const afterInactive = await purge.eraseInactive(inactiveCutOff, 10);

    // Assess
    expect([first, second, inactiveFirst]).toEqual([1, 0, 0]);
    expect([...left.conversations].sort()).toEqual([deleted, inactive].sort());
    expect([...left.messages].sort()).toEqual([deleted, inactive].sort());
    expect(afterDeleted).toBeGreaterThanOrEqual(1);
    expect(afterInactive).toBeGreaterThanOrEqual(1);
    expect((await exists([deleted, inactive])).conversations.size).toBe(0);
  });

  it('finds nothing before any date stored, and refuses an invalid date before any SQL runs', async () => {
    const purge = postgresConversationPurge(database());
    await expect(purge.eraseDeleted(new Date('1800-01-01T00:00:00Z'), 10)).resolves.toBe(0);
    await expect(purge.eraseInactive(new Date(Number.NaN), 10)).rejects.toThrow(RangeError);
  });
});

describe('the purge of deleted conversations on PostgreSQL', () => {
  it('can read them through the partial index on deleted_at (migration 0014), not the whole table', async () => {
    const plan = await db.transaction().execute(async (tx) => {
      // Tables this small make a scan cheaper; forbidding it shows whether an index serves the condition.
      await sql`set local enable_seqscan = off`.execute(tx);
      return sql`explain (format json) select id from conversations where deleted_at < now() limit 200`.execute(
        tx,
      );
    });
    expect(JSON.stringify(plan.rows)).toContain('conversations_deleted_at_idx');
  });
});

describe('the purge against a conversation changed while it waits for the row', () => {
  /**
   * Runs `change` on the conversation in a transaction that stays open until the purge (`act`)
   * waits for its row lock, then commits it, and returns what the purge answered.
   */
  async function purgeWhileChanging(
    id: string,
    change: (trx: Transaction<Database>) => Promise<unknown>,
    act: () => Promise<number>,
  ) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding!: (pid: number) => void;
    const held = new Promise<number>((resolve) => (holding = resolve));
    const changing = db.transaction().execute(async (trx) => {
      await change(trx);
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      holding(rows[0]?.pid ?? 0);
      await released;
    });
    const pid = await held;
    const purging = act();
    // The purge has chosen the row and waits for the change's lock on it (bounded: 10 s).
    for (let tries = 0; tries < 200; tries++) {
      const { rows } = await sql<{ waiting: boolean }>`
        select exists (select 1 from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))) as waiting`.execute(
        db,
      );
      if (rows[0]?.waiting) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    release();
    await changing;
    return purging;
  }

  it('keeps a conversation restored while the purge of deleted ones waited for it', async () => {
    // Prepare: deleted long before the cut-off (dates no other test writes)
    const owner = await createTestUser(db);
    const restored = await conversation(owner.id, FAR + 3060, FAR + 3040);
    const purge = postgresConversationPurge(queries);

    // Act: the owner's restore holds the row while the purge picks it
    await purgeWhileChanging(
      restored,
      (trx) =>
        trx.updateTable('conversations').set({ deleted_at: null }).where('id', '=', restored).execute(),
      () => purge.eraseDeleted(new Date(Date.now() - (FAR + 3030) * DAY), 200),
    );

    // Assess: the restored conversation and its messages are all there
    const left = await exists([restored]);
    expect([...left.conversations]).toEqual([restored]);
    expect([...left.messages]).toEqual([restored]);
  });

  it('keeps a conversation written to while the purge of inactive ones waited for it', async () => {
    // Prepare: last written to long before the cut-off
    const owner = await createTestUser(db);
    const written = await conversation(owner.id, FAR + 3100);
    const purge = postgresConversationPurge(queries);

    // Act: a turn stores a message and touches the conversation, as the turn statement does
    await purgeWhileChanging(
      written,
      async (trx) => {
        await trx
          .updateTable('conversations')
          .set({ updated_at: new Date(), message_count: 3 })
          .where('id', '=', written)
          .execute();
        await trx
          .insertInto('messages')
          .values({ conversation_id: written, owner_id: owner.id, role: 'user', content: 'New text' })
          .execute();
      },
      () => purge.eraseInactive(new Date(Date.now() - (FAR + 3090) * DAY), 200),
    );

    // Assess: the conversation and the new message are kept
    const left = await exists([written]);
    expect([...left.conversations]).toEqual([written]);
    const texts = await db
      .selectFrom('messages')
      .select('content')
      .where('conversation_id', '=', written)
      .execute();
    expect(texts.map((m) => m.content)).toContain('New text');
  });
});
