import { describe, expect, it } from 'vitest';
import { createTestUser, holdingLocks, untilBlockedBy } from '#test/support/database';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { DEFAULT_TITLE } from '#conversations/domain/conversation';
import { postgresFeedback } from '#feedback/adapters/postgres-feedback';
import type { MessageRepository } from '../ports/message-repository';
import { postgresMessages } from './postgres-message-repository';
import { promptSettingsOf } from '../domain/system-prompt';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

/**
 * Statements that meet another one at the same rows. Each race is played deterministically: a
 * second connection holds, in an open transaction, the row lock the other statement would hold
 * in a natural race, until the statement under test waits for it.
 */
const { pgDb, drivers } = repositoryDrivers();

/**
 * `act`'s outcome (its value or its error) when it ran while `held` held its locks: once `act`
 * waits for one of them, `meanwhile` runs, then they are let go (and, should `act` never wait,
 * all the same, so the failed test holds no connection).
 */
async function whileHeld<T>(
  held: { pid: number; release: () => Promise<void> },
  act: () => Promise<T>,
  meanwhile: () => Promise<unknown> = async () => undefined,
) {
  const outcome = act().then(
    (value) => value,
    (error: unknown) => error,
  );
  try {
    await untilBlockedBy(pgDb, held.pid);
    await meanwhile();
  } finally {
    await held.release();
  }
  return outcome;
}

async function conversationOf(ownerId: string): Promise<string> {
  const row = await pgDb
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: DEFAULT_TITLE })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A turn started in the owner's conversation: its reply is being written. */
async function replyBeingWritten(repo: MessageRepository, ownerId: string, conversationId: string) {
  const started = await repo.startTurn({
    prompt: PROMPT,
    ownerId,
    conversationId,
    content: 'Hi',
    model: 'gpt-4o-mini',
    titleIfFirst: 'Hi',
  });
  if (started.kind !== 'started') throw new Error('expected a started turn');
  return started;
}

describe.each(drivers)('races on %s', (_driver, database) => {
  it('answers a Stop that meets the reply ending as ended, and leaves the whole reply unstopped', async () => {
    // Prepare: the reply's end is written (complete) but not yet committed, as finishTurn holds it
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const started = await replyBeingWritten(repo, owner.id, conversationId);
    const messageId = started.assistantMessage.id;
    const ending = await holdingLocks(
      `update messages set status = 'complete', content = 'The whole answer' where id = $1`,
      [messageId],
    );

    // Act: Stop read the reply as streaming, then waits for its row until the end commits
    const outcome = await whileHeld(ending, () =>
      repo.requestStop({ ownerId: owner.id, conversationId, messageId }),
    );

    // Assess
    expect(outcome).toBe('ended');
    const row = await pgDb
      .selectFrom('messages')
      .select(['status', 'stop_requested_at'])
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'complete', stop_requested_at: null });
    const [read] = (await repo.list(owner.id, conversationId, { limit: 10 }))?.items.slice(-1) ?? [];
    expect(read).toMatchObject({ status: 'complete', stopped: false });
  });

  /** A reply of the owner's that has ended, to rate and write again. */
  async function completeReply(repo: MessageRepository, ownerId: string) {
    const conversationId = await conversationOf(ownerId);
    const started = await replyBeingWritten(repo, ownerId, conversationId);
    await pgDb
      .updateTable('messages')
      .set({ status: 'complete', content: 'The first answer' })
      .where('id', '=', started.assistantMessage.id)
      .execute();
    return { conversationId, messageId: started.assistantMessage.id };
  }

  const feedbackOn = (messageId: string) =>
    pgDb.selectFrom('message_feedback').select('comment').where('message_id', '=', messageId).execute();

  const thumbsDown = { rating: 'down', reason: 'inaccurate', comment: 'About the first answer' } as const;

  it('drops feedback given while the regeneration waited for its conversation from the new reply', async () => {
    // Prepare: another statement holds the conversation, as a rename or a turn there would
    const owner = await createTestUser(pgDb);
    const repo = postgresMessages(database());
    const { conversationId, messageId } = await completeReply(repo, owner.id);
    const turn = await holdingLocks(`select 1 from conversations where id = $1 for update`, [conversationId]);

    // Act: the regeneration's snapshot is taken, then it waits; the feedback is saved meanwhile
    let saved: unknown;
    const regenerated = await whileHeld(
      turn,
      () =>
        repo.startRegeneration({
          prompt: PROMPT,
          ownerId: owner.id,
          conversationId,
          replyId: messageId,
          model: 'gpt-4o-mini',
        }),
      async () => {
        saved = await postgresFeedback(database()).save(owner.id, conversationId, messageId, thumbsDown);
      },
    );

    // Assess: the thumbs-down about the first answer is not left on the one being written
    expect(saved).toMatchObject({ kind: 'saved' });
    expect(regenerated).toMatchObject({ assistantMessage: { status: 'streaming' } });
    expect(await feedbackOn(messageId)).toEqual([]);
  });

  it('refuses feedback on a reply a regeneration is emptying (not finished), once that commits', async () => {
    // Prepare: the reply reset for writing again, not yet committed
    const owner = await createTestUser(pgDb);
    const repo = postgresMessages(database());
    const { conversationId, messageId } = await completeReply(repo, owner.id);
    const regeneration = await holdingLocks(
      `update messages set status = 'streaming', content = '' where id = $1`,
      [messageId],
    );

    // Act
    const saved = await whileHeld(regeneration, () =>
      postgresFeedback(database()).save(owner.id, conversationId, messageId, thumbsDown),
    );

    // Assess
    expect(saved).toEqual({ kind: 'not-finished' });
    expect(await feedbackOn(messageId)).toEqual([]);
  });
});
