import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// The breaker here is this process's own (no shared cache): a circuit this file opens must not
// refuse the model calls of other test files that share the cache.
const redisUrl = process.env.REDIS_URL;
delete process.env.REDIS_URL;
afterAll(() => {
  if (redisUrl !== undefined) process.env.REDIS_URL = redisUrl;
});
const { openai, chat, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-retry-after',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '2000',
  OPENAI_IDLE_TIMEOUT_MS: '2000',
  OPENAI_TOTAL_TIMEOUT_MS: '8000',
  // One failure opens the circuit, for a minute: far longer than the replay's former fixed 5 s.
  OPENAI_CIRCUIT_FAILURES: '1',
  OPENAI_CIRCUIT_OPEN_MS: '60000',
});
const { token } = await signIn();

const send = (conversationId: string, key: string, options: { sse: boolean }) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content: 'Are you there?' },
    headers: { 'Idempotency-Key': key, ...(options.sse ? { Accept: 'text/event-stream' } : {}) },
  });

const retryAfterOf = (response: Awaited<ReturnType<typeof send>>): number =>
  Number(response.headers['retry-after']);

describe('a repeated request whose reply the open circuit refused', () => {
  it('answers Retry-After until the circuit lets a call through, not a fixed 5 s', async () => {
    // Prepare: a provider failure opens the circuit; a second message is refused by it
    openai.queue({ kind: 'server-error' });
    const opened = await send(await newConversation(token), `open-${randomUUID()}`, { sse: false });
    await opened.handlerDone;
    expect(opened.status).toBe(503);
    const conversationId = await newConversation(token);
    const key = `refused-${randomUUID()}`;
    const refused = await send(conversationId, key, { sse: false });
    await refused.handlerDone;
    expect(refused.status).toBe(503);
    const first = retryAfterOf(refused);
    expect(first).toBeGreaterThan(55);

    // Act
    const again = await send(conversationId, key, { sse: false });
    await again.handlerDone;
    const streamed = await send(conversationId, key, { sse: true });
    await streamed.handlerDone;

    // Assess: the first answer's time to wait, less what has passed; no second model call
    expect(again.status).toBe(503);
    expect(retryAfterOf(again)).toBeGreaterThanOrEqual(first - 2);
    expect(retryAfterOf(again)).toBeLessThanOrEqual(first);
    const error = streamed.events.at(-1);
    expect(error?.event).toBe('error');
    const retryAfter = (error?.data as { retryAfter: number }).retryAfter;
    expect(retryAfter).toBeGreaterThanOrEqual(first - 2);
    expect(retryAfter).toBeLessThanOrEqual(first);
    expect(openai.calls).toBe(1);
  });
});
