import OpenAI, { APIError, RateLimitError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DEFAULT_REPLY, splitReply, startFakeOpenAI, type FakeOpenAI } from './fake-openai';

const KEY = 'sk-test-fake';

/** The server-sent-event `data:` payloads of a streamed response, in order. */
async function frames(response: Response): Promise<string[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((frame) => frame.replace(/^data: /, ''));
}

describe('the fake OpenAI server', () => {
  let fake: FakeOpenAI;
  let sdk: OpenAI;
  const post = (body: unknown, init: { key?: string; path?: string } = {}) =>
    fetch(`${fake.origin}${init.path ?? '/v1/chat/completions'}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${init.key ?? KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi there' }] };

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    sdk = new OpenAI({ apiKey: KEY, baseURL: fake.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('streams chat.completion.chunk frames, a usage chunk and [DONE], as OpenAI does', async () => {
    // Act
    const response = await post({ ...chat, stream: true, stream_options: { include_usage: true } });
    const data = await frames(response);

    // Assess
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as Record<string, unknown>);
    expect(chunks[0]).toMatchObject({
      object: 'chat.completion.chunk',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }],
      usage: null,
    });
    expect(chunks[0]?.id).toMatch(/^chatcmpl-/);
    expect(typeof chunks[0]?.created).toBe('number');
    const contents = chunks.flatMap((c) =>
      (c.choices as { delta: { content?: string } }[]).map((choice) => choice.delta.content ?? ''),
    );
    expect(contents.join('')).toBe(DEFAULT_REPLY);
    expect(chunks.at(-2)).toMatchObject({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) },
    });
    const usage = chunks.at(-1)?.usage as Record<string, number>;
    expect(usage.total_tokens).toBe((usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0));
  });

  it('sends no usage chunk unless asked, like OpenAI', async () => {
    const data = await frames(await post({ ...chat, stream: true }));

    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: unknown[]; usage?: unknown });
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
  });

  it('answers a chat.completion object when not streaming, readable by the official SDK', async () => {
    const completion = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: chat.messages as never,
    });

    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_REPLY);
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('is read by the official SDK as a stream, in several small chunks', async () => {
    // Act
    const stream = await sdk.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const pieces: string[] = [];
    for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '');

    // Assess
    expect(pieces.filter(Boolean)).toEqual(splitReply(DEFAULT_REPLY));
  });

  it('records each request with its body and headers, and counts them', async () => {
    await post({ ...chat, stream: false });
    await post({ ...chat, model: 'gpt-4.1' }, { path: '/chat/completions' });

    expect(fake.calls).toBe(2);
    expect(fake.requests.map((r) => [r.path, r.body?.model])).toEqual([
      ['/v1/chat/completions', 'gpt-4o-mini'],
      ['/chat/completions', 'gpt-4.1'],
    ]);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(fake.requests[0]?.body?.messages).toEqual(chat.messages);
  });

  it('refuses a wrong key with 401 in the OpenAI error shape', async () => {
    const response = await post(chat, { key: 'sk-wrong' });

    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: {
        message: 'Incorrect API key provided.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
  });

  it('answers 429 with Retry-After, which the SDK reads as a RateLimitError', async () => {
    // Prepare
    fake.queue({ kind: 'rate-limited', retryAfter: '7' });

    // Act
    const error = await sdk.chat.completions.create(chat as never).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).headers.get('retry-after')).toBe('7');
    expect((error as RateLimitError).code).toBe('rate_limit_exceeded');
  });

  it('applies queued modes one request each, then the default mode', async () => {
    // Prepare
    fake.setMode({ kind: 'error', status: 400, code: 'context_length_exceeded' });
    fake.queue({ kind: 'server-error' }, { kind: 'normal' });

    // Act
    const statuses = [(await post(chat)).status, (await post(chat)).status, (await post(chat)).status];

    // Assess
    expect(statuses).toEqual([500, 200, 400]);
  });

  it('answers 500 with the OpenAI server_error shape', async () => {
    fake.queue({ kind: 'server-error' });

    const error = await sdk.chat.completions.create(chat as never).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 500, type: 'server_error' });
  });

  it('delays the first chunk, not the headers, in slow-first-token mode', async () => {
    // Prepare
    fake.queue({ kind: 'slow-first-token', delayMs: 200 });
    const started = performance.now();

    // Act
    const response = await post({ ...chat, stream: true });
    const headersAfter = performance.now() - started;
    await response.text();

    // Assess
    expect(headersAfter).toBeLessThan(150);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('never answers in hang mode', async () => {
    fake.queue({ kind: 'hang' });

    const outcome = await fetch(`${fake.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify(chat),
      signal: AbortSignal.timeout(200),
    }).catch((error: unknown) => error);

    expect(outcome).toMatchObject({ name: 'TimeoutError' });
  });

  it('destroys the connection after some chunks in cut mode', async () => {
    fake.queue({ kind: 'cut', afterChunks: 2 });

    const response = await post({ ...chat, stream: true });
    const outcome = await response.text().catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(TypeError);
  });

  it('sends a frame that is not JSON after some chunks in malformed mode', async () => {
    fake.queue({ kind: 'malformed', afterChunks: 1 });

    const data = await frames(await post({ ...chat, stream: true }));

    expect(() => JSON.parse(data[2] ?? '')).toThrow(SyntaxError);
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('answers an unknown path 404 and a body without model 400, in the OpenAI error shape', async () => {
    const notFound = await post(chat, { path: '/v1/embeddings' });
    const bad = await post({ messages: [] });

    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'unknown_url' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error', param: null } });
  });
});
