import { describe, expect, it } from 'vitest';
import { setUpChatApiWithFakeOpenAI } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

/**
 * CHAT_MAX_REPLY_TOKENS: each request asks the provider for at most that many tokens, and a reply
 * the model ends there (`finish_reason` `length`) is kept, marked cut short; asking it to go on is
 * a message like any other, with the cut reply in the history the model reads.
 */
const { chat, openai, signIn, newConversation } = await setUpChatApiWithFakeOpenAI({
  OPENAI_API_KEY: 'sk-test-reply-limit',
  CHAT_MAX_REPLY_TOKENS: '64',
});
const { token } = await signIn();

/** A message answered in one piece (no Accept: text/event-stream): 201 with both messages. */
async function send(conversationId: string, content: string) {
  const response = await callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content },
  });
  await response.handlerDone;
  return response;
}

describe('the most tokens a reply may have', () => {
  it('is asked of the provider with every request, and a reply cut there is kept, marked, and continued', async () => {
    const conversationId = await newConversation(token);
    openai.queue({ kind: 'normal', reply: 'Chapter one, in which', finishReason: 'length' });

    const cut = await send(conversationId, 'Tell me a long story');

    expect(cut.status).toBe(201);
    expect(cut.body).toMatchObject({
      assistantMessage: { content: 'Chapter one, in which', status: 'complete', truncated: true },
    });
    expect(openai.requests.at(-1)?.body).toMatchObject({ max_completion_tokens: 64, stream: true });
    expect(openai.requests.at(-1)?.body).not.toHaveProperty('max_tokens');

    const more = await send(conversationId, 'Continue from where you stopped.');

    expect(more.body).toMatchObject({ assistantMessage: { status: 'complete', truncated: false } });
    expect(openai.requests.at(-1)?.body?.messages?.slice(-3)).toEqual([
      { role: 'user', content: 'Tell me a long story' },
      { role: 'assistant', content: 'Chapter one, in which' },
      { role: 'user', content: 'Continue from where you stopped.' },
    ]);
  });
});
