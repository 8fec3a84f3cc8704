import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
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
