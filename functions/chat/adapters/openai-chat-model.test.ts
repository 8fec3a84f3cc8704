import { describe, expect, it, vi } from 'vitest';

import { ModelStreamError, ModelUnavailableError, type ChatEvent } from '../ports/chat-model';
import { openAIChatModel, type OpenAIChatModelOptions } from './openai-chat-model';
import { OpenAIKeyError } from './openai-key';

/** A `data:` frame of a chunk with this delta content (or finish reason). */
const content = (text: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
const finish = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
const done = 'data: [DONE]\n\n';

/** A fetch that answers each call with the next list of SSE frames (or response, or thrown error). */
function sseFetch(...answers: (string[] | Error | (() => Response))[]) {
  const calls: unknown[] = [];
  const fetchFn = vi.fn(async (_url: unknown, init?: RequestInit) => {
    calls.push(JSON.parse(String(init?.body)));
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? [];
    if (answer instanceof Error) throw answer;
    if (typeof answer === 'function') return answer();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const frame of answer) controller.enqueue(new TextEncoder().encode(frame));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  });
  return { fetch: fetchFn as unknown as typeof fetch, calls };
}

const model = (fetchFn: typeof fetch, overrides: Partial<OpenAIChatModelOptions> = {}) =>
  openAIChatModel({
    apiKey: { get: async () => 'sk-unit', invalidate: () => {} },
    models: ['gpt-4o-mini'],
    firstTokenTimeoutMs: 1_000,
    idleTimeoutMs: 1_000,
    totalTimeoutMs: 5_000,
    maxAttempts: 2,
    circuit: { failureThreshold: 2, openMs: 30_000 },
    sleep: async () => {},
    fetch: fetchFn,
    ...overrides,
  });

const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'twelve chars' }] } as const;

/** An OpenAI error answer with this status, as the real API words it. */
const statusAnswer = (status: number) => () =>
  new Response(JSON.stringify({ error: { message: 'The server had an error.', type: 'server_error' } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/** A fetch whose calls never answer: each ends only when the SDK aborts it. */
function hangingFetch() {
  let calls = 0;
  const fetchFn = (async (_url: unknown, init?: RequestInit) => {
    calls++;
    return new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), {
        once: true,
      });
    });
  }) as typeof fetch;
  return { fetch: fetchFn, calls: () => calls };
}

const errorFrame = `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`;

async function consume(stream: AsyncIterable<ChatEvent>): Promise<{ events: ChatEvent[]; error?: unknown }> {
  const events: ChatEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

describe('openAIChatModel', () => {
  it('estimates usage when a compatible server sends none', async () => {
    const { fetch } = sseFetch([content('Hello'), content(' world!!'), finish, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'delta', text: 'Hello' },
      { type: 'delta', text: ' world!!' },
      { type: 'usage', promptTokens: 4 + 3, completionTokens: 4 },
    ]);
  });

  it('answers only usage for an empty reply', async () => {
    const { fetch } = sseFetch([content(''), finish, done]);

    const { events } = await consume(model(fetch).stream(request));

    expect(events.map((e) => e.type)).toEqual(['usage']);
  });

  it("says when the provider's content filter ended the reply (finish_reason content_filter)", async () => {
    const filtered = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'content_filter' }] })}\n\n`;
    const { fetch } = sseFetch([content('Here is how'), filtered, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'delta', text: 'Here is how' },
      { type: 'usage', promptTokens: 7, completionTokens: 3, filtered: true },
    ]);
  });

  it('says nothing of a filter or a cut for finish_reason stop', async () => {
    const end = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
    const { fetch } = sseFetch([content('Hello'), end, done]);

    const { events } = await consume(model(fetch).stream(request));

    expect(events.at(-1)).toEqual({ type: 'usage', promptTokens: 7, completionTokens: 2 });
  });

  it('says when the model wrote as much as it may (finish_reason length), and nothing of a filter', async () => {
    const end = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })}\n\n`;
    const { fetch } = sseFetch([content('Hello'), end, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'delta', text: 'Hello' },
      { type: 'usage', promptTokens: 7, completionTokens: 2, truncated: true },
    ]);
  });

  it('asks for at most maxReplyTokens as max_completion_tokens (the parameter every OpenAI model takes), and sets no limit without it', async () => {
    const capped = sseFetch([content('Hello'), finish, done]);
    const uncapped = sseFetch([content('Hello'), finish, done]);

    await consume(model(capped.fetch, { maxReplyTokens: 1_024 }).stream(request));
    await consume(model(uncapped.fetch).stream(request));

    expect(capped.calls).toEqual([
      {
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'twelve chars' }],
        stream: true,
        stream_options: { include_usage: true },
        max_completion_tokens: 1_024,
      },
    ]);
    expect(uncapped.calls[0]).not.toHaveProperty('max_completion_tokens');
    expect(uncapped.calls[0]).not.toHaveProperty('max_tokens');
  });

  it('reads a cut from a server that sends finish_reason length with the last words', async () => {
    const last = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: 'length' }] })}\n\n`;
    const { fetch } = sseFetch([content('Hello '), last, done]);

    const { events } = await consume(model(fetch).stream(request));

    expect(events.map((e) => (e.type === 'delta' ? e.text : e.truncated))).toEqual(['Hello ', 'Hel', true]);
  });

  it('reads only the first choice when a server sends several', async () => {
    const other = `data: ${JSON.stringify({ choices: [{ index: 1, delta: { content: 'NO' }, finish_reason: null }] })}\n\n`;
    const { fetch } = sseFetch([content('yes'), other, finish, done]);

    const { events } = await consume(model(fetch).stream(request));

    expect(events.filter((e) => e.type === 'delta')).toEqual([{ type: 'delta', text: 'yes' }]);
  });

  it('ends with ModelStreamError(cut) when the stream ends after deltas without finishing', async () => {
    const { fetch, calls } = sseFetch([content('Hel'), content('lo')]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(events).toHaveLength(2);
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({ reason: 'cut' });
    expect(calls).toHaveLength(1);
  });

  it('ends with ModelStreamError(malformed) for a chunk without choices after deltas', async () => {
    const { fetch } = sseFetch([content('Hi'), 'data: {"id":"c"}\n\n', finish, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(events).toHaveLength(1);
    expect(error).toMatchObject({ name: 'ModelStreamError', reason: 'malformed' });
  });

  it('ends with ModelStreamError(server-error) for an error event after deltas', async () => {
    const { fetch } = sseFetch([content('Hi'), errorFrame]);

    const { error } = await consume(model(fetch).stream(request));

    expect(error).toMatchObject({ name: 'ModelStreamError', reason: 'server-error' });
    expect((error as Error).message).not.toContain('overloaded');
  });

  it('retries a stream that ends before any content, then gives up as network', async () => {
    const { fetch, calls } = sseFetch([]);

    const { error } = await consume(model(fetch).stream(request));

    expect(error).toMatchObject({ reason: 'network', details: { attempts: 2 } });
    expect(calls).toHaveLength(2);
  });

  it('retries a network failure, then streams the reply', async () => {
    const { fetch, calls } = sseFetch(new TypeError('fetch failed'), [content('ok'), finish, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(error).toBeUndefined();
    expect(events[0]).toEqual({ type: 'delta', text: 'ok' });
    expect(calls).toHaveLength(2);
  });

  it('answers server-error without calling or blaming the provider when the key cannot be read', async () => {
    // Prepare
    const { fetch, calls } = sseFetch([content('ok'), finish, done]);
    const target = model(fetch, {
      apiKey: {
        get: () => Promise.reject(new OpenAIKeyError('could not read the OpenAI key')),
        invalidate: () => {},
      },
    });

    // Act
    const outcomes = [await consume(target.stream(request)), await consume(target.stream(request))];

    // Assess
    for (const { error } of outcomes) {
      expect(error).toBeInstanceOf(ModelUnavailableError);
      expect(error).toMatchObject({ reason: 'server-error', details: { attempts: 1 } });
    }
    expect(calls).toHaveLength(0);
    expect(target.circuitState()).toBe('closed');
  });

  it('logs the key error’s message and the Secrets Manager error behind it when the key cannot be read', async () => {
    // Prepare: Secrets Manager refused the read (an AwsServiceError: its name, status and message)
    const denied = Object.assign(
      new Error('User is not authorized to perform: secretsmanager:GetSecretValue'),
      {
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      },
    );
    const keyError = new OpenAIKeyError('could not read the OpenAI key from arn:aws:secretsmanager:openai', {
      cause: denied,
    });
    const logger = { warn: vi.fn(), info: vi.fn() };
    const target = model(sseFetch([content('ok'), finish, done]).fetch, {
      apiKey: { get: () => Promise.reject(keyError), invalidate: () => {} },
      logger,
    });

    // Act
    await consume(target.stream(request));

    // Assess
    expect(logger.warn).toHaveBeenCalledWith('model call failed', {
      reason: 'server-error',
      status: undefined,
      attempt: 1,
      retryable: false,
      cause: 'OpenAIKeyError',
      causeMessage: 'could not read the OpenAI key from arn:aws:secretsmanager:openai',
      keyError: 'AccessDeniedException: User is not authorized to perform: secretsmanager:GetSecretValue',
    });
  });

  it('names a key error’s cause that is not a service answer without its message, which may quote the secret', async () => {
    const keyError = new OpenAIKeyError('could not read the OpenAI key from arn:aws:secretsmanager:openai', {
      cause: new SyntaxError('Unexpected token, "sk-secret" is not valid JSON'),
    });
    const logger = { warn: vi.fn(), info: vi.fn() };
    const target = model(sseFetch([content('ok'), finish, done]).fetch, {
      apiKey: { get: () => Promise.reject(keyError), invalidate: () => {} },
      logger,
    });

    await consume(target.stream(request));

    expect(logger.warn).toHaveBeenCalledWith(
      'model call failed',
      expect.objectContaining({ keyError: 'SyntaxError' }),
    );
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain('sk-secret');
  });

  it('names the provider’s error and its code in the log line, never its message, which may quote the conversation', async () => {
    // Prepare: a 400 whose message quotes the user's text
    const answer = () =>
      new Response(
        JSON.stringify({
          error: {
            message: "Invalid 'content': 'twelve chars' is too short",
            type: 'invalid_request_error',
            code: 'invalid_value',
          },
        }),
        { status: 400, headers: { 'content-type': 'application/json' } },
      );
    const logger = { warn: vi.fn(), info: vi.fn() };

    // Act
    await consume(model(sseFetch(answer).fetch, { logger }).stream(request));

    // Assess
    expect(logger.warn).toHaveBeenCalledWith(
      'model call failed',
      expect.objectContaining({
        status: 400,
        cause: 'APIError',
        causeType: 'invalid_request_error',
        causeCode: 'invalid_value',
      }),
    );
    expect(JSON.stringify(logger.warn.mock.calls)).not.toContain('twelve chars');
  });

  it('throws the abort reason without calling when the signal is already aborted', async () => {
    const { fetch, calls } = sseFetch([content('ok'), finish, done]);
    const reason = new Error('gone');

    const { error } = await consume(model(fetch).stream({ ...request, signal: AbortSignal.abort(reason) }));

    expect(error).toBe(reason);
    expect(calls).toHaveLength(0);
  });

  it('ends with ModelStreamError(malformed) for a choice that is not an object after deltas', async () => {
    const { fetch, calls } = sseFetch([content('Hi'), 'data: {"choices":[null]}\n\n', finish, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(events).toEqual([{ type: 'delta', text: 'Hi' }]);
    expect(error).toBeInstanceOf(ModelStreamError);
    expect(error).toMatchObject({ reason: 'malformed' });
    expect(calls).toHaveLength(1);
  });

  it('retries a choice that is not an object before any content, then streams the reply', async () => {
    const { fetch, calls } = sseFetch(['data: {"choices":["x"]}\n\n'], [content('ok'), finish, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(error).toBeUndefined();
    expect(events[0]).toEqual({ type: 'delta', text: 'ok' });
    expect(calls).toHaveLength(2);
  });

  it('retries an error event before any content, then streams the reply', async () => {
    const { fetch, calls } = sseFetch([errorFrame], [content('ok'), finish, done]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['delta', 'usage']);
    expect(calls).toHaveLength(2);
  });

  it('answers server-error with no upstream status when every attempt is an error event', async () => {
    const { fetch, calls } = sseFetch([errorFrame]);

    const { events, error } = await consume(model(fetch).stream(request));

    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ reason: 'server-error', retryAfterSeconds: 5, details: { attempts: 2 } });
    expect((error as ModelUnavailableError).details).not.toHaveProperty('upstreamStatus');
    expect((error as Error).message).not.toContain('overloaded');
    expect(calls).toHaveLength(2);
  });

  it('answers timeout when connecting to the server times out on every attempt', async () => {
    // undici's own words for a connect timeout.
    const connectTimeout = new TypeError('fetch failed', {
      cause: new Error('Connect Timeout Error (attempted address: api.example:443, timeout: 10000ms)'),
    });
    const { fetch, calls } = sseFetch(connectTimeout);

    const { error } = await consume(model(fetch).stream(request));

    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({ reason: 'timeout', details: { attempts: 2 } });
    expect(calls).toHaveLength(2);
  });

  it('passes on the caller’s abort reason while the first call waits, without blaming the provider', async () => {
    // Prepare
    const { fetch, calls } = hangingFetch();
    const controller = new AbortController();
    const reason = new Error('client went away');
    const target = model(fetch, { circuit: { failureThreshold: 1, openMs: 30_000 } });

    // Act
    const outcome = consume(target.stream({ ...request, signal: controller.signal }));
    await vi.waitFor(() => expect(calls()).toBe(1));
    controller.abort(reason);
    const { events, error } = await outcome;

    // Assess
    expect(events).toEqual([]);
    expect(error).toBe(reason);
    expect(calls()).toBe(1);
    expect(target.circuitState()).toBe('closed');
  });

  it('passes on the caller’s abort reason when it aborts during a pause that did not notice', async () => {
    // Prepare
    const { fetch, calls } = sseFetch(statusAnswer(500), [content('ok'), finish, done]);
    const controller = new AbortController();
    const reason = new Error('client went away');
    const target = model(fetch, {
      sleep: async () => {
        controller.abort(reason);
      },
    });

    // Act
    const { events, error } = await consume(target.stream({ ...request, signal: controller.signal }));

    // Assess: no second call reached the server.
    expect(events).toEqual([]);
    expect(error).toBe(reason);
    expect(calls).toHaveLength(1);
  });

  it('answers timeout when the total deadline passes during a retry pause', async () => {
    // Prepare: the clock says the pause fits the deadline, but it lasts until something aborts it.
    const { fetch, calls } = sseFetch(statusAnswer(500));
    const target = model(fetch, {
      totalTimeoutMs: 50,
      now: () => 0,
      random: () => 0,
      sleep: (_ms, signal) =>
        new Promise<void>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
    });

    // Act
    const { error } = await consume(target.stream(request));

    // Assess
    expect(error).toBeInstanceOf(ModelUnavailableError);
    expect(error).toMatchObject({
      reason: 'timeout',
      retryAfterSeconds: 5,
      details: { upstreamStatus: 500, attempts: 1 },
    });
    expect(calls).toHaveLength(1);
  });

  it('passes on a failure of the retry pause itself', async () => {
    const { fetch, calls } = sseFetch(statusAnswer(503));
    const broken = new Error('timer unavailable');

    const { error } = await consume(model(fetch, { sleep: () => Promise.reject(broken) }).stream(request));

    expect(error).toBe(broken);
    expect(calls).toHaveLength(1);
  });

  it('passes on an unexpected fault of the key source unchanged, without retrying or blaming the provider', async () => {
    // Prepare
    const { fetch, calls } = sseFetch([content('ok'), finish, done]);
    const fault = new RangeError('key cache corrupted');
    let reads = 0;
    const target = model(fetch, {
      circuit: { failureThreshold: 1, openMs: 30_000 },
      apiKey: {
        get: () => {
          reads++;
          return Promise.reject(fault);
        },
        invalidate: () => {},
      },
    });

    // Act
    const { error } = await consume(target.stream(request));

    // Assess
    expect(error).toBe(fault);
    expect(reads).toBe(1);
    expect(calls).toHaveLength(0);
    expect(target.circuitState()).toBe('closed');
  });

  it('reports its kind, models and circuit state', () => {
    const target = model(sseFetch([]).fetch);

    expect(target.kind).toBe('openai');
    expect(target.models).toEqual(['gpt-4o-mini']);
    expect(target.circuitState()).toBe('closed');
  });
});
