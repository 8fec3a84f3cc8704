import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestUser, untilBlockedBy } from '#test/support/database';
import { messageRows } from '#test/support/message-rows';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { ConversationNotFoundError } from '#conversations/domain/conversation';
import { decodeCursor } from '#shared/pagination/cursor';
import { ReplyNotFoundError } from '#feedback/domain/feedback';
import { ConversationBusyError, IdempotencyKeyReusedError, NotLatestReplyError } from '../domain/message';
import type { Message } from '../domain/message';
import type { ConversationExport, MessageRepository, StartTurnInput } from '../ports/message-repository';
import { postgresMessages } from './postgres-message-repository';
import { postgresTurns, type SaveRetry } from './postgres-messages';
import { promptSettingsOf } from '../domain/system-prompt';

/** The chat's default prompt settings (CHAT_CONTEXT_TOKENS' 12,000, the built-in instructions). */
const PROMPT = promptSettingsOf({ CHAT_CONTEXT_TOKENS: 12_000 });

/** An export's pages, read to the end. */
async function pagesOf(exported: ConversationExport | undefined): Promise<(readonly Message[])[]> {
  const pages: (readonly Message[])[] = [];
  for await (const page of exported?.pages ?? []) pages.push(page);
  return pages;
}

/**
 * The start of a turn is one SQL statement: these tests hold it to what the transaction it replaced
 * did, on node-postgres and through the Data API (as on Aurora), where the parameter types differ.
 * Fixtures are written and read with the query builder (`pgDb`); the repository runs on the
 * query layer (`pgSql`, `onDataApi.db()`), as the handlers run it.
 */
const { pgDb, pgSql, onDataApi, drivers } = repositoryDrivers();

const { conversationOf } = messageRows(pgDb);

const stored = (conversationId: string) =>
  pgDb
    .selectFrom('messages')
    .select(['id', 'role', 'content', 'status', 'error', 'idempotency_key'])
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

const conversationRow = (id: string) =>
  pgDb
    .selectFrom('conversations')
    .select(['title', 'message_count'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

describe.each(drivers)('startTurn on %s', (_driver, database) => {
  const turn = async (
    input: Omit<StartTurnInput, 'model' | 'titleIfFirst' | 'prompt'> & { titleIfFirst?: string },
  ) =>
    postgresMessages(database()).startTurn({
      prompt: PROMPT,
      model: 'gpt-4o-mini',
      titleIfFirst: 'A title',
      ...input,
    });

  it('stores the user message and a streaming reply, titles a new conversation and counts both', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);

    // Act
    const result = await turn({ ownerId: owner.id, conversationId, content: 'Hello there' });

    // Assess
    expect(result.kind).toBe('started');
    if (result.kind !== 'started') return;
    expect(result.history).toEqual([]);
    expect(result.userMessage).toMatchObject({
      conversationId,
      role: 'user',
      content: 'Hello there',
      status: 'complete',
      usage: { promptTokens: 0, completionTokens: 0 },
      error: null,
    });
    expect(result.assistantMessage).toMatchObject({
      conversationId,
      role: 'assistant',
      content: '',
      status: 'streaming',
      model: 'gpt-4o-mini',
    });
    expect(result.userMessage.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(result.assistantMessage.createdAt > result.userMessage.createdAt).toBe(true);
    expect((await stored(conversationId)).map((m) => [m.id, m.role, m.status])).toEqual([
      [result.userMessage.id, 'user', 'complete'],
      [result.assistantMessage.id, 'assistant', 'streaming'],
    ]);
    expect(await conversationRow(conversationId)).toEqual({ title: 'A title', message_count: 2 });
  });

  it('answers the earlier complete messages in order as history, and keeps a chosen title', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id, 'Chosen');
    const repo = postgresMessages(database());
    const first = await turn({ ownerId: owner.id, conversationId, content: 'First "question"' });
    if (first.kind !== 'started') throw new Error('expected a started turn');
    await repo.finishTurn({
      ownerId: owner.id,
      assistantId: first.assistantMessage.id,
      content: 'First answer',
      status: 'complete',
      model: 'gpt-4o-mini',
      promptTokens: 3,
      completionTokens: 2,
      costMicros: 1,
    });

    const second = await turn({ ownerId: owner.id, conversationId, content: 'Second' });

    expect(second.kind === 'started' && second.history).toEqual([
      { role: 'user', content: 'First "question"' },
      { role: 'assistant', content: 'First answer' },
    ]);
    expect(await conversationRow(conversationId)).toEqual({ title: 'Chosen', message_count: 4 });
  });

  it('refuses a second turn with ConversationBusyError while a reply is streaming, storing nothing', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    await turn({ ownerId: owner.id, conversationId, content: 'One' });

    await expect(turn({ ownerId: owner.id, conversationId, content: 'Two' })).rejects.toBeInstanceOf(
      ConversationBusyError,
    );

    expect((await stored(conversationId)).map((m) => m.content)).toEqual(['One', '']);
    expect((await conversationRow(conversationId)).message_count).toBe(2);
  });

  it('marks a reply abandoned for over 6 minutes as failed and starts the turn', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const first = await turn({ ownerId: owner.id, conversationId, content: 'One' });
    await pgDb
      .updateTable('messages')
      .set({ updated_at: sql<Date>`now() - interval '7 minutes'` as never })
      .where('id', '=', first.assistantMessage?.id ?? '')
      .execute();

    const second = await turn({ ownerId: owner.id, conversationId, content: 'Two' });

    expect(second.kind).toBe('started');
    expect((await stored(conversationId)).map((m) => [m.content, m.status, m.error])).toEqual([
      ['One', 'complete', null],
      ['', 'failed', 'The reply was interrupted.'],
      ['Two', 'complete', null],
      ['', 'streaming', null],
    ]);
  });

  it("answers ConversationNotFoundError for another owner's or a deleted conversation, storing nothing", async () => {
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const deleted = await conversationOf(other.id);
    await pgDb
      .updateTable('conversations')
      .set({ deleted_at: sql<Date>`now()` as never })
      .where('id', '=', deleted)
      .execute();

    await expect(turn({ ownerId: other.id, conversationId, content: 'x' })).rejects.toBeInstanceOf(
      ConversationNotFoundError,
    );
    await expect(turn({ ownerId: other.id, conversationId: deleted, content: 'x' })).rejects.toBeInstanceOf(
      ConversationNotFoundError,
    );
    await expect(
      turn({ ownerId: other.id, conversationId: randomUUID(), content: 'x' }),
    ).rejects.toBeInstanceOf(ConversationNotFoundError);

    expect(await stored(conversationId)).toEqual([]);
    expect(await stored(deleted)).toEqual([]);
  });

  it('replays a turn stored under the same idempotency key, and refuses the key with another request', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const key = `key-${randomUUID()}`;
    const first = await turn({
      ownerId: owner.id,
      conversationId,
      content: 'Hi',
      idempotencyKey: key,
      requestHash: 'h1',
    });

    const again = await turn({
      ownerId: owner.id,
      conversationId,
      content: 'Hi',
      idempotencyKey: key,
      requestHash: 'h1',
    });

    expect(again).toEqual({
      kind: 'replay',
      userMessage: first.userMessage,
      assistantMessage: first.assistantMessage,
    });
    await expect(
      turn({ ownerId: owner.id, conversationId, content: 'Other', idempotencyKey: key, requestHash: 'h2' }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await stored(conversationId)).toHaveLength(2);
  });

  it('starts exactly one of two turns sent at once to one conversation; the other is busy', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);

    const results = await Promise.allSettled([
      turn({ ownerId: owner.id, conversationId, content: 'A' }),
      turn({ ownerId: owner.id, conversationId, content: 'B' }),
      turn({ ownerId: owner.id, conversationId, content: 'C' }),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect(r.reason).toBeInstanceOf(ConversationBusyError);
    expect(await stored(conversationId)).toHaveLength(2);
  });

  it('stores one turn for two sends at once with one new idempotency key; both answer it', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const key = `key-${randomUUID()}`;
    const input = { ownerId: owner.id, conversationId, content: 'Hi', idempotencyKey: key, requestHash: 'h' };

    const [a, b] = await Promise.all([turn(input), turn(input)]);

    expect(a.userMessage.id).toBe(b.userMessage.id);
    expect(await stored(conversationId)).toHaveLength(2);
  });

  it('replays a turn stored under a key sent without a request hash, and refuses the key with one', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const key = `key-${randomUUID()}`;
    const first = await turn({ ownerId: owner.id, conversationId, content: 'Hi', idempotencyKey: key });

    // Act
    const again = await turn({ ownerId: owner.id, conversationId, content: 'Hi', idempotencyKey: key });

    // Assess
    expect(again).toEqual({
      kind: 'replay',
      userMessage: first.userMessage,
      assistantMessage: first.assistantMessage,
    });
    await expect(
      turn({ ownerId: owner.id, conversationId, content: 'Hi', idempotencyKey: key, requestHash: 'h1' }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await stored(conversationId)).toHaveLength(2);
  });

  it('finds the turn stored under a key without starting one (priorTurn), and nothing for a new key', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const key = `key-${randomUUID()}`;
    const first = await turn({
      ownerId: owner.id,
      conversationId,
      content: 'Hi',
      idempotencyKey: key,
      requestHash: 'h',
    });
    const repo = postgresMessages(database());

    // Act
    const found = await repo.priorTurn({ ownerId: owner.id, idempotencyKey: key, requestHash: 'h' });
    const unknown = await repo.priorTurn({ ownerId: owner.id, idempotencyKey: `key-${randomUUID()}` });
    const othersKey = await repo.priorTurn({ ownerId: other.id, idempotencyKey: key, requestHash: 'h' });
    const reused = await repo
      .priorTurn({ ownerId: owner.id, idempotencyKey: key, requestHash: 'another' })
      .catch((e: unknown) => e);

    // Assess
    expect(found).toEqual({
      kind: 'replay',
      userMessage: first.userMessage,
      assistantMessage: first.assistantMessage,
    });
    expect(unknown).toBeUndefined();
    expect(othersKey).toBeUndefined();
    expect(reused).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(await stored(conversationId)).toHaveLength(2);
  });

  it('replays the user message alone when the reply stored under the key is gone', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const key = `key-${randomUUID()}`;
    const first = await turn({ ownerId: owner.id, conversationId, content: 'Hi', idempotencyKey: key });
    await pgDb
      .deleteFrom('messages')
      .where('conversation_id', '=', conversationId)
      .where('role', '=', 'assistant')
      .execute();

    // Act
    const again = await turn({ ownerId: owner.id, conversationId, content: 'Hi', idempotencyKey: key });

    // Assess
    expect(again).toEqual({ kind: 'replay', userMessage: first.userMessage, assistantMessage: undefined });
    expect(await stored(conversationId)).toHaveLength(1);
  });

  it('stores one turn for one new key sent at once to two conversations; the other answers it', async () => {
    // Prepare: each send locks its own conversation, so only the key's unique index parts them.
    const owner = await createTestUser(pgDb);
    const [one, two] = [await conversationOf(owner.id), await conversationOf(owner.id)];
    const key = `key-${randomUUID()}`;
    const send = (conversationId: string) =>
      turn({ ownerId: owner.id, conversationId, content: 'Hi', idempotencyKey: key, requestHash: 'h' });

    // Act
    const results = await Promise.all([send(one), send(two)]);

    // Assess
    expect(results.map((r) => r.kind).sort()).toEqual(['replay', 'started']);
    expect(results[0]?.userMessage).toEqual(results[1]?.userMessage);
    expect((await stored(one)).length + (await stored(two)).length).toBe(2);
  });
});

describe.each(drivers)('startRegeneration on %s', (_driver, database) => {
  /** A conversation with two finished turns (the second reply as `status`), rated by its owner. */
  async function twoTurns(status: 'complete' | 'failed' = 'complete') {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const replies: string[] = [];
    for (const [question, answer] of [
      ['One?', 'First'],
      ['Two?', 'Second'],
    ] as const) {
      const started = await repo.startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: question,
        model: 'gpt-4o-mini',
        titleIfFirst: 'T',
      });
      if (started.kind !== 'started') throw new Error('expected a started turn');
      await repo.finishTurn({
        ownerId: owner.id,
        assistantId: started.assistantMessage.id,
        content: answer,
        status: replies.length === 1 ? status : 'complete',
        ...(replies.length === 1 && status === 'failed' ? { error: 'The model is unavailable.' } : {}),
        model: 'gpt-4o-mini',
        promptTokens: 3,
        completionTokens: 2,
        costMicros: 1,
      });
      replies.push(started.assistantMessage.id);
    }
    await pgDb
      .insertInto('message_feedback')
      .values(replies.map((id) => ({ message_id: id, owner_id: owner.id, rating: 'down', reason: 'other' })))
      .execute();
    const [first = '', second = ''] = replies;
    return { owner, conversationId, repo, first, second };
  }
  const rated = async (ids: string[]) =>
    (
      await pgDb.selectFrom('message_feedback').select('message_id').where('message_id', 'in', ids).execute()
    ).map((r) => r.message_id);

  it.each(['complete', 'failed'] as const)(
    'empties a %s latest reply in place for the model asked for, drops its feedback and answers the history',
    async (status) => {
      // Prepare
      const { owner, conversationId, repo, first, second } = await twoTurns(status);
      const before = await pgDb
        .selectFrom('conversations')
        .select(['updated_at', 'message_count'])
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow();
      await pgDb.updateTable('users').set({ instructions: 'Be terse.' }).where('id', '=', owner.id).execute();

      // Act
      const result = await repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId: second,
        model: 'gpt-4o',
      });

      // Assess
      expect(result.assistantMessage).toMatchObject({
        id: second,
        conversationId,
        role: 'assistant',
        content: '',
        status: 'streaming',
        model: 'gpt-4o',
        usage: { promptTokens: 0, completionTokens: 0 },
        error: null,
      });
      expect(result.history).toEqual([
        { role: 'user', content: 'One?' },
        { role: 'assistant', content: 'First' },
        { role: 'user', content: 'Two?' },
      ]);
      expect(result.instructions).toBe('Be terse.');
      expect((await stored(conversationId)).map((m) => [m.id === second, m.content, m.status])).toEqual([
        [false, 'One?', 'complete'],
        [false, 'First', 'complete'],
        [false, 'Two?', 'complete'],
        [true, '', 'streaming'],
      ]);
      expect(await rated([first, second])).toEqual([first]);
      const after = await pgDb
        .selectFrom('conversations')
        .select(['updated_at', 'message_count'])
        .where('id', '=', conversationId)
        .executeTakeFirstOrThrow();
      expect(after.message_count).toBe(before.message_count);
      expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    },
  );

  it('replaces the question the reply answers with the edited one, found by search; the history has the old', async () => {
    const { owner, conversationId, repo, second } = await twoTurns();
    const word = `w${randomUUID().replaceAll('-', '')}`;

    const result = await repo.startRegeneration({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      replyId: second,
      model: 'gpt-4o',
      content: `Two, with ${word}?`,
    });

    expect(result.history.at(-1)).toEqual({ role: 'user', content: 'Two?' });
    expect((await stored(conversationId)).map((m) => m.content)).toEqual([
      'One?',
      'First',
      `Two, with ${word}?`,
      '',
    ]);
    const found = await repo.search(owner.id, { q: word, limit: 5 });
    expect(found.items.map((h) => h.role)).toEqual(['user']);
  });

  it('edits nothing when it refuses (an earlier reply)', async () => {
    const { owner, conversationId, repo, first } = await twoTurns();
    const snapshot = await stored(conversationId);

    await expect(
      repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId: first,
        model: 'm',
        content: 'Edited',
      }),
    ).rejects.toBeInstanceOf(NotLatestReplyError);

    expect(await stored(conversationId)).toEqual(snapshot);
  });

  it('refuses an earlier reply (NotLatestReplyError) and one being written (busy), changing nothing', async () => {
    const { owner, conversationId, repo, first, second } = await twoTurns();
    const snapshot = await stored(conversationId);

    await expect(
      repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId: first,
        model: 'gpt-4o',
      }),
    ).rejects.toBeInstanceOf(NotLatestReplyError);
    expect(await stored(conversationId)).toEqual(snapshot);
    expect(await rated([first, second])).toEqual(expect.arrayContaining([first, second]));

    await repo.startRegeneration({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      replyId: second,
      model: 'gpt-4o',
    });
    await expect(
      repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId: second,
        model: 'gpt-4o',
      }),
    ).rejects.toBeInstanceOf(ConversationBusyError);
    await expect(
      repo.startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: 'Three?',
        model: 'm',
        titleIfFirst: 'T',
      }),
    ).rejects.toBeInstanceOf(ConversationBusyError);
  });

  it('writes again a reply abandoned while streaming for over 6 minutes', async () => {
    const { owner, conversationId, repo, second } = await twoTurns();
    await repo.startRegeneration({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      replyId: second,
      model: 'gpt-4o',
    });
    await pgDb
      .updateTable('messages')
      .set({ updated_at: sql<Date>`now() - interval '7 minutes'` as never })
      .where('id', '=', second)
      .execute();

    const again = await repo.startRegeneration({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      replyId: second,
      model: 'gpt-4o-mini',
    });

    expect(again.assistantMessage).toMatchObject({ id: second, status: 'streaming', model: 'gpt-4o-mini' });
  });

  it("answers not found for a user message, an unknown id, another owner's or a deleted conversation", async () => {
    const { owner, conversationId, repo, second } = await twoTurns();
    const other = await createTestUser(pgDb);
    const [question] = await stored(conversationId);
    const snapshot = await stored(conversationId);
    const regenerate = (ownerId: string, replyId: string, conversation = conversationId) =>
      repo.startRegeneration({
        prompt: PROMPT,
        ownerId,
        conversationId: conversation,
        replyId,
        model: 'gpt-4o',
      });

    await expect(regenerate(owner.id, question?.id ?? '')).rejects.toBeInstanceOf(ReplyNotFoundError);
    await expect(regenerate(owner.id, randomUUID())).rejects.toBeInstanceOf(ReplyNotFoundError);
    await expect(regenerate(other.id, second)).rejects.toBeInstanceOf(ConversationNotFoundError);
    await expect(regenerate(owner.id, second, await conversationOf(owner.id))).rejects.toBeInstanceOf(
      ReplyNotFoundError,
    );
    await pgDb
      .updateTable('conversations')
      .set({ deleted_at: sql<Date>`now()` as never })
      .where('id', '=', conversationId)
      .execute();
    await expect(regenerate(owner.id, second)).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect(await stored(conversationId)).toEqual(snapshot);
  });

  it('starts exactly one of a regeneration and a new turn sent at once; the other is busy', async () => {
    const { owner, conversationId, repo, second } = await twoTurns();

    const results = await Promise.allSettled([
      repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId: second,
        model: 'gpt-4o',
      }),
      repo.startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: 'Three?',
        model: 'm',
        titleIfFirst: 'T',
      }),
      repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId: second,
        model: 'gpt-4o',
      }),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect([ConversationBusyError, NotLatestReplyError].some((E) => r.reason instanceof E)).toBe(true);
    expect((await stored(conversationId)).filter((m) => m.status === 'streaming')).toHaveLength(1);
  });
});

describe.each(drivers)(
  'long histories on %s (the Data API answers at most 64 KB a row and 1 MiB a call)',
  (_driver, database) => {
    /** A conversation of finished turns with these contents, oldest first, stored directly. */
    async function conversationWith(contents: readonly string[]) {
      const owner = await createTestUser(pgDb);
      const conversationId = await conversationOf(owner.id);
      const start = Date.now() - contents.length * 1000;
      if (contents.length > 0)
        await pgDb
          .insertInto('messages')
          .values(
            contents.map((content, i) => ({
              conversation_id: conversationId,
              owner_id: owner.id,
              role: i % 2 === 0 ? 'user' : 'assistant',
              content,
              created_at: new Date(start + i * 1000),
            })),
          )
          .execute();
      return { owner, conversationId, repo: postgresMessages(database()) };
    }
    /** Long replies: Latin, three-byte (CJK) and four-byte (emoji) text, each over 64 KB in UTF-8. */
    const long = (i: number) =>
      [`${'Latin text '.repeat(7000)}${i}`, `${'語'.repeat(25_000)}${i}`, `${'🙂'.repeat(17_000)}${i}`][
        i % 3
      ] ?? '';

    it('starts a turn and a regeneration with the whole history, each message whole, in order', async () => {
      // Prepare: about 600 KB of history, no message under 64 KB
      const contents = Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0 ? `Question ${i} ${'?'.repeat(70_000)}` : long(i),
      );
      const { owner, conversationId, repo } = await conversationWith(contents);
      const expected = contents.map((content, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content }));

      // Act
      const turn = await repo.startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: 'Next',
        model: 'm',
        titleIfFirst: 'T',
      });

      // Assess
      expect(turn.kind === 'started' && turn.history).toEqual(expected);
      if (turn.kind !== 'started') return;
      await repo.finishTurn({
        ownerId: owner.id,
        assistantId: turn.assistantMessage.id,
        content: long(1),
        status: 'complete',
        model: 'm',
        promptTokens: 1,
        completionTokens: 1,
        costMicros: 0,
      });
      const again = await repo.startRegeneration({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        replyId: turn.assistantMessage.id,
        model: 'm',
      });
      expect(again.history).toEqual([...expected, { role: 'user', content: 'Next' }]);
    });

    it('replays a turn whose question and reply are each over 64 KB, both whole', async () => {
      const { owner, conversationId, repo } = await conversationWith([]);
      const question = '語'.repeat(30_000);
      const input = { ownerId: owner.id, conversationId, content: question, model: 'm', titleIfFirst: 'T' };
      const key = `k-${randomUUID()}`;
      const first = await repo.startTurn({ prompt: PROMPT, ...input, idempotencyKey: key, requestHash: 'h' });
      if (first.kind !== 'started') throw new Error('expected a started turn');
      expect(first.userMessage.content).toBe(question);
      const finished = await repo.finishTurn({
        ownerId: owner.id,
        assistantId: first.assistantMessage.id,
        content: long(2),
        status: 'complete',
        model: 'm',
        promptTokens: 1,
        completionTokens: 1,
        costMicros: 0,
      });
      expect(finished.content).toBe(long(2));

      const replay = await repo.startTurn({
        prompt: PROMPT,
        ...input,
        idempotencyKey: key,
        requestHash: 'h',
      });

      expect(replay).toEqual({ kind: 'replay', userMessage: first.userMessage, assistantMessage: finished });
    });

    it('lists a conversation of over 1 MiB in shorter pages, and exports it whole', async () => {
      // Prepare: 30 messages of 70-100 KB of UTF-8 each, about 2.5 MB
      const contents = Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0 ? `Q${i} ${'?'.repeat(70_000)}` : long(i),
      );
      const { owner, conversationId, repo } = await conversationWith(contents);

      // Act: page through with the largest limit
      const pages: string[][] = [];
      let cursor: ReturnType<typeof decodeCursor> | undefined;
      for (let i = 0; i < 40; i++) {
        const page = await repo.list(owner.id, conversationId, { limit: 200, ...(cursor ? { cursor } : {}) });
        pages.push(page?.items.map((m) => m.content) ?? []);
        if (!page?.nextCursor) break;
        cursor = decodeCursor(page.nextCursor);
      }
      const exported = await repo.exportConversation(owner.id, conversationId);

      // Assess: no page over the budget, every message once and whole, in order
      expect(pages.length).toBeGreaterThan(2);
      for (const page of pages) {
        expect(page.length).toBeGreaterThan(0);
        expect(Buffer.byteLength(page.join(''))).toBeLessThanOrEqual(768 * 1024);
      }
      expect(pages.flat()).toEqual(contents);
      const exportedPages = await pagesOf(exported);
      expect(exportedPages.length).toBeGreaterThan(2);
      expect(exportedPages.flat().map((m) => m.content)).toEqual(contents);
    });

    /** Feedback with `comment` on every reply of the conversation, stored directly. */
    async function rateEveryReply(ownerId: string, conversationId: string, comment: string) {
      const replies = await pgDb
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', conversationId)
        .where('role', '=', 'assistant')
        .execute();
      await pgDb
        .insertInto('message_feedback')
        .values(replies.map((r) => ({ message_id: r.id, owner_id: ownerId, rating: 'down', comment })))
        .execute();
      return replies.length;
    }

    /** Every page of the conversation with the largest limit, read to the end. */
    async function everyPage(repo: MessageRepository, ownerId: string, conversationId: string) {
      const pages: NonNullable<Awaited<ReturnType<MessageRepository['list']>>>[] = [];
      let cursor: ReturnType<typeof decodeCursor> | undefined;
      for (let i = 0; i < 40; i++) {
        const page = await repo.list(ownerId, conversationId, { limit: 200, ...(cursor ? { cursor } : {}) });
        if (!page) break;
        pages.push(page);
        if (!page.nextCursor) break;
        cursor = decodeCursor(page.nextCursor);
      }
      return pages;
    }

    it('lists and exports long replies that each carry the longest comment, every feedback on its message', async () => {
      // Prepare: 12 turns whose replies are 64,000 characters (8 pieces each), each rated with a
      // 1,000-character CJK comment (3,000 bytes): about 1.07 MB if the comment came with every piece
      const contents = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? `Q${i}` : 'x'.repeat(64_000)));
      const { owner, conversationId, repo } = await conversationWith(contents);
      const comment = '語'.repeat(1000);
      const rated = await rateEveryReply(owner.id, conversationId, comment);

      // Act
      const pages = await everyPage(repo, owner.id, conversationId);
      const exported = await pagesOf(await repo.exportConversation(owner.id, conversationId));

      // Assess: every message once and whole, and every reply with its feedback
      const listed = pages.flatMap((p) => p.items);
      expect(listed.map((m) => m.content)).toEqual(contents);
      expect(listed.filter((m) => m.feedback?.comment === comment)).toHaveLength(rated);
      for (const message of listed) expect(message.feedback === null).toBe(message.role === 'user');
      expect(exported.flat().map((m) => m.content)).toEqual(contents);
    });

    it('counts feedback comments in a page’s budget: short replies each with the longest comment', async () => {
      // Prepare: 100 turns of 7,600-byte questions (760 KB, within the page budget) and short
      // replies each rated with a 3,000-byte comment (300 KB more)
      const contents = Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0 ? `Q${i} ${'?'.repeat(7_600)}` : `A${i}`,
      );
      const { owner, conversationId, repo } = await conversationWith(contents);
      const comment = '語'.repeat(1000);
      const rated = await rateEveryReply(owner.id, conversationId, comment);

      // Act
      const pages = await everyPage(repo, owner.id, conversationId);
      const exported = await pagesOf(await repo.exportConversation(owner.id, conversationId));

      // Assess: more than one page, each within the budget counting comments, nothing lost
      expect(pages.length).toBeGreaterThan(1);
      for (const page of pages) {
        const bytes = page.items.reduce(
          (sum, m) => sum + Buffer.byteLength(m.content) + Buffer.byteLength(m.feedback?.comment ?? ''),
          0,
        );
        expect(bytes).toBeLessThanOrEqual(768 * 1024);
      }
      const listed = pages.flatMap((p) => p.items);
      expect(listed.map((m) => m.content)).toEqual(contents);
      expect(listed.filter((m) => m.feedback?.comment === comment)).toHaveLength(rated);
      expect(exported.flat().map((m) => m.content)).toEqual(contents);
    });

    it('sends the newest 768 KB of a longer history, whole messages in order', async () => {
      const contents = Array.from({ length: 24 }, (_, i) => `${i} ${'x'.repeat(60_000)}`);
      const { owner, conversationId, repo } = await conversationWith(contents);

      const turn = await repo.startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: 'Next',
        model: 'm',
        titleIfFirst: 'T',
      });

      const history = turn.kind === 'started' ? turn.history : [];
      expect(history.map((h) => h.content)).toEqual(contents.slice(-history.length));
      expect(history.length).toBe(Math.floor((768 * 1024) / 60_003));
    });
  },
);

describe('startTurn on the Data API', () => {
  it('is one ExecuteStatement request, with no transaction calls around it', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const callsBefore = onDataApi.dataApi().server.calls.length;

    // Act
    await postgresMessages(onDataApi.db()).startTurn({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      content: 'Hello',
      model: 'gpt-4o-mini',
      titleIfFirst: 'Hello',
      idempotencyKey: `key-${randomUUID()}`,
      requestHash: 'h',
    });

    // Assess: on Aurora each of these is an HTTPS request before the model is called.
    expect(
      onDataApi
        .dataApi()
        .server.calls.slice(callsBefore)
        .map((call) => call.operation),
    ).toEqual(['ExecuteStatement']);
  });
});

describe('startTurn against a turn committed while it waited for the lock', () => {
  it('sees the turn that committed under it and answers busy instead of a second streaming reply', async () => {
    // Prepare: another function's turn holds the conversation and has stored its streaming reply.
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(pgSql);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: (pid: number) => void;
    const isLocked = new Promise<number>((resolve) => (locked = resolve));
    const other = pgDb.transaction().execute(async (trx) => {
      await trx
        .selectFrom('conversations')
        .select('id')
        .where('id', '=', conversationId)
        .forUpdate()
        .execute();
      await trx
        .insertInto('messages')
        .values([
          { conversation_id: conversationId, owner_id: owner.id, role: 'user', content: 'First' },
          {
            conversation_id: conversationId,
            owner_id: owner.id,
            role: 'assistant',
            content: '',
            status: 'streaming',
          },
        ])
        .execute();
      await trx
        .updateTable('conversations')
        .set({ message_count: 2 })
        .where('id', '=', conversationId)
        .execute();
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
      locked(rows[0]?.pid ?? 0);
      await released;
    });
    const otherPid = await isLocked;

    // Act: this turn's snapshot predates the other's commit; it waits on the lock meanwhile.
    const waiting = repo.startTurn({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      content: 'Second',
      model: 'gpt-4o-mini',
      titleIfFirst: 'x',
    });
    const settled = waiting.then(
      () => 'started',
      (error: unknown) => error,
    );
    // The other commits only once this turn waits for its lock on the conversation (and, should
    // it never wait, all the same so the failed test holds no connection).
    await untilBlockedBy(pgDb, otherPid).finally(release);
    await other;

    // Assess
    expect(await settled).toBeInstanceOf(ConversationBusyError);
    expect((await stored(conversationId)).map((m) => m.content).sort()).toEqual(['', 'First']);
  });
});

describe('monthlyUsage', () => {
  const NOW = new Date('2026-03-15T10:00:00Z');

  it("sums this month's tokens of every model and answers the user's own quota", async () => {
    // Prepare
    const owner = await createTestUser(pgDb, { monthly_token_quota: 50_000 });
    const other = await createTestUser(pgDb);
    await pgDb
      .insertInto('usage_daily')
      .values([
        {
          user_id: owner.id,
          day: '2026-03-01',
          model: 'gpt-4o-mini',
          prompt_tokens: 100,
          completion_tokens: 20,
          cost_micros: 1,
        },
        {
          user_id: owner.id,
          day: '2026-03-14',
          model: 'gpt-4.1',
          prompt_tokens: 300,
          completion_tokens: 5,
          cost_micros: 1,
        },
        {
          user_id: owner.id,
          day: '2026-02-28',
          model: 'gpt-4o-mini',
          prompt_tokens: 9_000,
          completion_tokens: 9,
          cost_micros: 1,
        },
        {
          user_id: other.id,
          day: '2026-03-10',
          model: 'gpt-4o-mini',
          prompt_tokens: 7_000,
          completion_tokens: 7,
          cost_micros: 1,
        },
      ])
      .execute();

    // Act
    const usage = await postgresMessages(pgSql).monthlyUsage(owner.id, NOW);

    // Assess
    expect(usage).toEqual({ used: 425, quota: 50_000 });
  });

  it('answers no quota of their own (the role default applies) and nothing used for a new user', async () => {
    const owner = await createTestUser(pgDb);

    expect(await postgresMessages(pgSql).monthlyUsage(owner.id, NOW)).toEqual({ used: 0, quota: undefined });
  });

  it('answers nothing used and no quota for an unknown user', async () => {
    expect(await postgresMessages(pgSql).monthlyUsage(`unknown-${randomUUID()}`, NOW)).toEqual({
      used: 0,
      quota: undefined,
    });
  });
});

/** The sort key of a search page's last hit, as `encodeSearchCursor` wrote it. */
const searchKeysetOf = (cursor: string | null) =>
  JSON.parse(Buffer.from(cursor ?? '', 'base64url').toString('utf8')) as { rank: number; id: string };

/** Stores messages of one conversation at given instants (microseconds matter to the cursors). */
async function messagesAt(
  ownerId: string,
  conversationId: string,
  rows: readonly { readonly content: string; readonly at: string; readonly role?: 'user' | 'assistant' }[],
): Promise<string[]> {
  const inserted = await pgDb
    .insertInto('messages')
    .values(
      rows.map((row) => ({
        conversation_id: conversationId,
        owner_id: ownerId,
        role: row.role ?? 'user',
        content: row.content,
        created_at: sql<Date>`cast(${row.at} as timestamptz)` as never,
      })),
    )
    .returning('id')
    .execute();
  return inserted.map((row) => row.id);
}

describe.each(drivers)('the other statements on %s', (_driver, database) => {
  /** A turn started in the owner's conversation: its reply is being written. */
  async function replyBeingWritten(repo: MessageRepository, ownerId: string, conversationId: string) {
    const started = await repo.startTurn({
      prompt: PROMPT,
      ownerId,
      conversationId,
      content: 'Hi',
      model: 'm',
      titleIfFirst: 'Hi',
    });
    if (started.kind !== 'started') throw new Error('expected a started turn');
    return started;
  }

  it("asks a reply's writer to stop through its next save, for its owner only and while it streams", async () => {
    // Prepare: a reply being written, and what cannot be stopped
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const started = await replyBeingWritten(repo, owner.id, conversationId);
    const reply = { ownerId: owner.id, conversationId, messageId: started.assistantMessage.id };

    // Act and assess
    expect(await repo.saveProgress(reply.messageId, 'Be')).toBe(false);
    expect(await repo.requestStop({ ...reply, ownerId: other.id })).toBeUndefined();
    expect(await repo.requestStop({ ...reply, messageId: started.userMessage.id })).toBeUndefined();
    expect(await repo.requestStop({ ...reply, conversationId: randomUUID() })).toBeUndefined();
    expect(await repo.saveProgress(reply.messageId, 'Bef')).toBe(false);
    expect(await repo.stopRequested(reply.messageId)).toBe(false);
    expect(await repo.requestStop(reply)).toBe('stopping');
    expect(await repo.requestStop(reply)).toBe('stopping');
    expect(await repo.stopRequested(reply.messageId)).toBe(true);
    expect(await repo.saveProgress(reply.messageId, 'Befo')).toBe(true);
    const finished = await repo.finishTurn({
      ownerId: owner.id,
      assistantId: reply.messageId,
      content: 'Befo',
      status: 'complete',
      model: 'm',
      promptTokens: 1,
      completionTokens: 1,
      costMicros: 0,
      stopped: true,
    });
    // The stored reply says it was stopped, to its author and in every read of it
    expect(finished.stopped).toBe(true);
    const listed = await repo.list(owner.id, conversationId, { limit: 10 });
    expect(listed?.items.map((m) => [m.role, m.stopped])).toEqual([
      ['user', false],
      ['assistant', true],
    ]);
    expect(await repo.requestStop(reply)).toBe('ended');
    expect(await repo.saveProgress(reply.messageId, 'After')).toBe(false);
    expect(await repo.stopRequested(reply.messageId)).toBe(false);

    // A regeneration writes the reply afresh: the earlier stop no longer applies
    const again = await repo.startRegeneration({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      replyId: reply.messageId,
      model: 'm',
    });
    expect(again.assistantMessage).toMatchObject({ status: 'streaming', stopped: false });
    expect(await repo.saveProgress(reply.messageId, 'New')).toBe(false);
    await pgDb
      .updateTable('conversations')
      .set({ deleted_at: new Date() })
      .where('id', '=', conversationId)
      .execute();
    expect(await repo.requestStop(reply)).toBeUndefined();
  });

  it('marks a reply the model ended at its length limit in every read of it; writing it again clears the mark', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const started = await replyBeingWritten(repo, owner.id, conversationId);
    const replyId = started.assistantMessage.id;
    expect(started.assistantMessage.truncated).toBe(false);

    const cutShort = {
      ownerId: owner.id,
      assistantId: replyId,
      content: 'The first half',
      status: 'complete',
      model: 'm',
      promptTokens: 3,
      completionTokens: 4,
      costMicros: 0,
      truncated: true,
    } as const;
    const finished = await repo.finishTurn(cutShort);

    expect(finished).toMatchObject({ status: 'complete', truncated: true, stopped: false });
    const listed = await repo.list(owner.id, conversationId, { limit: 10 });
    expect(listed?.items.map((m) => [m.role, m.truncated])).toEqual([
      ['user', false],
      ['assistant', true],
    ]);
    expect((await repo.get(owner.id, conversationId, replyId))?.truncated).toBe(true);
    const exported = await repo.exportConversation(owner.id, conversationId);
    const pages = [];
    for await (const page of exported?.pages ?? []) pages.push(...page);
    expect(pages.map((m) => m.truncated)).toEqual([false, true]);
    // Ending it again (its first answer lost) answers the reply as it was ended.
    const again = await repo.finishTurn(cutShort);
    expect(again.truncated).toBe(true);

    const rewritten = await repo.startRegeneration({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      replyId,
      model: 'm',
    });
    expect(rewritten.assistantMessage).toMatchObject({ status: 'streaming', truncated: false });
    const whole = await repo.finishTurn({
      ownerId: owner.id,
      assistantId: replyId,
      content: 'All of it',
      status: 'complete',
      model: 'm',
      promptTokens: 3,
      completionTokens: 3,
      costMicros: 0,
    });
    expect(whole.truncated).toBe(false);
    expect((await repo.get(owner.id, conversationId, replyId))?.truncated).toBe(false);
  });

  it('reads a reply whose writer died (no save for over 6 minutes) as failed, and does not stop it', async () => {
    // Prepare: two replies being written; the writer of one died 7 minutes ago
    const owner = await createTestUser(pgDb);
    const repo = postgresMessages(database());
    const start = async (conversationId: string) =>
      (await replyBeingWritten(repo, owner.id, conversationId)).assistantMessage.id;
    const deadIn = await conversationOf(owner.id);
    const liveIn = await conversationOf(owner.id);
    const dead = await start(deadIn);
    await start(liveIn);
    expect(await repo.saveProgress(dead, 'Half an ans')).toBe(false);
    await pgDb
      .updateTable('messages')
      .set({ updated_at: sql<Date>`now() - interval '7 minutes'` as never })
      .where('id', '=', dead)
      .execute();

    // Act
    const listed = await repo.list(owner.id, deadIn, { limit: 10 });
    const download = await repo.exportConversation(owner.id, deadIn);
    const exported: unknown[] = [];
    for await (const page of download?.pages ?? []) exported.push(...page);
    const stop = await repo.requestStop({ ownerId: owner.id, conversationId: deadIn, messageId: dead });

    // Assess: failed with what it kept, as the next turn would store it; the live one still writes
    const interrupted = {
      status: 'failed',
      error: 'The reply was interrupted.',
      content: 'Half an ans',
      stopped: false,
    };
    expect(listed?.items[1]).toMatchObject(interrupted);
    expect(exported[1]).toMatchObject(interrupted);
    expect(stop).toBe('ended');
    expect((await repo.list(owner.id, liveIn, { limit: 10 }))?.items[1]).toMatchObject({
      status: 'streaming',
      error: null,
    });
    // Reading wrote nothing: the row is as the dead writer left it
    const row = await pgDb
      .selectFrom('messages')
      .select(['status', 'error', 'stop_requested_at'])
      .where('id', '=', dead)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'streaming', error: null, stop_requested_at: null });
  });

  it('forgets a Stop that came too late to cut anything: a whole reply never reads as stopped', async () => {
    // Prepare: the owner asks to stop just as the writer has the whole reply
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const messageId = (await replyBeingWritten(repo, owner.id, conversationId)).assistantMessage.id;
    expect(await repo.requestStop({ ownerId: owner.id, conversationId, messageId })).toBe('stopping');
    expect((await repo.list(owner.id, conversationId, { limit: 10 }))?.items[1]?.stopped).toBe(true);

    // Act: the writer finishes whole (the model had ended), not cut by the Stop
    const finished = await repo.finishTurn({
      ownerId: owner.id,
      assistantId: messageId,
      content: 'The whole answer.',
      status: 'complete',
      model: 'm',
      promptTokens: 3,
      completionTokens: 4,
      costMicros: 0,
    });

    // Assess: whole, in every read
    expect(finished).toMatchObject({ status: 'complete', stopped: false });
    const listed = await repo.list(owner.id, conversationId, { limit: 10 });
    expect(listed?.items.map((m) => [m.role, m.stopped])).toEqual([
      ['user', false],
      ['assistant', false],
    ]);
    const download = await repo.exportConversation(owner.id, conversationId);
    const stoppedAsExported: boolean[] = [];
    for await (const page of download?.pages ?? []) stoppedAsExported.push(...page.map((m) => m.stopped));
    expect(stoppedAsExported).toEqual([false, false]);
  });

  it('saves progress only while the reply streams, and ends and charges it once: finishing it again changes nothing', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const usedBefore = (await repo.monthlyUsage(owner.id, new Date())).used;
    const started = await repo.startTurn({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      content: 'Hi',
      model: 'gpt-4o-mini',
      titleIfFirst: 'Hi',
    });
    const assistantId = started.assistantMessage?.id ?? '';

    // Act
    await repo.saveProgress(assistantId, 'Partial');
    const progress = (await stored(conversationId)).map((m) => m.content);
    const finished = await repo.finishTurn({
      ownerId: owner.id,
      assistantId,
      content: 'Done',
      status: 'failed',
      error: 'The model stopped.',
      model: 'gpt-4o',
      promptTokens: 11,
      completionTokens: 7,
      costMicros: 5,
    });
    await repo.saveProgress(assistantId, 'Too late');
    // Run again, as after a commit whose answer was lost with the connection.
    const again = await repo.finishTurn({
      ownerId: owner.id,
      assistantId,
      content: 'Done',
      status: 'complete',
      model: 'gpt-4o',
      promptTokens: 100,
      completionTokens: 1,
      costMicros: 2,
    });

    // Assess
    expect(progress).toEqual(['Hi', 'Partial']);
    expect(finished).toEqual({
      ...started.assistantMessage,
      content: 'Done',
      status: 'failed',
      error: 'The model stopped.',
      model: 'gpt-4o',
      usage: { promptTokens: 11, completionTokens: 7 },
    });
    expect(again).toEqual(finished);
    expect((await stored(conversationId)).map((m) => [m.content, m.status, m.error])).toEqual([
      ['Hi', 'complete', null],
      ['Done', 'failed', 'The model stopped.'],
    ]);
    const usage = await pgDb
      .selectFrom('usage_daily')
      .select(['requests', 'prompt_tokens', 'completion_tokens', 'cost_micros'])
      .where('user_id', '=', owner.id)
      .where('model', '=', 'gpt-4o')
      .execute();
    expect(usage.map((row) => ({ ...row, cost_micros: Number(row.cost_micros) }))).toEqual([
      { requests: 1, prompt_tokens: 11, completion_tokens: 7, cost_micros: 5 },
    ]);
    expect(await repo.monthlyUsage(owner.id, new Date())).toEqual({
      used: usedBefore + 18,
      quota: undefined,
    });
  });

  /**
   * The repository on `database()` whose first `times` transactions (or, `on: 'query'`, statements
   * outside one) fail with `failure` before they start; `attempts()` counts those asked for.
   */
  function withFailing(
    on: 'transaction' | 'query',
    failure: () => Error,
    times: number,
    saveRetry?: SaveRetry,
  ) {
    const db = database();
    let attempts = 0;
    const failing = <T>(run: () => Promise<T>) => {
      attempts += 1;
      return attempts <= times ? Promise.reject(failure()) : run();
    };
    const flaky: typeof db = {
      ...db,
      query: (statement) => (on === 'query' ? failing(() => db.query(statement)) : db.query(statement)),
      transaction: (work) =>
        on === 'transaction' ? failing(() => db.transaction(work)) : db.transaction(work),
    };
    return {
      repo: saveRetry ? postgresTurns(flaky, { saveRetry }) : postgresMessages(flaky),
      attempts: () => attempts,
    };
  }

  it("saves a reply's progress once the database answers again, keeping the stop it asked for", async () => {
    // Prepare: a reply being written and stopped by its owner; then three statements fail as when
    // PostgreSQL restarts (a failover, a resume), inside a budget of 1 s.
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const started = await replyBeingWritten(postgresMessages(database()), owner.id, conversationId);
    const assistantId = started.assistantMessage.id;
    await postgresMessages(database()).requestStop({
      ownerId: owner.id,
      conversationId,
      messageId: assistantId,
    });
    const lost = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    const { repo, attempts } = withFailing('query', lost, 3, {
      budgetMs: 1_000,
      firstDelayMs: 1,
      maxDelayMs: 4,
    });

    // Act
    const stopAsked = await repo.saveProgress(assistantId, 'Saved after the outage');

    // Assess: saved, and the owner's Stop reached the writer with it.
    expect(stopAsked).toBe(true);
    expect(attempts()).toBe(4);
    const row = await pgDb
      .selectFrom('messages')
      .select('content')
      .where('id', '=', assistantId)
      .executeTakeFirstOrThrow();
    expect(row.content).toBe('Saved after the outage');
  });

  it("gives up saving a reply's progress after a query error, which no retry would mend", async () => {
    const tooLong = () => Object.assign(new Error('value too long'), { code: '22001' });
    const { repo, attempts } = withFailing('query', tooLong, Number.POSITIVE_INFINITY, {
      budgetMs: 1_000,
      firstDelayMs: 1,
      maxDelayMs: 4,
    });

    await expect(repo.saveProgress(randomUUID(), 'x')).rejects.toMatchObject({ code: '22001' });
    expect(attempts()).toBe(1);
  });

  const finishing = (ownerId: string, assistantId: string) => ({
    ownerId,
    assistantId,
    content: 'Whole',
    status: 'complete' as const,
    model: 'm',
    promptTokens: 5,
    completionTokens: 3,
    costMicros: 1,
  });

  it('ends a reply once the database answers again, after its connection was lost, charging it once', async () => {
    // Prepare: the first two transactions fail as when PostgreSQL restarts (the socket reset).
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const started = await replyBeingWritten(postgresMessages(database()), owner.id, conversationId);
    const lost = () => Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    const { repo, attempts } = withFailing('transaction', lost, 2);

    // Act
    const finished = await repo.finishTurn(finishing(owner.id, started.assistantMessage.id));

    // Assess
    expect(finished).toMatchObject({
      status: 'complete',
      content: 'Whole',
      usage: { promptTokens: 5, completionTokens: 3 },
    });
    expect(attempts()).toBe(3);
    const usage = await pgDb
      .selectFrom('usage_daily')
      .select(['requests', 'prompt_tokens'])
      .where('user_id', '=', owner.id)
      .execute();
    expect(usage).toEqual([{ requests: 1, prompt_tokens: 5 }]);
  });

  it('keeps ending a reply for as long as the database stays away within the retry budget', async () => {
    // Prepare: an outage of eight attempts (a failover, a restart), inside a budget of 1 s.
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const started = await replyBeingWritten(postgresMessages(database()), owner.id, conversationId);
    const lost = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { repo, attempts } = withFailing('transaction', lost, 8, {
      budgetMs: 1_000,
      firstDelayMs: 1,
      maxDelayMs: 4,
    });

    // Act
    const finished = await repo.finishTurn(finishing(owner.id, started.assistantMessage.id));

    // Assess: ended, not left `streaming` to hold its conversation.
    expect(finished).toMatchObject({ status: 'complete', content: 'Whole' });
    expect(attempts()).toBe(9);
  });

  it('pauses no longer than maxDelayMs between attempts, so an outage of many attempts inside the budget is ridden out', async () => {
    // Prepare: 40 failed attempts; pauses that kept doubling (1, 2, 4 … ms) would pass the 1 s budget
    // at the eleventh, as SAVE_RETRY's would give up after ~32 s of a 60 s budget without its 2 s cap.
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const started = await replyBeingWritten(postgresMessages(database()), owner.id, conversationId);
    const lost = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { repo, attempts } = withFailing('transaction', lost, 40, {
      budgetMs: 1_000,
      firstDelayMs: 1,
      maxDelayMs: 4,
    });

    // Act
    const finished = await repo.finishTurn(finishing(owner.id, started.assistantMessage.id));

    // Assess
    expect(finished).toMatchObject({ status: 'complete', content: 'Whole' });
    expect(attempts()).toBe(41);
  });

  it('gives up ending a reply once the retry budget is spent, waiting no longer than it', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const started = await replyBeingWritten(postgresMessages(database()), owner.id, conversationId);
    const lost = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { repo, attempts } = withFailing('transaction', lost, Number.POSITIVE_INFINITY, {
      budgetMs: 200,
      firstDelayMs: 10,
      maxDelayMs: 80,
    });
    const before = performance.now();

    const error = await repo
      .finishTurn(finishing(owner.id, started.assistantMessage.id))
      .catch((e: unknown) => e);

    // Waits of 10, 20, 40 and 80 ms: the fifth attempt fails 150 ms in, and another 80 would pass
    // the budget, so five at most; fewer when a busy machine's timers run late (a CI run saw 4).
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(attempts()).toBeGreaterThanOrEqual(3);
    expect(attempts()).toBeLessThanOrEqual(5);
    expect(performance.now() - before).toBeLessThan(1_000);
  });

  it('gives up ending a reply after a query error, which no retry would mend', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const started = await replyBeingWritten(postgresMessages(database()), owner.id, conversationId);
    const syntax = () => Object.assign(new Error('syntax error'), { code: '42601' });
    const { repo, attempts } = withFailing('transaction', syntax, 1);

    const error = await repo
      .finishTurn(finishing(owner.id, started.assistantMessage.id))
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ code: '42601' });
    expect(attempts()).toBe(1);
  });

  it('throws finishing an unknown reply, and charges nothing (the transaction rolls back)', async () => {
    const owner = await createTestUser(pgDb);

    await expect(
      postgresMessages(database()).finishTurn({
        ownerId: owner.id,
        assistantId: randomUUID(),
        content: 'x',
        status: 'complete',
        model: 'm',
        promptTokens: 0,
        completionTokens: 0,
        costMicros: 0,
      }),
    ).rejects.toThrow();
    expect(
      await pgDb.selectFrom('usage_daily').select('day').where('user_id', '=', owner.id).execute(),
    ).toEqual([]);
  });

  it('lists the owner’s messages oldest first in exact keyset pages, and nothing of another', async () => {
    // Prepare: three messages in one millisecond, told apart by microseconds only.
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const ids = await messagesAt(owner.id, conversationId, [
      { content: 'one', at: '2026-01-02T03:04:05.000001Z' },
      { content: 'two', at: '2026-01-02T03:04:05.000002Z' },
      { content: 'three', at: '2026-01-02T03:04:05.000003Z', role: 'assistant' },
      { content: 'four', at: '2026-01-02T03:04:06Z' },
    ]);
    const repo = postgresMessages(database());

    // Act
    const first = await repo.list(owner.id, conversationId, { limit: 2 });
    const second = await repo.list(owner.id, conversationId, {
      limit: 2,
      cursor: decodeCursor(first?.nextCursor ?? ''),
    });

    // Assess
    expect(first?.items.map((m) => [m.id, m.content, m.createdAt])).toEqual([
      [ids[0], 'one', '2026-01-02T03:04:05.000001Z'],
      [ids[1], 'two', '2026-01-02T03:04:05.000002Z'],
    ]);
    expect(decodeCursor(first?.nextCursor ?? '')).toEqual({ at: '2026-01-02T03:04:05.000002Z', id: ids[1] });
    expect(second?.items.map((m) => [m.content, m.role])).toEqual([
      ['three', 'assistant'],
      ['four', 'user'],
    ]);
    expect(second?.nextCursor).toBeNull();
    expect(await repo.list(other.id, conversationId, { limit: 10 })).toBeUndefined();
    expect(await repo.list(owner.id, randomUUID(), { limit: 10 })).toBeUndefined();
  });

  it('reads one message as the list shows it, to its owner only and in its own conversation', async () => {
    // Prepare: a reply with its feedback, a reply being written, and what must not be found.
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const elsewhere = await conversationOf(owner.id);
    const [question, reply] = await messagesAt(owner.id, conversationId, [
      { content: 'one', at: '2026-01-02T03:04:05.000001Z' },
      { content: 'two', at: '2026-01-02T03:04:05.000002Z', role: 'assistant' },
    ]);
    if (!question || !reply) throw new Error('expected two messages');
    await pgDb
      .insertInto('message_feedback')
      .values({ message_id: reply, owner_id: owner.id, rating: 'up' })
      .execute();
    const repo = postgresMessages(database());
    const listed = await repo.list(owner.id, conversationId, { limit: 10 });

    // Act
    const read = await repo.get(owner.id, conversationId, reply);

    // Assess
    expect(read).toEqual(listed?.items[1]);
    expect(read).toMatchObject({ id: reply, content: 'two', feedback: { rating: 'up' } });
    expect(await repo.get(owner.id, conversationId, question)).toEqual(listed?.items[0]);
    expect(await repo.get(other.id, conversationId, reply)).toBeUndefined();
    expect(await repo.get(owner.id, elsewhere, reply)).toBeUndefined();
    expect(await repo.get(owner.id, conversationId, randomUUID())).toBeUndefined();
    await pgDb
      .updateTable('conversations')
      .set({ deleted_at: new Date() })
      .where('id', '=', conversationId)
      .execute();
    expect(await repo.get(owner.id, conversationId, reply)).toBeUndefined();
  });

  it('exports the conversation and all its messages in order, to its owner only', async () => {
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id, 'Exported');
    const ids = await messagesAt(owner.id, conversationId, [
      { content: 'b', at: '2026-01-02T03:04:05.000002Z', role: 'assistant' },
      { content: 'a', at: '2026-01-02T03:04:05.000001Z' },
    ]);
    const repo = postgresMessages(database());

    const exported = await repo.exportConversation(owner.id, conversationId);

    expect(exported?.conversation).toMatchObject({ id: conversationId, title: 'Exported' });
    expect(exported?.conversation.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect((await pagesOf(exported)).flat().map((m) => [m.id, m.role, m.content, m.createdAt])).toEqual([
      [ids[1], 'user', 'a', '2026-01-02T03:04:05.000001Z'],
      [ids[0], 'assistant', 'b', '2026-01-02T03:04:05.000002Z'],
    ]);
    expect(await repo.exportConversation(other.id, conversationId)).toBeUndefined();
    expect(await repo.exportConversation(owner.id, randomUUID())).toBeUndefined();
  });

  it('finds the owner’s messages by words, best first, with matches marked, in keyset pages', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const other = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id, 'Gardens');
    const deleted = await conversationOf(owner.id);
    const theirs = await conversationOf(other.id);
    const [best, , second] = await messagesAt(owner.id, conversationId, [
      { content: 'tulip tulip tulip bulbs', at: '2026-01-02T03:04:05.000001Z' },
      { content: 'nothing to see', at: '2026-01-02T03:04:05.000002Z' },
      { content: 'one tulip', at: '2026-01-02T03:04:05.000003Z', role: 'assistant' },
    ]);
    await messagesAt(owner.id, deleted, [{ content: 'tulip in the bin', at: '2026-01-02T03:04:05Z' }]);
    await pgDb
      .updateTable('conversations')
      .set({ deleted_at: sql<Date>`now()` as never })
      .where('id', '=', deleted)
      .execute();
    await messagesAt(other.id, theirs, [{ content: 'their tulip', at: '2026-01-02T03:04:05Z' }]);
    const repo = postgresMessages(database());

    // Act
    const first = await repo.search(owner.id, { q: 'tulip', limit: 1 });
    const next = await repo.search(owner.id, {
      q: 'tulip',
      limit: 1,
      cursor: searchKeysetOf(first.nextCursor),
    });

    // Assess
    expect(first.items).toEqual([
      {
        conversationId,
        conversationTitle: 'Gardens',
        messageId: best,
        role: 'user',
        snippet: [
          { text: 'tulip', match: true },
          { text: ' ', match: false },
          { text: 'tulip', match: true },
          { text: ' ', match: false },
          { text: 'tulip', match: true },
          { text: ' bulbs', match: false },
        ],
        rank: expect.any(Number) as number,
        createdAt: '2026-01-02T03:04:05.000001Z',
      },
    ]);
    expect(searchKeysetOf(first.nextCursor)).toEqual({ rank: first.items[0]?.rank, id: best });
    expect(next.items.map((hit) => [hit.messageId, hit.role])).toEqual([[second, 'assistant']]);
    expect(next.items[0]?.rank).toBeLessThan(first.items[0]?.rank ?? 0);
    expect(next.nextCursor).toBeNull();
  });

  it('stores and finds hostile text as data', async () => {
    // Prepare
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);
    const repo = postgresMessages(database());
    const hostile = ["'; drop table users; --", '%_\\', '__proto__'];

    // Act
    const started = await repo.startTurn({
      prompt: PROMPT,
      ownerId: owner.id,
      conversationId,
      content: hostile.join(' '),
      model: "gpt'; drop table users; --",
      titleIfFirst: '__proto__',
      idempotencyKey: `__proto__ %_\\ '; drop table users; -- ${randomUUID()}`,
      requestHash: '__proto__',
    });
    const finished = await repo.finishTurn({
      ownerId: owner.id,
      assistantId: started.assistantMessage?.id ?? '',
      content: '{"__proto__": {"polluted": true}}',
      status: 'complete',
      model: '%_\\',
      promptTokens: 1,
      completionTokens: 1,
      costMicros: 1,
    });
    const listed = await repo.list(owner.id, conversationId, { limit: 10 });
    const found = await Promise.all(hostile.map((q) => repo.search(owner.id, { q, limit: 10 })));
    const wildcards = await repo.search(owner.id, { q: '%', limit: 10 });

    // Assess
    expect(listed?.items.map((m) => [m.content, m.model])).toEqual([
      [hostile.join(' '), null],
      ['{"__proto__": {"polluted": true}}', '%_\\'],
    ]);
    expect(finished.model).toBe('%_\\');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await conversationRow(conversationId)).toEqual({ title: '__proto__', message_count: 2 });
    expect(found.map((page) => page.items.length > 0)).toEqual([true, false, true]);
    expect(wildcards.items).toEqual([]);
    expect(await pgDb.selectFrom('users').select('id').where('id', '=', owner.id).execute()).toHaveLength(1);
    expect(await repo.monthlyUsage("'; drop table users; --", new Date())).toEqual({
      used: 0,
      quota: undefined,
    });
  });

  it('refuses a NUL character in content (PostgreSQL text cannot hold it), storing nothing', async () => {
    const owner = await createTestUser(pgDb);
    const conversationId = await conversationOf(owner.id);

    await expect(
      postgresMessages(database()).startTurn({
        prompt: PROMPT,
        ownerId: owner.id,
        conversationId,
        content: 'before\u0000after',
        model: 'gpt-4o-mini',
        titleIfFirst: 'x',
      }),
    ).rejects.toThrow();

    expect(await stored(conversationId)).toEqual([]);
    expect((await conversationRow(conversationId)).message_count).toBe(0);
  });

  it("sums this month's tokens from the first of the month (a date parameter), with the user's quota", async () => {
    const owner = await createTestUser(pgDb, { monthly_token_quota: 9_000 });
    await pgDb
      .insertInto('usage_daily')
      .values([
        {
          user_id: owner.id,
          day: '2026-04-30',
          model: 'a',
          prompt_tokens: 1_000,
          completion_tokens: 1,
          cost_micros: 1,
        },
        {
          user_id: owner.id,
          day: '2026-05-01',
          model: 'a',
          prompt_tokens: 40,
          completion_tokens: 2,
          cost_micros: 1,
        },
      ])
      .execute();

    expect(
      await postgresMessages(database()).monthlyUsage(owner.id, new Date('2026-05-31T23:59:59Z')),
    ).toEqual({
      used: 42,
      quota: 9_000,
    });
  });
});
