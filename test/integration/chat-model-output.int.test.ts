import { describe, expect, it } from 'vitest';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// What the model writes is not ours to trust either: a reply is stored whatever text it holds.
const { openai, chat, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-output',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '2000',
  OPENAI_IDLE_TIMEOUT_MS: '2000',
  OPENAI_TOTAL_TIMEOUT_MS: '8000',
});
const { token } = await signIn();

const stored = (conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['role', 'content', 'status', 'error', 'completion_tokens'])
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

const send = (conversationId: string, content: string) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content },
    headers: { Accept: 'text/event-stream' },
  });

describe('a reply holding a NUL character, which PostgreSQL text cannot store', () => {
  it('is stored complete, the NUL as U+FFFD, and the conversation takes the next message', async () => {
    // Prepare: the model answers with a NUL in the middle of its reply
    openai.setMode({ kind: 'normal', reply: 'Here it is: \u0000 and the words after it.' });
    const conversationId = await newConversation(token);

    // Act
    const first = await send(conversationId, 'Show me a NUL character');
    await first.handlerDone;

    // Assess: the reply ends done, stored complete with the replacement character
    expect(first.events.map((e) => e.event).at(-1)).toBe('done');
    const [, reply] = await stored(conversationId);
    expect(reply).toMatchObject({
      status: 'complete',
      error: null,
      content: 'Here it is: \ufffd and the words after it.',
    });
    expect(first.events.at(-1)?.data).toMatchObject({ content: reply?.content });
    const shown = first.events
      .filter((e) => e.event === 'delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(shown).toBe(reply?.content);

    // and the conversation is not left busy
    openai.setMode({ kind: 'normal', reply: 'Next.' });
    const next = await send(conversationId, 'Thanks');
    await next.handlerDone;
    expect(next.status).toBe(200);
    expect(next.events.at(-1)?.event).toBe('done');
  });
});

describe('a reply with nothing that shows (empty, only white space or invisible characters)', () => {
  it.each([
    ['empty', ''],
    ['only white space', ' \n\n \t'],
    ['only zero-width spaces', '\u200b\u200b'],
  ])('%s: ends failed, saying so, and the conversation takes the next message', async (_name, text) => {
    // Prepare: the model finishes normally, having written nothing that shows
    openai.setMode({ kind: 'normal', reply: text });
    const conversationId = await newConversation(token);

    // Act
    const first = await send(conversationId, 'Say something');
    await first.handlerDone;

    // Assess: an error event, not a blank reply that reads as done; stored failed, with why
    expect(first.status).toBe(200);
    const last = first.events.at(-1);
    expect(last?.event).toBe('error');
    expect(last?.data).toMatchObject({
      status: 503,
      detail: 'The AI model sent an empty reply. Please try again.',
    });
    const [, reply] = await stored(conversationId);
    expect(reply).toMatchObject({
      status: 'failed',
      error: 'The AI model sent an empty reply. Please try again.',
    });

    // and the conversation is not left busy
    openai.setMode({ kind: 'normal', reply: 'Next.' });
    const next = await send(conversationId, 'Thanks');
    await next.handlerDone;
    expect(next.events.at(-1)?.event).toBe('done');
  });
});
