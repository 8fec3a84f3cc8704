import { describe, expect, it, vi } from 'vitest';

import { ModelStreamError, ModelUnavailableError, type ChatEvent } from '../ports/chat-model';
import { openAIChatModel, type OpenAIChatModelOptions } from './openai-chat-model';
import { OpenAIKeyError } from './openai-key';

/** A `data:` frame of a chunk with this delta content (or finish reason). */
const content = (text: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
const finish = `data: ${JSON.stringify({ id: 'c', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
const done = 'data: [DONE]\n\n';

/** A fetch that answers each call with the next list of SSE frames (or throws the next error). */
function sseFetch(...answers: (string[] | Error)[]) {
  const calls: unknown[] = [];
  const fetchFn = vi.fn(async (_url: unknown, init?: RequestInit) => {
    calls.push(JSON.parse(String(init?.body)));
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)] ?? [];
    if (answer instanceof Error) throw answer;
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
    const errorFrame = `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`;
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

  it('throws the abort reason without calling when the signal is already aborted', async () => {
    const { fetch, calls } = sseFetch([content('ok'), finish, done]);
    const reason = new Error('gone');

    const { error } = await consume(model(fetch).stream({ ...request, signal: AbortSignal.abort(reason) }));

    expect(error).toBe(reason);
    expect(calls).toHaveLength(0);
  });

  it('reports its kind, models and circuit state', () => {
    const target = model(sseFetch([]).fetch);

    expect(target.kind).toBe('openai');
    expect(target.models).toEqual(['gpt-4o-mini']);
    expect(target.circuitState()).toBe('closed');
  });
});
