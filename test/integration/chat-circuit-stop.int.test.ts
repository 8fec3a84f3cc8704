import { afterAll, describe, expect, it, vi } from 'vitest';
import { call } from '../support/api';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// The breaker here is this process's own (no shared cache): a circuit this file opens must not
// refuse the model calls of other test files that share the cache.
const redisUrl = process.env.REDIS_URL;
delete process.env.REDIS_URL;
afterAll(() => {
  if (redisUrl !== undefined) process.env.REDIS_URL = redisUrl;
});
const { openai, chat, conversations, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-circuit-stop',
  // The probe of a half-open circuit may take this long to fail: far longer than a Stop may wait.
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '6000',
  OPENAI_IDLE_TIMEOUT_MS: '6000',
  OPENAI_TOTAL_TIMEOUT_MS: '20000',
  // One failure opens the circuit, for a moment only.
  OPENAI_CIRCUIT_FAILURES: '1',
  OPENAI_CIRCUIT_OPEN_MS: '200',
});
const { token } = await signIn();

const send = (conversationId: string) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content: 'Are you there?' },
    headers: { Accept: 'text/event-stream' },
  });

const replyOf = (conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['id', 'status', 'error', 'content', 'stop_requested_at'])
    .where('conversation_id', '=', conversationId)
    .where('role', '=', 'assistant')
    .executeTakeFirst();

describe('Stop on a reply waiting for the half-open circuit’s probe', () => {
  it('ends the reply within a moment, complete and stopped, not when the probe ends', async () => {
    // Prepare: a failure opens the circuit; once it may probe, the probe's call hangs
    openai.queue({ kind: 'server-error' });
    const failed = await send(await newConversation(token));
    expect(failed.events.at(-1)?.event).toBe('error');
    await new Promise((resolve) => setTimeout(resolve, 300));
    openai.setMode({ kind: 'hang' });
    const probingId = await newConversation(token);
    const probing = send(probingId);
    await vi.waitFor(() => expect(openai.calls).toBe(2), { timeout: 5000, interval: 10 });
    // A second reply meanwhile waits for the probe's outcome
    const waitingId = await newConversation(token);
    const waiting = send(waitingId);
    let replyId = '';
    await vi.waitFor(
      async () => {
        const reply = await replyOf(waitingId);
        expect(reply?.status).toBe('streaming');
        replyId = reply?.id ?? '';
      },
      { timeout: 5000, interval: 10 },
    );

    // Act
    const asked = Date.now();
    const stop = await call(conversations, {
      method: 'POST',
      path: `/api/conversations/${waitingId}/messages/${replyId}/stop`,
      token,
    });
    const events = (await waiting).events;
    const took = Date.now() - asked;

    // Assess: within about the stop-check interval (1 s), not the probe's first-token timeout
    // (6 s); ended as a Stop ends a reply before its first words: complete, empty, stopped
    expect(stop.status).toBe(202);
    expect(took).toBeLessThan(3000);
    expect(await replyOf(waitingId)).toMatchObject({ status: 'complete', error: null, content: '' });
    expect(events.at(-1)?.event).toBe('done');
    expect(events.at(-1)?.data).toMatchObject({ status: 'complete', stopped: true });
    // No call of its own was made: the probe was the only one
    expect(openai.calls).toBe(2);

    // and the probe's own reply, stopped in turn, ends at once too (not at its 6 s timeout)
    const probe = await replyOf(probingId);
    const probeAsked = Date.now();
    await call(conversations, {
      method: 'POST',
      path: `/api/conversations/${probingId}/messages/${probe?.id ?? ''}/stop`,
      token,
    });
    expect((await probing).events.at(-1)?.event).toBe('done');
    expect(Date.now() - probeAsked).toBeLessThan(3000);
  }, 30_000);
});
