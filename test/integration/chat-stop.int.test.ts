import { describe, expect, it, vi } from 'vitest';
import { call } from '../support/api';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// A model allowed long silences (as a slow provider or a reasoning model takes them mid-reply):
// a Stop must not wait for the silence to end.
const { openai, chat, conversations, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-stop',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '10000',
  OPENAI_IDLE_TIMEOUT_MS: '10000',
  OPENAI_TOTAL_TIMEOUT_MS: '20000',
});
const { token } = await signIn();

const stored = (conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['id', 'role', 'content', 'status', 'error', 'stop_requested_at', 'completion_tokens'])
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

describe('Stop on a reply whose model went silent after its first words', () => {
  it('ends the reply at once, complete and stopped, with the words written so far', async () => {
    // Prepare: two chunks, then the model says nothing more (for up to the idle timeout, 10 s)
    const reply = 'First words, then a long silence before the rest of the reply.';
    openai.setMode({ kind: 'stall', afterChunks: 2, reply });
    const conversationId = await newConversation(token);
    const streamed = callStreaming(chat, {
      method: 'POST',
      path: `/api/conversations/${conversationId}/messages`,
      token,
      body: { content: 'Talk to me' },
      headers: { Accept: 'text/event-stream' },
    });
    let replyId = '';
    await vi.waitFor(
      async () => {
        const [, assistant] = await stored(conversationId);
        expect(assistant?.content).toMatch(/\S/);
        replyId = assistant?.id ?? '';
      },
      { timeout: 5000, interval: 20 },
    );

    // Act
    const asked = Date.now();
    const stop = await call(conversations, {
      method: 'POST',
      path: `/api/conversations/${conversationId}/messages/${replyId}/stop`,
      token,
    });
    const events = (await streamed).events;
    const took = Date.now() - asked;

    // Assess: stopped within a moment (not at the idle timeout, 10 s), ended as a Stop ends a
    // reply: complete with the words written before the silence, not failed as timed out
    expect(stop.status).toBe(202);
    expect(took).toBeLessThan(4000);
    const [, assistant] = await stored(conversationId);
    expect(assistant).toMatchObject({ status: 'complete', error: null });
    expect(assistant?.content).toMatch(/\S/);
    expect(reply.startsWith(assistant?.content ?? 'x')).toBe(true);
    expect(assistant?.stop_requested_at).not.toBeNull();
    expect(assistant?.completion_tokens).toBeGreaterThan(0);
    expect(events.at(-1)?.event).toBe('done');
    expect(events.at(-1)?.data).toMatchObject({
      status: 'complete',
      stopped: true,
      content: assistant?.content,
    });
  }, 30_000);
});
