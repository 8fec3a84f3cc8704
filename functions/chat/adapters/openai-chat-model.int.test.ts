import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  DEFAULT_REPLY,
  splitReply,
  startFakeOpenAI,
  type FakeOpenAI,
} from '../../../test/support/fake-openai';
import { ValidationError } from '../../shared/errors';
import {
  ModelStreamError,
  ModelUnavailableError,
  type ChatEvent,
  type ChatRequest,
} from '../ports/chat-model';
import { openAIChatModel, type OpenAIChatModelOptions } from './openai-chat-model';
import { sleep as realSleep } from './stream-support';

const KEY = 'test-fake-openai-key';
const MODEL = 'gpt-4o-mini';
const NOW = Date.parse('2025-06-01T12:00:00Z');

const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: MODEL,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello.' },
  ],
  ...extra,
});

/** Everything the caller received: the events, then the error that ended the stream if any. */
async function consume(stream: AsyncIterable<ChatEvent>): Promise<{ events: ChatEvent[]; error?: unknown }> {
  const events: ChatEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

const deltasOf = (events: readonly ChatEvent[]) =>
  events.flatMap((e) => (e.type === 'delta' ? [e.text] : []));

describe('openAIChatModel against an OpenAI-compatible server', () => {
  let fake: FakeOpenAI;
  let sleeps: number[];

  /** Fast timeouts, a recorded sleep and a fixed clock, so retries cost no real waiting. */
  const model = (overrides: Partial<OpenAIChatModelOptions> = {}) =>
    openAIChatModel({
      apiKey: { get: async () => KEY, invalidate: () => {} },
      baseURL: fake.baseURL,
      models: [MODEL, 'gpt-4.1'],
      firstTokenTimeoutMs: 300,
      idleTimeoutMs: 300,
      totalTimeoutMs: 5_000,
      maxAttempts: 3,
      circuit: { failureThreshold: 50, openMs: 30_000 },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      now: () => NOW,
      ...overrides,
    });

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
    sleeps = [];
  });

  describe('a normal reply', () => {
    it('streams every delta, then the usage the server counted, from one call', async () => {
      // Act
      const { events, error } = await consume(model().stream(request()));

      // Assess
      expect(error).toBeUndefined();
      expect(deltasOf(events)).toEqual(splitReply(DEFAULT_REPLY));
      expect(events.at(-1)).toEqual({
        type: 'usage',
        promptTokens: 4 + Math.ceil('You are terse.'.length / 4) + 4 + Math.ceil('Say hello.'.length / 4),
        completionTokens: Math.ceil(DEFAULT_REPLY.length / 4),
      });
      expect(fake.calls).toBe(1);
    });

    it('sends the model, the messages, the key and a streaming request with usage', async () => {
      // Act
      await consume(model().stream(request({ model: 'gpt-4.1' })));

      // Assess
      const [sent] = fake.requests;
      expect(sent?.path).toBe('/v1/chat/completions');
      expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(sent?.body).toMatchObject({
        model: 'gpt-4.1',
        messages: request().messages,
        stream: true,
        stream_options: { include_usage: true },
      });
    });

    it('works with a base URL that has no /v1 prefix', async () => {
      const { events } = await consume(model({ baseURL: fake.origin }).stream(request()));

      expect(deltasOf(events).join('')).toBe(DEFAULT_REPLY);
      expect(fake.requests[0]?.path).toBe('/chat/completions');
    });

    it('waits out a slow first token that arrives within the timeout', async () => {
      fake.setMode({ kind: 'slow-first-token', delayMs: 100 });

      // A timeout far above the delay: the suite's 300 ms left a loaded machine (a CI run beside
      // benchmarks) 200 ms to answer, and it once took longer, so the call timed out and retried.
      const { events, error } = await consume(model({ firstTokenTimeoutMs: 3_000 }).stream(request()));

      expect(error).toBeUndefined();
      expect(deltasOf(events).join('')).toBe(DEFAULT_REPLY);
      expect(fake.calls).toBe(1);
    });

    it('refuses a model outside the allow-list without calling the server', async () => {
      const { error } = await consume(model().stream(request({ model: 'gpt-4-32k' })));

      expect(error).toBeInstanceOf(ValidationError);
      expect(fake.calls).toBe(0);
    });
  });

  describe('before the first token: retried', () => {
    it('honours Retry-After in seconds on a 429, then streams the reply', async () => {
      // Prepare
      fake.queue({ kind: 'rate-limited', retryAfter: '2' });

      // Act
      const { events, error } = await consume(model().stream(request()));

      // Assess
      expect(error).toBeUndefined();
      expect(deltasOf(events).join('')).toBe(DEFAULT_REPLY);
      expect(sleeps).toEqual([2000]);
      expect(fake.calls).toBe(2);
    });

    it('honours Retry-After as an HTTP date', async () => {
      fake.queue({ kind: 'rate-limited', retryAfter: new Date(NOW + 3000).toUTCString() });

      const { error } = await consume(model().stream(request()));

      expect(error).toBeUndefined();
      expect(sleeps).toEqual([3000]);
    });

    it("prefers OpenAI's retry-after-ms", async () => {
      fake.queue({ kind: 'rate-limited', retryAfterMs: '750', retryAfter: '1' });

      await consume(model().stream(request()));

      expect(sleeps).toEqual([750]);
    });

    it('does not wait past the total timeout: answers with the Retry-After at once', async () => {
      fake.setMode({ kind: 'rate-limited', retryAfter: '4' });

      const { error } = await consume(model({ totalTimeoutMs: 3_000 }).stream(request()));

      expect(error).toMatchObject({ reason: 'rate-limited', retryAfterSeconds: 4 });
      expect(sleeps).toEqual([]);
      expect(fake.calls).toBe(1);
    });

    it('does not wait out a Retry-After above the cap: answers rate-limited with it at once', async () => {
      // Prepare
      fake.setMode({ kind: 'rate-limited', retryAfter: '120' });

      // Act
      const { events, error } = await consume(model({ retryAfterMaxMs: 10_000 }).stream(request()));

      // Assess
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(ModelUnavailableError);
      expect(error).toMatchObject({ reason: 'rate-limited', retryAfterSeconds: 120, status: 503 });
      expect(sleeps).toEqual([]);
      expect(fake.calls).toBe(1);
    });

    it('backs off with full jitter on a 500, then streams the reply', async () => {
      fake.queue({ kind: 'server-error' }, { kind: 'server-error', status: 503 });

      const { events, error } = await consume(model({ retryBaseDelayMs: 200 }).stream(request()));

      expect(error).toBeUndefined();
      expect(deltasOf(events).join('')).toBe(DEFAULT_REPLY);
      // random() = 0.5 of a cap of 200, then of 400.
      expect(sleeps).toEqual([100, 200]);
      expect(fake.calls).toBe(3);
    });

    it('gives up after the configured attempts with ModelUnavailableError', async () => {
      // Prepare
      fake.setMode({ kind: 'server-error', status: 502 });

      // Act
      const { events, error } = await consume(model({ maxAttempts: 4 }).stream(request()));

      // Assess
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(ModelUnavailableError);
      expect(error).toMatchObject({ reason: 'server-error', details: { upstreamStatus: 502, attempts: 4 } });
      expect((error as ModelUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect(fake.calls).toBe(4);
      expect(sleeps).toHaveLength(3);
    });

    it('answers rate-limited with the server’s Retry-After when 429s outlast the attempts', async () => {
      fake.setMode({ kind: 'rate-limited', retryAfter: '3' });

      const { error } = await consume(model().stream(request()));

      expect(error).toMatchObject({ reason: 'rate-limited', retryAfterSeconds: 3 });
      expect(fake.calls).toBe(3);
      expect(sleeps).toEqual([3000, 3000]);
    });

    it('counts a server that never answers as a timeout and retries it', async () => {
      // Prepare
      fake.setMode({ kind: 'hang' });
      const started = performance.now();

      // Act
      const { error } = await consume(model({ firstTokenTimeoutMs: 150 }).stream(request()));

      // Assess
      expect(error).toBeInstanceOf(ModelUnavailableError);
      expect(error).toMatchObject({ reason: 'timeout', details: { attempts: 3 } });
      expect(fake.calls).toBe(3);
      expect(performance.now() - started).toBeLessThan(3000);
    });

    it('retries a first token slower than the timeout, then streams the reply', async () => {
      fake.queue({ kind: 'slow-first-token', delayMs: 2_000 });

      const { events, error } = await consume(model({ firstTokenTimeoutMs: 150 }).stream(request()));

      expect(error).toBeUndefined();
      expect(deltasOf(events).join('')).toBe(DEFAULT_REPLY);
      expect(fake.calls).toBe(2);
    });

    it('retries a stream cut before any content reached the caller', async () => {
      fake.queue({ kind: 'cut', afterChunks: 0 });

      const { events, error } = await consume(model().stream(request()));

      expect(error).toBeUndefined();
      expect(deltasOf(events).join('')).toBe(DEFAULT_REPLY);
      expect(fake.calls).toBe(2);
    });

    it('retries a malformed chunk before any content reached the caller', async () => {
      fake.queue({ kind: 'malformed', afterChunks: 0 });

      const { events, error } = await consume(model().stream(request()));

      expect(error).toBeUndefined();
      expect(deltasOf(events).join('')).toBe(DEFAULT_REPLY);
      expect(fake.calls).toBe(2);
    });

    it('stops at the total timeout rather than starting another attempt', async () => {
      // Prepare
      fake.setMode({ kind: 'hang' });

      // Act
      const { error } = await consume(
        model({ firstTokenTimeoutMs: 2_000, totalTimeoutMs: 300, now: Date.now }).stream(request()),
      );

      // Assess
      expect(error).toMatchObject({ reason: 'timeout' });
      expect(fake.calls).toBe(1);
    });
  });

  describe('refusals that a retry would not change', () => {
    it('does not retry a 400 and does not count it against the provider', async () => {
      // Prepare
      fake.setMode({ kind: 'error', status: 400, code: 'context_length_exceeded' });
      const target = model({ circuit: { failureThreshold: 2, openMs: 30_000 } });

      // Act
      const outcomes = [await consume(target.stream(request())), await consume(target.stream(request()))];

      // Assess
      for (const { error } of outcomes)
        expect(error).toMatchObject({
          reason: 'server-error',
          details: { upstreamStatus: 400, attempts: 1 },
        });
      expect(fake.calls).toBe(2);
      expect(target.circuitState()).toBe('closed');
    });

    it('does not retry a refused key, and forgets the key so the next call reads it again', async () => {
      // Prepare
      let invalidated = 0;
      const target = model({
        apiKey: {
          get: async () => 'sk-wrong',
          invalidate: () => {
            invalidated++;
          },
        },
      });

      // Act
      const { error } = await consume(target.stream(request()));

      // Assess
      expect(error).toMatchObject({ reason: 'server-error', details: { upstreamStatus: 401 } });
      expect(fake.calls).toBe(1);
      expect(invalidated).toBe(1);
    });
  });

  describe('after the first token: never retried', () => {
    it.each([
      ['cut', { kind: 'cut', afterChunks: 2 }],
      ['timeout', { kind: 'stall', afterChunks: 2 }],
      ['malformed', { kind: 'malformed', afterChunks: 2 }],
    ] as const)('ends with ModelStreamError(%s) after the deltas that arrived', async (reason, mode) => {
      // Prepare
      fake.setMode(mode);

      // Act
      const { events, error } = await consume(model().stream(request()));

      // Assess
      expect(deltasOf(events)).toEqual(splitReply(DEFAULT_REPLY).slice(0, 2));
      expect(events.some((e) => e.type === 'usage')).toBe(false);
      expect(error).toBeInstanceOf(ModelStreamError);
      expect(error).toMatchObject({ reason });
      expect(fake.calls).toBe(1);
      expect(sleeps).toEqual([]);
    });

    it.each([
      ['its finish and usage chunks', 2],
      ['its finish chunk', 1],
    ])(
      'ends whole when the server falls silent after %s, without [DONE] and with the connection open',
      async (_, extra) => {
        // Prepare: every content chunk, then the end the server declared, then nothing.
        const pieces = splitReply(DEFAULT_REPLY);
        fake.setMode({ kind: 'stall', afterChunks: pieces.length + extra });

        // Act
        const { events, error } = await consume(model().stream(request()));

        // Assess: the reply the model said was whole, not a timeout that would store it failed.
        expect(error).toBeUndefined();
        expect(deltasOf(events)).toEqual(pieces);
        expect(events.at(-1)).toMatchObject({ type: 'usage' });
        expect(fake.calls).toBe(1);
      },
    );

    it('ends with ModelStreamError(timeout) when the whole reply outlasts the total timeout', async () => {
      // Prepare: each chunk comes within the idle timeout, but all of them take far too long.
      fake.setMode({ kind: 'normal', chunkDelayMs: 100 });

      // Act
      const { events, error } = await consume(
        model({ idleTimeoutMs: 1_000, totalTimeoutMs: 450, now: Date.now }).stream(request()),
      );

      // Assess
      expect(deltasOf(events).length).toBeGreaterThan(0);
      expect(deltasOf(events).length).toBeLessThan(splitReply(DEFAULT_REPLY).length);
      expect(error).toMatchObject({ name: 'ModelStreamError', reason: 'timeout' });
      expect(fake.calls).toBe(1);
    });
  });

  describe('the caller', () => {
    it('stops the reply with its own abort reason, which is not held against the provider', async () => {
      // Prepare
      fake.setMode({ kind: 'normal', chunkDelayMs: 20 });
      const controller = new AbortController();
      const reason = new Error('request cancelled');
      const target = model({ circuit: { failureThreshold: 1, openMs: 30_000 } });
      const events: ChatEvent[] = [];

      // Act
      const outcome = await (async () => {
        for await (const event of target.stream(request({ signal: controller.signal }))) {
          events.push(event);
          if (events.length === 2) controller.abort(reason);
        }
      })().catch((error: unknown) => error);

      // Assess
      expect(outcome).toBe(reason);
      expect(deltasOf(events)).toHaveLength(2);
      expect(target.circuitState()).toBe('closed');
    });

    it('stops a retry pause at once when it aborts', async () => {
      // Prepare
      fake.setMode({ kind: 'rate-limited', retryAfter: '1' });
      const controller = new AbortController();
      const target = model({
        sleep: (ms, signal) => {
          controller.abort(new Error('gone'));
          return realSleep(ms, signal);
        },
      });

      // Act
      const { error } = await consume(target.stream(request({ signal: controller.signal })));

      // Assess
      expect(error).toMatchObject({ message: 'gone' });
      expect(fake.calls).toBe(1);
    });

    it('closes the connection when it stops reading early', async () => {
      // Prepare
      fake.setMode({ kind: 'stall', afterChunks: 1 });

      // Act
      for await (const event of model({ idleTimeoutMs: 60_000 }).stream(request())) {
        if (event.type === 'delta') break;
      }

      // Assess: a stalled response left open would keep the server from closing in afterAll.
      expect(fake.calls).toBe(1);
    });
  });

  describe('the circuit breaker', () => {
    it('opens after N failed calls and then answers circuit-open without calling upstream', async () => {
      // Prepare
      fake.setMode({ kind: 'server-error' });
      const target = model({ maxAttempts: 3, circuit: { failureThreshold: 3, openMs: 30_000 } });

      // Act
      const first = await consume(target.stream(request()));
      const callsWhenOpened = fake.calls;
      const second = await consume(target.stream(request()));

      // Assess
      expect(first.error).toMatchObject({ reason: 'server-error' });
      expect(callsWhenOpened).toBe(3);
      expect(second.error).toBeInstanceOf(ModelUnavailableError);
      expect(second.error).toMatchObject({ reason: 'circuit-open', details: { attempts: 0 } });
      expect((second.error as ModelUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
      expect((second.error as ModelUnavailableError).retryAfterSeconds).toBeLessThanOrEqual(30);
      expect(fake.calls).toBe(3);
      expect(target.circuitState()).toBe('open');
    });

    it('stops retrying the moment the circuit opens', async () => {
      fake.setMode({ kind: 'server-error' });
      const target = model({ maxAttempts: 5, circuit: { failureThreshold: 2, openMs: 30_000 } });

      const { error } = await consume(target.stream(request()));

      expect(error).toMatchObject({ reason: 'circuit-open', details: { attempts: 2 } });
      expect(fake.calls).toBe(2);
    });
  });
});
