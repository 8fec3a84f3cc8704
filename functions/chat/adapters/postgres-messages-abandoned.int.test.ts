import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestUser, untilBlockedBy } from '#test/support/database';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import { estimatePromptTokens, estimateReplyPromptTokens, tokensForBytes } from '../domain/context-window';
import { estimateCostMicros } from '../domain/pricing';
import { RepliesInFlightError } from '../domain/message';
import { promptSettingsOf } from '../domain/system-prompt';
import type { ChatTurn } from '../ports/chat-model';
import type { MessageRepository, StartTurnInput } from '../ports/message-repository';
import { postgresMessages } from './postgres-message-repository';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

/**
 * A reply left `streaming` by a function that died is marked failed by the next turn in its
 * conversation, or emptied by its regeneration; its usage never came, so it is charged then, by
 * estimate, as a stopped reply is: its kept text, and as its prompt what its call was sent (the
 * context window), once.
 */
const { pgDb, drivers } = repositoryDrivers();

describe.each(drivers)('a turn after a reply whose function died, on %s', (_driver, database) => {
  it('marks the reply failed and charges it once, by estimate, to its owner and model', async () => {
    // Prepare: a question and its reply, 400 characters kept (800 bytes: half of them CJK), last saved 10 minutes ago
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
          content: 'a'.repeat(200) + '潮'.repeat(200),
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
        prompt: PROMPT,
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
    expect(row).toMatchObject({ model: 'gpt-4o', requests: 1, completion_tokens: 200 });
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

/**
 * A conversation: `history` stored complete (oldest first), then a reply left `streaming`, last
 * saved `savedAt` (10 minutes ago unless given).
 */
async function withAbandonedReply(
  ownerId: string,
  history: readonly ChatTurn[],
  kept: string,
  savedAt = new Date(Date.now() - 10 * 60_000),
) {
  const { id: conversationId } = await pgDb
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: DEFAULT_TITLE, message_count: history.length + 1 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const tenMinutesAgo = savedAt.getTime();
  await pgDb
    .insertInto('messages')
    .values(
      history.map((turn, i) => ({
        conversation_id: conversationId,
        owner_id: ownerId,
        role: turn.role === 'assistant' ? ('assistant' as const) : ('user' as const),
        content: turn.content,
        status: 'complete' as const,
        created_at: new Date(tenMinutesAgo - (history.length - i) * 1000),
      })),
    )
    .execute();
  const { id: replyId } = await pgDb
    .insertInto('messages')
    .values({
      conversation_id: conversationId,
      owner_id: ownerId,
      role: 'assistant',
      content: kept,
      status: 'streaming',
      model: 'gpt-4o',
      created_at: new Date(tenMinutesAgo),
      updated_at: new Date(tenMinutesAgo),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { conversationId, replyId };
}

/** What finds the abandoned reply: a new message in its conversation, or its regeneration. */
function nextTurnBy(
  by: 'turn' | 'regeneration',
  repo: MessageRepository,
  ownerId: string,
  conversationId: string,
  replyId: string,
) {
  return by === 'turn'
    ? repo.startTurn({
        prompt: PROMPT,
        ownerId,
        conversationId,
        content: 'Are you there?',
        model: 'gpt-4o-mini',
        titleIfFirst: 'A title',
      })
    : repo.startRegeneration({ prompt: PROMPT, ownerId, conversationId, replyId, model: 'gpt-4o-mini' });
}

const usageOf = async (ownerId: string) =>
  (
    await pgDb
      .selectFrom('usage_daily')
      .select(['model', 'requests', 'prompt_tokens', 'completion_tokens', 'cost_micros'])
      .where('user_id', '=', ownerId)
      .orderBy('model')
      .execute()
  ).map((row) => ({ ...row, cost_micros: Number(row.cost_micros) }));

/** The usage row of one abandoned gpt-4o reply: `bytes` of UTF-8 kept, `promptTokens` its prompt's estimate. */
const abandonedUsage = (bytes: number, promptTokens: number) => {
  const completionTokens = tokensForBytes(bytes);
  return {
    model: 'gpt-4o',
    requests: 1,
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    cost_micros: estimateCostMicros('gpt-4o', promptTokens, completionTokens),
  };
};

const QUESTION: ChatTurn = { role: 'user', content: 'Tell me everything about tides.' };

describe.each(drivers)('regenerating a reply whose function died, on %s', (_driver, database) => {
  it('charges the text it kept once, before emptying it, and then the new reply as usual', async () => {
    // Prepare: a question and a gpt-4o reply of 10,000 emoji (40,000 bytes), last saved 10 minutes ago
    const owner = await createTestUser(pgDb);
    const { conversationId, replyId } = await withAbandonedReply(owner.id, [QUESTION], '🌊'.repeat(10_000));
    const repo = postgresMessages(database());
    const regenerate = () =>
      repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId,
        model: 'gpt-4o-mini',
      });

    // Act: the regeneration, the new reply's end, then another regeneration of the ended reply
    const started = await regenerate();
    await repo.finishTurn({
      ownerId: owner.id,
      assistantId: replyId,
      content: 'Tides follow the moon.',
      status: 'complete',
      model: 'gpt-4o-mini',
      promptTokens: 30,
      completionTokens: 6,
      costMicros: 9,
    });
    await regenerate();

    // Assess: the abandoned reply once (its question as the prompt, with the instructions), the new one as it ended
    expect(started.assistantMessage).toMatchObject({ id: replyId, content: '', status: 'streaming' });
    expect(await usageOf(owner.id)).toEqual([
      abandonedUsage(40_000, estimateReplyPromptTokens(PROMPT, null, [QUESTION])),
      { model: 'gpt-4o-mini', requests: 1, prompt_tokens: 30, completion_tokens: 6, cost_micros: 9 },
    ]);
    expect(abandonedUsage(40_000, 0).completion_tokens).toBe(10_000);
  });

  it('charges nothing for a reply that ended, failed or complete', async () => {
    const owner = await createTestUser(pgDb);
    const { conversationId, replyId } = await withAbandonedReply(owner.id, [QUESTION], 'a'.repeat(400));
    await pgDb.updateTable('messages').set({ status: 'failed' }).where('id', '=', replyId).execute();

    await postgresMessages(database()).startRegeneration({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      replyId,
      model: 'gpt-4o-mini',
    });

    expect(await usageOf(owner.id)).toEqual([]);
  });
});

describe.each(drivers)(
  'the prompt an abandoned reply of a long conversation is charged, on %s',
  (_driver, database) => {
    /** 20 complete messages of 30,000 characters, then the question the reply answered. */
    const history: ChatTurn[] = [
      ...Array.from({ length: 20 }, (_, i): ChatTurn => ({
        role: i % 2 === 0 ? 'user' : 'assistant',
        content: String(i % 10).repeat(30_000),
      })),
      QUESTION,
    ];
    const instructions = 'Answer in French.';

    it.each([
      ['a new message', 'turn'],
      ['its regeneration', 'regeneration'],
    ] as const)(
      'is what its call was sent, at most the context budget, when %s finds it',
      async (_name, by) => {
        // Prepare: the owner's own instructions are part of the prompt
        const owner = await createTestUser(pgDb);
        await pgDb.updateTable('users').set({ instructions }).where('id', '=', owner.id).execute();
        const { conversationId, replyId } = await withAbandonedReply(owner.id, history, 'a'.repeat(400));
        const repo = postgresMessages(database());

        // Act
        await nextTurnBy(by, repo, owner.id, conversationId, replyId);

        // Assess: the context window's estimate (one earlier message fits beside the question), not
        // the whole conversation's (150,000 tokens and more)
        const promptTokens = estimateReplyPromptTokens(PROMPT, instructions, history);
        expect(await usageOf(owner.id)).toEqual([abandonedUsage(400, promptTokens)]);
        expect(promptTokens).toBeLessThanOrEqual(PROMPT.contextBudgetTokens + 4 * 3);
        expect(promptTokens).toBeGreaterThan(7_500);
        expect(estimatePromptTokens(history)).toBeGreaterThan(150_000);
      },
    );
  },
);

describe.each(drivers)(
  'a turn refused in a conversation with a reply whose function died, on %s',
  (_driver, database) => {
    /** What the abandoned reply of `withAbandonedReply(…, [QUESTION], 400 characters)` is charged. */
    const expected = () => abandonedUsage(400, estimateReplyPromptTokens(PROMPT, null, [QUESTION]));

    const turnIn = (ownerId: string, conversationId: string, extra: Partial<StartTurnInput> = {}) =>
      postgresMessages(database()).startTurn({
        prompt: PROMPT,
        ownerId,
        conversationId,
        content: 'Are you there?',
        model: 'gpt-4o-mini',
        titleIfFirst: 'A title',
        ...extra,
      });

    const statusOf = async (id: string) =>
      (await pgDb.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow())
        .status;

    it('leaves the reply, uncharged, to the next turn when refused for the replies in flight (429), and that turn charges it once by the context window', async () => {
      // Prepare: a reply being written in another conversation fills the owner's one slot
      const owner = await createTestUser(pgDb);
      const { conversationId, replyId } = await withAbandonedReply(owner.id, [QUESTION], 'a'.repeat(400));
      const { id: elsewhere } = await pgDb
        .insertInto('conversations')
        .values({ owner_id: owner.id, title: DEFAULT_TITLE })
        .returning('id')
        .executeTakeFirstOrThrow();
      const other = await turnIn(owner.id, elsewhere, { maxRepliesInFlight: 1 });
      if (other.kind !== 'started') throw new Error('not started');

      // Act: refused; then, the other reply ended, the next message
      const refused = await turnIn(owner.id, conversationId, { maxRepliesInFlight: 1 }).catch(
        (e: unknown) => e,
      );
      const afterRefusal = { usage: await usageOf(owner.id), status: await statusOf(replyId) };
      await pgDb
        .updateTable('messages')
        .set({ status: 'complete' })
        .where('id', '=', other.assistantMessage.id)
        .execute();
      const started = await turnIn(owner.id, conversationId, { maxRepliesInFlight: 1 });

      // Assess: nothing charged (never a prompt of 0 tokens) until a turn that read the history
      expect(refused).toBeInstanceOf(RepliesInFlightError);
      expect(afterRefusal).toEqual({ usage: [], status: 'streaming' });
      expect(started.kind).toBe('started');
      expect(await usageOf(owner.id)).toEqual([expected()]);
      expect(expected().prompt_tokens).toBeGreaterThan(0);
      expect(await statusOf(replyId)).toBe('failed');
    });

    it('leaves the reply to the next turn when its own turn is sent again (a replay of the idempotency key)', async () => {
      // Prepare: the question's turn, stored under a key; its function died with 400 characters kept
      const owner = await createTestUser(pgDb);
      const { id: conversationId } = await pgDb
        .insertInto('conversations')
        .values({ owner_id: owner.id, title: DEFAULT_TITLE })
        .returning('id')
        .executeTakeFirstOrThrow();
      const keyed = { content: QUESTION.content, model: 'gpt-4o', idempotencyKey: 'k-1', requestHash: 'h-1' };
      const first = await turnIn(owner.id, conversationId, keyed);
      if (first.kind !== 'started') throw new Error('not started');
      await pgDb
        .updateTable('messages')
        .set({ content: 'a'.repeat(400), updated_at: new Date(Date.now() - 10 * 60_000) })
        .where('id', '=', first.assistantMessage.id)
        .execute();

      // Act: the same request again, then a new message
      const replay = await turnIn(owner.id, conversationId, keyed);
      const usageAfterReplay = await usageOf(owner.id);
      const started = await turnIn(owner.id, conversationId);

      // Assess: the replay shows the reply failed and charges nothing; the next turn charges it once
      expect(replay).toMatchObject({ kind: 'replay', assistantMessage: { status: 'failed' } });
      expect(usageAfterReplay).toEqual([]);
      expect(started.kind).toBe('started');
      expect(await usageOf(owner.id)).toEqual([expected()]);
    });

    it('charges the reply once by the context window when the turn ran again because its snapshot went stale', async () => {
      // Prepare: another transaction holds the conversation and changes it (as a turn that commits
      // under this one does)
      const owner = await createTestUser(pgDb);
      const { conversationId, replyId } = await withAbandonedReply(owner.id, [QUESTION], 'a'.repeat(400));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: (pid: number) => void;
      const isLocked = new Promise<number>((resolve) => (locked = resolve));
      const other = pgDb.transaction().execute(async (trx) => {
        await trx
          .updateTable('conversations')
          .set({ updated_at: new Date() })
          .where('id', '=', conversationId)
          .execute();
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        locked(rows[0]?.pid ?? 0);
        await released;
      });
      const otherPid = await isLocked;

      // Act: the turn's first snapshot predates the other's commit: it waits, finds it stale, runs again
      const turn = turnIn(owner.id, conversationId).then(
        (outcome) => outcome,
        (error: unknown) => error,
      );
      await untilBlockedBy(pgDb, otherPid).finally(release);
      await other;
      const started = await turn;

      // Assess
      expect(started).toMatchObject({ kind: 'started' });
      expect(await usageOf(owner.id)).toEqual([expected()]);
      expect(await statusOf(replyId)).toBe('failed');
    });
  },
);

describe.each(drivers)('the day an abandoned reply is charged to, on %s', (_driver, database) => {
  it.each([
    ['a new message', 'turn'],
    ['its regeneration', 'regeneration'],
  ] as const)(
    'is the day of its last save (UTC), as the retention run’s sweep charges it, when %s finds it two days later',
    async (_name, by) => {
      // Prepare: a reply whose function died two days ago
      const owner = await createTestUser(pgDb);
      const savedAt = new Date(Date.now() - 2 * 86_400_000);
      const { conversationId, replyId } = await withAbandonedReply(
        owner.id,
        [QUESTION],
        'a'.repeat(400),
        savedAt,
      );
      const repo = postgresMessages(database());

      // Act
      await nextTurnBy(by, repo, owner.id, conversationId, replyId);

      // Assess: charged once, to the day it was last saved (usage_daily.day reads as text), not today's
      const usage = await pgDb
        .selectFrom('usage_daily')
        .select(['day', 'model', 'requests'])
        .where('user_id', '=', owner.id)
        .execute();
      expect(usage).toEqual([{ day: savedAt.toISOString().slice(0, 10), model: 'gpt-4o', requests: 1 }]);
      expect(savedAt.toISOString().slice(0, 10)).not.toBe(new Date().toISOString().slice(0, 10));
    },
  );
});
