import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';
import { startFakeOpenAI } from '../support/fake-openai';
import { callStreaming } from '../support/streaming';

// What the model writes is not ours to trust either: a reply is stored whatever text it holds.
const openai = await startFakeOpenAI({ apiKey: 'sk-test-output' });
const issuer = setUpApiEnvironment({
  OPENAI_API_KEY: 'sk-test-output',
  OPENAI_BASE_URL: openai.baseURL,
  OPENAI_MODELS: 'gpt-4o-mini',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '2000',
  OPENAI_IDLE_TIMEOUT_MS: '2000',
  OPENAI_TOTAL_TIMEOUT_MS: '8000',
  OPENAI_MAX_ATTEMPTS: '1',
  CHAT_RATE_LIMIT_PER_MINUTE: '1000',
});
const chat = (await import('#chat/lambda')).handler;
const conversations = (await import('#conversations/lambda')).handler;
const db = testDatabase();

let token: string;

beforeAll(async () => {
  const user = await createTestUser(db, { role: 'members' });
  token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
});
beforeEach(() => openai.reset());
afterAll(async () => {
  await openai.close();
  await db.destroy();
});

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
    const created = await call(conversations, {
      method: 'POST',
      path: '/api/conversations',
      token,
      body: {},
    });
    const conversationId = (created.body as { id: string }).id;

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
