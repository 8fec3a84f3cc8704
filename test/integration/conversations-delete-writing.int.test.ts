import { describe, expect, it, vi } from 'vitest';
import { call } from '../support/api';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// A model that goes silent after its first words, for up to the idle timeout (10 s): a reply that
// nobody stops runs that long, and one that is stopped ends within a moment.
const { openai, chat, conversations, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-delete-writing',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '10000',
  OPENAI_IDLE_TIMEOUT_MS: '10000',
  OPENAI_TOTAL_TIMEOUT_MS: '20000',
});
const { token } = await signIn();

const replyOf = async (conversationId: string) =>
  db
    .selectFrom('messages')
    .select(['id', 'content', 'status', 'error', 'stop_requested_at', 'completion_tokens'])
    .where('conversation_id', '=', conversationId)
    .where('role', '=', 'assistant')
    .executeTakeFirst();

describe('DELETE /api/conversations/{id} while a reply is being written', () => {
  it('stops the reply as Stop does: the model is not left writing, unseen and charged, into a deleted conversation', async () => {
    // Prepare: a reply with its first words written, the model then silent
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
    await vi.waitFor(async () => expect((await replyOf(conversationId))?.content).toMatch(/\S/), {
      timeout: 5000,
      interval: 20,
    });

    // Act
    const asked = Date.now();
    const deleted = await call(conversations, {
      method: 'DELETE',
      path: `/api/conversations/${conversationId}`,
      token,
    });
    const events = (await streamed).events;
    const took = Date.now() - asked;

    // Assess: the reply ended within a moment (not at the idle timeout), as a Stop ends it:
    // complete with the words written so far, its tokens charged
    expect(deleted.status).toBe(204);
    expect(took).toBeLessThan(4000);
    const assistant = await replyOf(conversationId);
    expect(assistant).toMatchObject({ status: 'complete', error: null });
    expect(reply.startsWith(assistant?.content ?? 'x')).toBe(true);
    expect(assistant?.stop_requested_at).not.toBeNull();
    expect(assistant?.completion_tokens).toBeGreaterThan(0);
    expect(events.at(-1)?.data).toMatchObject({ status: 'complete', stopped: true });
  }, 30_000);
});
