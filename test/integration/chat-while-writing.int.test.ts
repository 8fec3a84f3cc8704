import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { call } from '../support/api';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// What a person does to a reply while it is being written: press Stop twice, and again once it
// has ended; ask for it again; repeat the request with the same Idempotency-Key and another body.
const { openai, chat, conversations, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-while-writing',
  OPENAI_MODELS: 'gpt-4o-mini,gpt-4o',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '5000',
  OPENAI_IDLE_TIMEOUT_MS: '5000',
  OPENAI_TOTAL_TIMEOUT_MS: '20000',
});
const { token } = await signIn();

const LONG_REPLY = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');

const send = (conversationId: string, body: unknown, headers: Record<string, string> = {}) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body,
    headers: { Accept: 'text/event-stream', ...headers },
  });

const stop = (conversationId: string, messageId: string) =>
  call(conversations, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages/${messageId}/stop`,
    token,
  });

const regenerate = (conversationId: string, messageId: string) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages/${messageId}/regenerate`,
    token,
    body: {},
    headers: { Accept: 'text/event-stream' },
  });

const reply = (conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['id', 'content', 'status', 'error', 'stop_requested_at'])
    .where('conversation_id', '=', conversationId)
    .where('role', '=', 'assistant')
    .executeTakeFirst();

/**
 * A reply being written slowly (40 ms a word), once its first words are stored. `stalled`: its
 * model falls silent after three words instead, so the writer sees a Stop only at its next look
 * (about a second or two), not at the next word's save.
 */
async function replyBeingWritten(
  headers: Record<string, string> = {},
  body: unknown = { content: 'Talk' },
  stalled = false,
) {
  openai.setMode(
    stalled
      ? { kind: 'stall', afterChunks: 3, reply: LONG_REPLY }
      : { kind: 'normal', chunkDelayMs: 40, reply: LONG_REPLY },
  );
  const conversationId = await newConversation(token);
  const streamed = send(conversationId, body, headers);
  let replyId = '';
  await vi.waitFor(
    async () => {
      const row = await reply(conversationId);
      expect(row?.content).toMatch(/^word0/);
      replyId = row?.id ?? '';
    },
    { timeout: 5000, interval: 20 },
  );
  return { conversationId, streamed, replyId };
}

/** The requests charged to the owner of the conversation (the person signed in here). */
async function chargedRequests(conversationId: string): Promise<number> {
  const row = await db
    .selectFrom('usage_daily')
    .innerJoin('conversations', 'conversations.owner_id', 'usage_daily.user_id')
    .select((eb) => eb.fn.sum<string>('usage_daily.requests').as('requests'))
    .where('conversations.id', '=', conversationId)
    .executeTakeFirst();
  return Number(row?.requests ?? 0);
}

describe('Stop pressed twice, and once more after the reply ended', () => {
  it('takes both while the reply is written (202), ends it once, stopped, and then answers 409', async () => {
    // Prepare: a model silent after three words, so both presses find the reply still being
    // written on a slow machine too (with a word every 40 ms, the writer could end it between them)
    const { conversationId, streamed, replyId } = await replyBeingWritten({}, undefined, true);
    const before = await chargedRequests(conversationId);

    // Act: two presses at once, then one after the reply has ended
    const [first, second] = await Promise.all([stop(conversationId, replyId), stop(conversationId, replyId)]);
    const events = (await streamed).events;
    await (
      await streamed
    ).handlerDone;
    const late = await stop(conversationId, replyId);

    // Assess
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(events.at(-1)?.event).toBe('done');
    expect(events.at(-1)?.data).toMatchObject({ status: 'complete', stopped: true });
    expect(late.status).toBe(409);
    expect(late.headers['Content-Type'] ?? late.headers['content-type']).toMatch(/problem\+json/);
    const row = await reply(conversationId);
    expect(row).toMatchObject({ status: 'complete', error: null });
    expect(LONG_REPLY.startsWith(row?.content ?? 'x')).toBe(true);
    expect(row?.content.length).toBeLessThan(LONG_REPLY.length);
    // Charged once, for the one reply
    expect(await chargedRequests(conversationId)).toBe(before + 1);
    expect(openai.calls).toBe(1);
  }, 30_000);
});

describe('regenerate while the reply is being written', () => {
  it('answers 409 and leaves the reply being written to end whole', async () => {
    // Prepare
    const { conversationId, streamed, replyId } = await replyBeingWritten();

    // Act
    const again = await regenerate(conversationId, replyId);

    // Assess: refused as a problem, before any event; the first reply ends done, whole
    expect(again.status).toBe(409);
    expect(again.events).toEqual([]);
    const events = (await streamed).events;
    expect(events.at(-1)?.event).toBe('done');
    expect(events.at(-1)?.data).toMatchObject({ status: 'complete', content: LONG_REPLY });
    expect(openai.calls).toBe(1);
  }, 30_000);
});

describe('the same Idempotency-Key with another body while its reply is being written', () => {
  it.each([
    ['other text', { content: 'Something else' }],
    ['another model', { content: 'Talk', model: 'gpt-4o' }],
  ])(
    '%s: refuses with 409, replaying nothing and calling no model',
    async (_name, body) => {
      // Prepare
      const key = `key-${randomUUID()}`;
      const { conversationId, streamed } = await replyBeingWritten({ 'Idempotency-Key': key });

      // Act
      const reused = await send(conversationId, body, { 'Idempotency-Key': key });

      // Assess: refused, not the first turn's events
      expect(reused.status).toBe(409);
      expect(reused.events).toEqual([]);
      expect(reused.text).toMatch(/Idempotency-Key/i);
      expect((await streamed).events.at(-1)?.event).toBe('done');
      expect(openai.calls).toBe(1);
      const stored = await db
        .selectFrom('messages')
        .select('content')
        .where('conversation_id', '=', conversationId)
        .where('role', '=', 'user')
        .execute();
      expect(stored).toEqual([{ content: 'Talk' }]);
    },
    30_000,
  );
});
