import { describe, expect, it } from 'vitest';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// The usage an OpenAI-compatible server reports is its word, not ours to trust: whatever it sends,
// the reply ends complete and is charged a count the database (and the quota) can hold.
const { openai, chat, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-usage',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '2000',
  OPENAI_IDLE_TIMEOUT_MS: '2000',
  OPENAI_TOTAL_TIMEOUT_MS: '8000',
});

const REPLY = 'A reply of a few words, whose usage the server reports oddly.';
/** The estimate of a reply's completion tokens (four characters a token). */
const ESTIMATED_COMPLETION = Math.ceil(REPLY.length / 4);

/** A new member with a new conversation: each case's charges are its own. */
async function memberWithConversation() {
  const { user, token } = await signIn();
  return { userId: user.id, token, conversationId: await newConversation(token) };
}

const send = (token: string, conversationId: string, content: string) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content },
    headers: { Accept: 'text/event-stream' },
  });

const storedReply = (conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['status', 'error', 'content', 'prompt_tokens', 'completion_tokens'])
    .where('conversation_id', '=', conversationId)
    .where('role', '=', 'assistant')
    .executeTakeFirstOrThrow();

const charged = (userId: string) =>
  db
    .selectFrom('usage_daily')
    .select(['requests', 'prompt_tokens', 'completion_tokens'])
    .where('user_id', '=', userId)
    .execute();

describe('a reply whose reported usage is not a whole, plausible number of tokens', () => {
  it.each([
    ['fractions', { prompt_tokens: 12.5, completion_tokens: 3.25, total_tokens: 15.75 }],
    ['negative numbers', { prompt_tokens: -3, completion_tokens: -1, total_tokens: -4 }],
    ['absurdly large numbers', { prompt_tokens: 1e300, completion_tokens: 1e300, total_tokens: 1e300 }],
    ['numbers past a 32-bit integer', { prompt_tokens: 3e9, completion_tokens: 3e9, total_tokens: 6e9 }],
    ['strings', { prompt_tokens: '17', completion_tokens: '5', total_tokens: '22' }],
    ['null', null],
  ])('ends complete, charged by estimate, when the counts are %s', async (_, usage) => {
    // Prepare
    openai.setMode({ kind: 'usage', usage, reply: REPLY });
    const { userId, token, conversationId } = await memberWithConversation();

    // Act
    const first = await send(token, conversationId, 'Say something');
    await first.handlerDone;

    // Assess: stored complete with the estimate, done, and charged that same estimate
    const reply = await storedReply(conversationId);
    expect(reply).toMatchObject({ status: 'complete', error: null, content: REPLY });
    expect(first.status).toBe(200);
    expect(first.events.at(-1)?.event).toBe('done');
    expect(reply.completion_tokens).toBe(ESTIMATED_COMPLETION);
    expect(reply.prompt_tokens).toBeGreaterThan(0);
    expect(reply.prompt_tokens).toBeLessThan(10_000);
    expect(await charged(userId)).toEqual([
      { requests: 1, prompt_tokens: reply.prompt_tokens, completion_tokens: ESTIMATED_COMPLETION },
    ]);

    // and the conversation takes the next message (not 409: no reply left streaming)
    openai.setMode({ kind: 'normal', reply: 'Next.' });
    const next = await send(token, conversationId, 'Thanks');
    await next.handlerDone;
    expect(next.status).toBe(200);
    expect(next.events.at(-1)?.event).toBe('done');
  });

  it('ends complete, charged by estimate, when no usage chunk comes at all', async () => {
    // Prepare: finish_reason, then [DONE], no usage chunk
    openai.setMode({ kind: 'usage', reply: REPLY });
    const { userId, token, conversationId } = await memberWithConversation();

    // Act
    const first = await send(token, conversationId, 'Say something');
    await first.handlerDone;

    // Assess
    expect(first.events.at(-1)?.event).toBe('done');
    const reply = await storedReply(conversationId);
    expect(reply).toMatchObject({ status: 'complete', completion_tokens: ESTIMATED_COMPLETION });
    expect((await charged(userId))[0]).toMatchObject({ completion_tokens: ESTIMATED_COMPLETION });
  });

  it('keeps a usable count and estimates only the one that is not', async () => {
    // Prepare: a good prompt count, a negative completion count
    openai.setMode({ kind: 'usage', usage: { prompt_tokens: 42, completion_tokens: -7 }, reply: REPLY });
    const { userId, token, conversationId } = await memberWithConversation();

    // Act
    const first = await send(token, conversationId, 'Say something');
    await first.handlerDone;

    // Assess
    expect(first.events.at(-1)?.event).toBe('done');
    const reply = await storedReply(conversationId);
    expect(reply).toMatchObject({
      status: 'complete',
      prompt_tokens: 42,
      completion_tokens: ESTIMATED_COMPLETION,
    });
    expect(await charged(userId)).toEqual([
      { requests: 1, prompt_tokens: 42, completion_tokens: ESTIMATED_COMPLETION },
    ]);
  });

  it('charges a whole, plausible count as reported', async () => {
    // Prepare
    openai.setMode({ kind: 'usage', usage: { prompt_tokens: 1234, completion_tokens: 56 }, reply: REPLY });
    const { userId, token, conversationId } = await memberWithConversation();

    // Act
    const first = await send(token, conversationId, 'Say something');
    await first.handlerDone;

    // Assess
    expect(await storedReply(conversationId)).toMatchObject({
      status: 'complete',
      prompt_tokens: 1234,
      completion_tokens: 56,
    });
    expect(await charged(userId)).toEqual([{ requests: 1, prompt_tokens: 1234, completion_tokens: 56 }]);
  });
});
