import { afterAll, describe, expect, it } from 'vitest';
import { sqlOnDataApi } from '#test/support/data-api-on-postgres';
import { createTestUser, testDatabase, testSql } from '#test/support/database';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import { estimateCostMicros } from '../domain/pricing';
import { postgresMessages } from './postgres-messages';

/**
 * A reply left `streaming` by a function that died is marked failed by the next turn in its
 * conversation; its usage never came, so it is charged then, by estimate, as a stopped reply is.
 */
const pgDb = testDatabase();
const pgSql = testSql();
const onDataApi = sqlOnDataApi();

afterAll(async () => {
  await pgSql.destroy();
  await pgDb.destroy();
});

describe.each([
  ['node-postgres', () => pgSql],
  ['the Data API', () => onDataApi.db()],
])('a turn after a reply whose function died, on %s', (_driver, database) => {
  it('marks the reply failed and charges it once, by estimate, to its owner and model', async () => {
    // Prepare: a question and its reply, 400 characters kept, last saved 10 minutes ago
    const owner = await createTestUser(pgDb);
    const { id: conversationId } = await pgDb
      .insertInto('conversations')
      .values({ owner_id: owner.id, title: DEFAULT_TITLE, message_count: 2 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    await pgDb
      .insertInto('messages')
      .values([
        {
          conversation_id: conversationId,
          owner_id: owner.id,
          role: 'user',
          content: 'q'.repeat(80),
          status: 'complete',
          created_at: new Date(tenMinutesAgo.getTime() - 1000),
        },
        {
          conversation_id: conversationId,
          owner_id: owner.id,
          role: 'assistant',
          content: 'a'.repeat(400),
          status: 'streaming',
          model: 'gpt-4o',
          created_at: tenMinutesAgo,
          updated_at: tenMinutesAgo,
        },
      ])
      .execute();

    // Act: the next message; then another, which finds nothing left to charge
    const turn = () =>
      postgresMessages(database()).startTurn({
        ownerId: owner.id,
        conversationId,
        content: 'Are you there?',
        model: 'gpt-4o-mini',
        titleIfFirst: 'A title',
      });
    const started = await turn();
    if (started.kind !== 'started') throw new Error('not started');
    await pgDb
      .updateTable('messages')
      .set({ status: 'complete' })
      .where('id', '=', started.assistantMessage.id)
      .execute();
    await turn();

    // Assess
    const usage = await pgDb
      .selectFrom('usage_daily')
      .select(['model', 'requests', 'prompt_tokens', 'completion_tokens', 'cost_micros'])
      .where('user_id', '=', owner.id)
      .execute();
    expect(usage).toHaveLength(1);
    const [row] = usage;
    expect(row).toMatchObject({ model: 'gpt-4o', requests: 1, completion_tokens: 100 });
    expect(row?.prompt_tokens).toBeGreaterThanOrEqual(20);
    expect(Number(row?.cost_micros)).toBe(
      estimateCostMicros('gpt-4o', Number(row?.prompt_tokens), Number(row?.completion_tokens)),
    );
    expect(Number(row?.cost_micros)).toBeGreaterThan(0);
    const failed = await pgDb
      .selectFrom('messages')
      .select(['status', 'error'])
      .where('conversation_id', '=', conversationId)
      .where('model', '=', 'gpt-4o')
      .executeTakeFirstOrThrow();
    expect(failed).toEqual({ status: 'failed', error: 'The reply was interrupted.' });
  });
});
