import { describe, expect, it, vi } from 'vitest';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

// The month's tokens at the edge: the check before a message reads them through the chat's cache,
// so a charge must reach that check as soon as it is made.
const { openai, chat, db, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-quota-boundary',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '5000',
  OPENAI_IDLE_TIMEOUT_MS: '5000',
  OPENAI_TOTAL_TIMEOUT_MS: '20000',
  CHAT_MAX_REPLIES_IN_FLIGHT: '3',
});

const send = (token: string, conversationId: string, content: string) =>
  callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content },
    headers: { Accept: 'text/event-stream' },
  });

const today = () => new Date().toISOString().slice(0, 10);

/** `tokens` charged to the person today, as an earlier reply would have been. */
const charge = (userId: string, tokens: number) =>
  db
    .insertInto('usage_daily')
    .values({
      user_id: userId,
      day: today(),
      model: 'gpt-4o-mini',
      prompt_tokens: tokens,
      completion_tokens: 0,
      requests: 1,
      cost_micros: 0,
    })
    .execute();

describe('the monthly quota at its edge', () => {
  it('lets a message through one token short of the quota, and refuses the next at exactly the quota', async () => {
    // Prepare: 99 of 100 tokens used
    const { user, token } = await signIn('members', { monthly_token_quota: 100 });
    await charge(user.id, 99);
    const conversationId = await newConversation(token);

    // Act: one message passes (its reply costs more than the token left), the next does not
    const first = await send(token, conversationId, 'One more');
    await first.handlerDone;
    const second = await send(token, conversationId, 'And another');

    // Assess
    expect(first.status).toBe(200);
    expect(first.events.at(-1)?.event).toBe('done');
    expect(second.status).toBe(429);
    expect((second.body as { detail: string }).detail).toMatch(/monthly quota of 100 tokens/);
    expect(openai.calls).toBe(1);
  });

  it('refuses at exactly the quota, storing nothing', async () => {
    const { user, token } = await signIn('members', { monthly_token_quota: 100 });
    await charge(user.id, 100);
    const conversationId = await newConversation(token);

    const response = await send(token, conversationId, 'Anything left?');

    expect(response.status).toBe(429);
    expect(openai.calls).toBe(0);
    const stored = await db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .execute();
    expect(stored).toEqual([]);
  });

  it('counts an abandoned reply a new turn charged in the very next check, while that turn is still written', async () => {
    // Prepare: 100 tokens a month, none used; a conversation whose reply was left `streaming` 10
    // minutes ago by a function that died, 2,000 characters kept (hundreds of tokens by estimate)
    const { user, token } = await signIn('members', { monthly_token_quota: 100 });
    const abandonedIn = await newConversation(token);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    await db
      .insertInto('messages')
      .values([
        {
          conversation_id: abandonedIn,
          owner_id: user.id,
          role: 'user',
          content: 'Write me a long story',
          status: 'complete',
          created_at: new Date(tenMinutesAgo.getTime() - 1000),
        },
        {
          conversation_id: abandonedIn,
          owner_id: user.id,
          role: 'assistant',
          content: 'a'.repeat(2000),
          status: 'streaming',
          model: 'gpt-4o-mini',
          created_at: tenMinutesAgo,
          updated_at: tenMinutesAgo,
        },
      ])
      .execute();
    const other = await newConversation(token);

    // Act: a message there (checked at 0 used) charges the abandoned reply as its turn starts;
    // while its own reply is being written, a message in another conversation is checked
    openai.setMode({ kind: 'normal', chunkDelayMs: 50, reply: 'slow '.repeat(40).trim() });
    const writing = send(token, abandonedIn, 'Are you there?');
    await vi.waitFor(
      async () => {
        const row = await db
          .selectFrom('messages')
          .select('status')
          .where('conversation_id', '=', abandonedIn)
          .where('content', '=', 'a'.repeat(2000))
          .executeTakeFirst();
        expect(row?.status).toBe('failed');
      },
      { timeout: 5000, interval: 20 },
    );
    const meanwhile = await send(token, other, 'And here?');

    // Assess: refused for the quota the abandoned reply spent, not let through on the usage the
    // first check cached
    expect(meanwhile.status).toBe(429);
    expect((meanwhile.body as { detail: string }).detail).toMatch(/monthly quota of 100 tokens/);
    expect((await writing).events.at(-1)?.event).toBe('done');
  }, 30_000);
});
