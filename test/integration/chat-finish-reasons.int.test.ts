import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpChatApi } from '../support/chat-api';
import { callStreaming } from '../support/streaming';

/**
 * How a reply ends, as an OpenAI-compatible server says it: `finish_reason` `stop`, `length` or
 * `content_filter`, or none at all before the stream closes. A server of our own sends exactly the
 * frames each test gives (the fake OpenAI server always ends with `stop`).
 */
let frames: string[] = [];
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const frame of frames) res.write(frame);
    res.end();
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const { chat, db, signIn, newConversation } = await setUpChatApi({
  OPENAI_API_KEY: 'sk-test-finish-reasons',
  OPENAI_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
  OPENAI_MODELS: 'gpt-4o-mini',
  OPENAI_MAX_ATTEMPTS: '1',
  OPENAI_FIRST_TOKEN_TIMEOUT_MS: '2000',
  OPENAI_IDLE_TIMEOUT_MS: '2000',
  OPENAI_TOTAL_TIMEOUT_MS: '8000',
  CHAT_RATE_LIMIT_PER_MINUTE: '1000',
});
const { token } = await signIn();

const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-finish',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  })}\n\n`;
const usage = `data: ${JSON.stringify({
  id: 'chatcmpl-finish',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [],
  usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 },
})}\n\n`;
const DONE = 'data: [DONE]\n\n';

/** A reply of "Here is the first part", ended as `end` says. */
const replyEndingWith = (end: string[]) => [
  chunk({ role: 'assistant', content: '' }, null),
  chunk({ content: 'Here is' }, null),
  chunk({ content: ' the first part' }, null),
  ...end,
];

async function sendAndRead() {
  const conversationId = await newConversation(token);
  const response = await callStreaming(chat, {
    method: 'POST',
    path: `/api/conversations/${conversationId}/messages`,
    token,
    body: { content: 'Tell me everything' },
    headers: { Accept: 'text/event-stream' },
  });
  await response.handlerDone;
  const reply = await db
    .selectFrom('messages')
    .select(['content', 'status', 'error', 'prompt_tokens', 'completion_tokens', 'truncated'])
    .where('conversation_id', '=', conversationId)
    .where('role', '=', 'assistant')
    .executeTakeFirstOrThrow();
  return { last: response.events.at(-1), reply };
}

describe('how the model ends a reply', () => {
  it('stop: complete, done', async () => {
    frames = replyEndingWith([chunk({}, 'stop'), usage, DONE]);

    const { last, reply } = await sendAndRead();

    expect(last?.event).toBe('done');
    expect(last?.data).toMatchObject({ status: 'complete', truncated: false });
    expect(reply).toEqual({
      content: 'Here is the first part',
      status: 'complete',
      error: null,
      prompt_tokens: 12,
      completion_tokens: 5,
      truncated: false,
    });
  });

  it('content_filter: failed, keeping what came, saying the filter stopped it', async () => {
    frames = replyEndingWith([chunk({}, 'content_filter'), usage, DONE]);

    const { last, reply } = await sendAndRead();

    const error = "The AI model's content filter stopped this reply; what it wrote before is kept.";
    expect(last?.event).toBe('error');
    expect(last?.data).toMatchObject({ status: 503, detail: error, message: { status: 'failed' } });
    expect(reply).toEqual({
      content: 'Here is the first part',
      status: 'failed',
      error,
      prompt_tokens: 12,
      completion_tokens: 5,
      truncated: false,
    });
  });

  it('length: complete as it came, and marked truncated (the model wrote as much as it may)', async () => {
    frames = replyEndingWith([chunk({}, 'length'), usage, DONE]);

    const { last, reply } = await sendAndRead();

    expect(last?.event).toBe('done');
    expect(last?.data).toMatchObject({ status: 'complete', truncated: true, stopped: false });
    expect(reply).toMatchObject({
      content: 'Here is the first part',
      status: 'complete',
      error: null,
      truncated: true,
    });
  });

  it('length on a server that sends it with the last words: truncated as well', async () => {
    frames = [
      chunk({ role: 'assistant', content: '' }, null),
      chunk({ content: 'Cut at the limi' }, 'length'),
      usage,
      DONE,
    ];

    const { last, reply } = await sendAndRead();

    expect(last?.data).toMatchObject({ content: 'Cut at the limi', truncated: true });
    expect(reply).toMatchObject({ status: 'complete', truncated: true });
  });

  it('no finish_reason before the stream closes: failed, keeping what came, charged by estimate', async () => {
    frames = replyEndingWith([DONE]);

    const { last, reply } = await sendAndRead();

    expect(last?.event).toBe('error');
    expect(reply).toMatchObject({ content: 'Here is the first part', status: 'failed', truncated: false });
    expect(reply.error).toMatch(/\S/);
    expect(reply.completion_tokens).toBeGreaterThan(0);
  });
});
