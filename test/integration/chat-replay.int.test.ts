import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { type FakeOpenAIMode } from '../support/fake-openai';
import { callStreaming } from '../support/streaming';

// A repeat of a turn whose reply failed answers that failure again (docs/api.md): the same
// problem the first request got, not a generic "the model could not answer".
const { openai, chat, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-replay',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '2000',
  // Short, so a model gone silent mid-reply fails in a moment.
  OPENAI_IDLE_TIMEOUT_MS: '300',
  OPENAI_TOTAL_TIMEOUT_MS: '8000',
  // Failures follow one another here: the breaker has its own tests.
  OPENAI_CIRCUIT_FAILURES: '100',
  // A reply answered in one piece may take 0.3 s here (50 s by default).
  BUFFERED_REPLY_TIMEOUT_MS: '300',
});
const { token } = await signIn();

interface Problem {
  readonly type: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

const send = (conversationId: string, key: string, options: { sse: boolean }) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content: 'Tell me something' },
    headers: { 'Idempotency-Key': key, ...(options.sse ? { Accept: 'text/event-stream' } : {}) },
  });

/** What a problem says, less what differs between two answers of it (the request id). */
const said = ({ type, status, title, detail }: Problem) => ({ type, status, title, detail });

const failedReplyOf = (conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['status', 'error'])
    .where('conversation_id', '=', conversationId)
    .where('role', '=', 'assistant')
    .executeTakeFirstOrThrow();

describe('a repeated request whose reply failed, answered in one piece', () => {
  it('answers the deadline failure again, with its advice to stream, without a second model call', async () => {
    // Prepare: a reply that takes over a second, past the 0.3 s deadline
    openai.setMode({ kind: 'normal', chunkDelayMs: 150 });
    const conversationId = await newConversation(token);
    const key = `replay-${randomUUID()}`;
    const first = await send(conversationId, key, { sse: false });
    await first.handlerDone;
    expect(first.status).toBe(503);
    expect((first.body as Problem).detail).toMatch(/Accept: text\/event-stream/);

    // Act
    const again = await send(conversationId, key, { sse: false });
    await again.handlerDone;

    // Assess
    expect(again.status).toBe(503);
    expect(said(again.body as Problem)).toEqual(said(first.body as Problem));
    expect(again.headers['retry-after']).toBeDefined();
    expect(openai.calls).toBe(1);
    expect(await failedReplyOf(conversationId)).toEqual({
      status: 'failed',
      error: (first.body as Problem).detail,
    });
  });
});

describe('a repeated streamed request whose reply failed', () => {
  it.each<[string, FakeOpenAIMode]>([
    ['went silent mid-reply', { kind: 'stall', afterChunks: 2 }],
    ['was cut mid-reply', { kind: 'cut', afterChunks: 2 }],
    ['was rate limited', { kind: 'rate-limited', retryAfter: '30' }],
    ['refused the request (400)', { kind: 'error', status: 400, code: 'context_length_exceeded' }],
  ])('answers the same error event again when the model %s', async (_, mode) => {
    // Prepare
    openai.setMode(mode);
    const conversationId = await newConversation(token);
    const key = `replay-${randomUUID()}`;
    const first = await send(conversationId, key, { sse: true });
    await first.handlerDone;
    const firstError = first.events.at(-1);
    expect(firstError?.event).toBe('error');

    // Act
    const again = await send(conversationId, key, { sse: true });
    await again.handlerDone;

    // Assess: the same problem, the same stored reply, no second call
    const againError = again.events.at(-1);
    expect(againError?.event).toBe('error');
    expect(said(againError?.data as Problem)).toEqual(said(firstError?.data as Problem));
    expect((againError?.data as { message: unknown }).message).toEqual(
      (firstError?.data as { message: unknown }).message,
    );
    expect(openai.calls).toBe(1);
  });
});
