import { describe, expect, it } from 'vitest';
import { createTestUser } from '#test/support/database';
import { messageRows } from '#test/support/message-rows';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { QuotaExceededError, RepliesInFlightError } from '../domain/message';
import type { StartTurnInput } from '../ports/message-repository';
import { postgresMessages } from './postgres-message-repository';
import { promptSettingsOf } from '../domain/system-prompt';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

/**
 * The month's quota is checked before a reply and charged after it, so replies started together
 * would all pass it: the turn statement counts the owner's replies being written, in every
 * conversation, and starts one only under CHAT_MAX_REPLIES_IN_FLIGHT, atomically (parallel turns
 * of one owner wait for each other's lock on the owner's row).
 */
const { pgDb, pgSql, drivers } = repositoryDrivers();
const { conversationsOf, streamingOf } = messageRows(pgDb);

describe.each(drivers)('startTurn with a limit of replies in flight, on %s', (_driver, database) => {
  const turn = (input: Pick<StartTurnInput, 'ownerId' | 'conversationId'> & Partial<StartTurnInput>) =>
    postgresMessages(database()).startTurn({
      prompt: PROMPT,
      model: 'gpt-4o-mini',
      titleIfFirst: 'A title',
      content: 'Write me a long story',
      maxRepliesInFlight: 2,
      ...input,
    });

  it('refuses a reply beyond the limit in another conversation, writing nothing, and counts only the owner’s', async () => {
    // Prepare: two replies being written; another person's do not count
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const [a, b, c] = await conversationsOf(owner.id, 3);
    const [d] = await conversationsOf(other.id, 1);
    await turn({ ownerId: other.id, conversationId: d as string, maxRepliesInFlight: 1 });
    await turn({ ownerId: owner.id, conversationId: a as string });
    await turn({ ownerId: owner.id, conversationId: b as string });

    // Act
    const refused = await turn({ ownerId: owner.id, conversationId: c as string }).catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(RepliesInFlightError);
    expect(refused).toMatchObject({ status: 429, retryAfterSeconds: 5 });
    expect((refused as Error).message).toMatch(/limit of 2 replies being written at once/);
    const messagesOfC = await pgDb
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', c as string)
      .execute();
    expect(messagesOfC).toEqual([]);
    expect(await streamingOf(owner.id)).toHaveLength(2);
  });

  it('starts the reply again once one has ended, and does not count a reply abandoned long ago', async () => {
    const owner = await createTestUser(pgDb);
    const [a, b, c] = await conversationsOf(owner.id, 3);
    const first = await turn({ ownerId: owner.id, conversationId: a as string });
    await turn({ ownerId: owner.id, conversationId: b as string });
    if (first.kind !== 'started') throw new Error('not started');

    // One ends; the other's function died 10 minutes ago
    await pgDb
      .updateTable('messages')
      .set({ status: 'complete' })
      .where('id', '=', first.assistantMessage.id)
      .execute();
    await pgDb
      .updateTable('messages')
      .set({ updated_at: new Date(Date.now() - 10 * 60_000) })
      .where('conversation_id', '=', b as string)
      .where('status', '=', 'streaming')
      .execute();

    const started = await turn({ ownerId: owner.id, conversationId: c as string });
    const another = await turn({ ownerId: owner.id, conversationId: a as string });
    expect(started.kind).toBe('started');
    expect(another.kind).toBe('started');
  });

  it('refuses a regeneration beyond the limit too, leaving the reply as it was', async () => {
    // Prepare: a complete reply in c, then two replies being written elsewhere
    const owner = await createTestUser(pgDb);
    const [a, b, c] = await conversationsOf(owner.id, 3);
    const inC = await turn({ ownerId: owner.id, conversationId: c as string });
    if (inC.kind !== 'started') throw new Error('not started');
    await pgDb
      .updateTable('messages')
      .set({ status: 'complete', content: 'The first answer' })
      .where('id', '=', inC.assistantMessage.id)
      .execute();
    await turn({ ownerId: owner.id, conversationId: a as string });
    await turn({ ownerId: owner.id, conversationId: b as string });

    // Act
    const regenerate = (maxRepliesInFlight: number | undefined) =>
      postgresMessages(database()).startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId: c as string,
        replyId: inC.assistantMessage.id,
        model: 'gpt-4o-mini',
        ...(maxRepliesInFlight === undefined ? {} : { maxRepliesInFlight }),
      });
    const refused = await regenerate(2).catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(RepliesInFlightError);
    const reply = await pgDb
      .selectFrom('messages')
      .select(['status', 'content'])
      .where('id', '=', inC.assistantMessage.id)
      .executeTakeFirstOrThrow();
    expect(reply).toEqual({ status: 'complete', content: 'The first answer' });
    expect((await regenerate(3)).assistantMessage).toMatchObject({ status: 'streaming', content: '' });
  });

  it("checks the month's quota it is given: refuses from the month's charges reaching it, counts only that month's", async () => {
    // Prepare: 99 tokens charged this month, 500 on the last day of the month before
    const owner = await createTestUser(pgDb);
    const [a, b] = await conversationsOf(owner.id, 2);
    const now = new Date();
    const since = `${now.toISOString().slice(0, 8)}01`;
    const lastMonth = new Date(Date.parse(since) - 86_400_000).toISOString().slice(0, 10);
    const charge = (day: string, model: string, tokens: number) =>
      pgDb
        .insertInto('usage_daily')
        .values({ user_id: owner.id, day, model, prompt_tokens: tokens, completion_tokens: 0 })
        .execute();
    await charge(lastMonth, 'gpt-4o-mini', 500);
    await charge(since, 'gpt-4o-mini', 60);
    await charge(now.toISOString().slice(0, 10), 'gpt-4o', 39);
    const quota = { tokens: 100, since, retryAfterSeconds: 42 };

    // Act: under the quota by one token, then at it
    const started = await turn({ ownerId: owner.id, conversationId: a as string, quota });
    await charge(lastMonth, 'gpt-4o', 1);
    await pgDb
      .updateTable('usage_daily')
      .set({ completion_tokens: 1 })
      .where('user_id', '=', owner.id)
      .where('day', '=', since)
      .execute();
    const refused = await turn({ ownerId: owner.id, conversationId: b as string, quota }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(started.kind).toBe('started');
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect(refused).toMatchObject({ status: 429, retryAfterSeconds: 42 });
    expect(await streamingOf(owner.id)).toHaveLength(1);
  });

  it('without a limit, starts as many as asked', async () => {
    const owner = await createTestUser(pgDb);
    const ids = await conversationsOf(owner.id, 4);
    for (const conversationId of ids)
      expect((await turn({ ownerId: owner.id, conversationId, maxRepliesInFlight: undefined })).kind).toBe(
        'started',
      );
  });
});

describe('startTurn sent thirty times at once, in thirty conversations', () => {
  it('starts exactly as many replies as the limit allows and refuses the rest with 429, never a 409', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const ids = await conversationsOf(owner.id, 30);
    const repository = postgresMessages(pgSql);

    // Act
    const outcomes = await Promise.allSettled(
      ids.map((conversationId) =>
        repository.startTurn({
          prompt: PROMPT,
          ownerId: owner.id,
          conversationId,
          content: 'Spend my quota',
          model: 'gpt-4o-mini',
          titleIfFirst: 'A title',
          maxRepliesInFlight: 3,
        }),
      ),
    );

    // Assess: every conversation is free, so none may be refused as busy
    const started = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(refused.filter((r) => !(r instanceof RepliesInFlightError))).toEqual([]);
    expect(started).toHaveLength(3);
    expect(refused).toHaveLength(27);
    expect(await streamingOf(owner.id)).toHaveLength(3);
  });
});
