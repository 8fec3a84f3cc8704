import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DEFAULT_REPLY, startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai';
import type { Cache } from '../../shared/cache/cache';
import { memoryCache } from '../../shared/cache/memory-cache';
import { valkeyCache } from '../../shared/cache/valkey-cache';
import { parseRedisUrl, RespClient } from '../../shared/cache/resp-client';
import { ModelUnavailableError, type ChatEvent } from '../ports/chat-model';
import { openAIChatModel } from './openai-chat-model';

const KEY = 'sk-test-shared-circuit';
const OPEN_MS = 30_000;

async function consume(stream: AsyncIterable<ChatEvent>): Promise<{ events: ChatEvent[]; error?: unknown }> {
  const events: ChatEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] } as const;

describe('the OpenAI circuit shared through the cache', () => {
  let fake: FakeOpenAI;

  /** One Lambda instance: its own SDK client and local breaker, the cache it is given. */
  const instance = (cache: Cache | undefined) =>
    openAIChatModel({
      apiKey: { get: async () => KEY, invalidate: () => {} },
      baseURL: fake.baseURL,
      models: ['gpt-4o-mini'],
      firstTokenTimeoutMs: 1_000,
      idleTimeoutMs: 1_000,
      totalTimeoutMs: 5_000,
      maxAttempts: 1,
      circuit: { failureThreshold: 2, openMs: OPEN_MS },
      cache,
      sleep: async () => {},
    });

  /** Opens `first`'s circuit with two failed calls, then asks `second`, with the server healthy again. */
  async function openOnOneAskTheOther(
    first: ReturnType<typeof instance>,
    second: ReturnType<typeof instance>,
  ) {
    fake.setMode({ kind: 'server-error' });
    await consume(first.stream(request));
    await consume(first.stream(request));
    const callsWhenOpened = fake.calls;
    fake.setMode({ kind: 'normal' });
    const outcome = await consume(second.stream(request));
    return { callsWhenOpened, outcome };
  }

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.reset();
  });

  it('a second instance on the same in-process cache answers circuit-open without calling upstream', async () => {
    // Prepare
    const cache = memoryCache();
    const [first, second] = [instance(cache), instance(cache)];

    // Act
    const { callsWhenOpened, outcome } = await openOnOneAskTheOther(first, second);

    // Assess
    expect(callsWhenOpened).toBe(2);
    expect(outcome.events).toEqual([]);
    expect(outcome.error).toBeInstanceOf(ModelUnavailableError);
    expect(outcome.error).toMatchObject({ reason: 'circuit-open', details: { attempts: 0 } });
    expect((outcome.error as ModelUnavailableError).retryAfterSeconds).toBeGreaterThan(0);
    expect(fake.calls).toBe(2);
    expect(second.circuitState()).toBe('open');
  });

  it('an instance with its own cache is not affected', async () => {
    const { outcome } = await openOnOneAskTheOther(instance(memoryCache()), instance(memoryCache()));

    expect(outcome.error).toBeUndefined();
    expect(fake.calls).toBe(3);
  });

  it('keeps chatting on the local breaker when the cache cannot be reached', async () => {
    // Prepare: a real client to a port where nothing listens, as in a Valkey outage.
    const unreachable = valkeyCache({
      url: 'redis://127.0.0.1:1',
      keyPrefix: `parley:test:${randomUUID()}:`,
    });
    try {
      const model = instance(unreachable);

      // Act
      const healthy = await consume(model.stream(request));
      fake.setMode({ kind: 'server-error' });
      await consume(model.stream(request));
      await consume(model.stream(request));
      const refused = await consume(model.stream(request));

      // Assess
      expect(healthy.error).toBeUndefined();
      expect(healthy.events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('')).toBe(
        DEFAULT_REPLY,
      );
      expect(refused.error).toMatchObject({ reason: 'circuit-open' });
      expect(fake.calls).toBe(3);
    } finally {
      await unreachable.close();
    }
  });

  // Needs a real Redis/Valkey: set REDIS_URL (e.g. redis://127.0.0.1:6379). Skipped without it, as
  // the cache adapter's own integration tests are; CI sets it.
  describe.skipIf(!process.env.REDIS_URL)('on real Redis', () => {
    const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    // A prefix per run: concurrent runs and other test files never share the circuit key.
    const prefix = `parley:test:${randomUUID()}:`;
    let raw: RespClient;
    const caches: Cache[] = [];
    const cacheFor = () => {
      const cache = valkeyCache({ url, keyPrefix: prefix });
      caches.push(cache);
      return cache;
    };

    beforeAll(() => {
      raw = new RespClient({ endpoint: parseRedisUrl(url) });
    });
    afterAll(async () => {
      const keys = (await raw.command('KEYS', `${prefix}*`)) as string[];
      if (keys.length > 0) await raw.command('DEL', ...keys);
      await Promise.all(caches.map((cache) => cache.close()));
      await raw.close();
    });

    it('a second instance with its own connection sees the open circuit and does not call upstream', async () => {
      // Prepare: two instances, as two Lambdas would be, each with its own Redis connection.
      const [first, second] = [instance(cacheFor()), instance(cacheFor())];

      // Act
      const { callsWhenOpened, outcome } = await openOnOneAskTheOther(first, second);

      // Assess
      expect(callsWhenOpened).toBe(2);
      expect(outcome.error).toBeInstanceOf(ModelUnavailableError);
      expect(outcome.error).toMatchObject({ reason: 'circuit-open' });
      const retryAfter = (outcome.error as ModelUnavailableError).retryAfterSeconds ?? 0;
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(OPEN_MS / 1000);
      expect(fake.calls).toBe(2);
      const key = `${prefix}circuit:openai:open-until`;
      expect(Number(await raw.command('GET', key))).toBeGreaterThan(Date.now());
      const ttl = (await raw.command('TTL', key)) as number;
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(OPEN_MS / 1000);
    });

    it('sees the open circuit through a read started ahead with prepare(), as the chat starts it', async () => {
      // Prepare: the first instance opens the circuit (a key of this test's own, the one above
      // being still open); the second reads the state ahead.
      const own = () => {
        const cache = valkeyCache({ url, keyPrefix: `${prefix}prepare:` });
        caches.push(cache);
        return cache;
      };
      const [first, second] = [instance(own()), instance(own())];
      fake.setMode({ kind: 'server-error' });
      await consume(first.stream(request));
      await consume(first.stream(request));
      fake.setMode({ kind: 'normal' });

      // Act
      second.prepare?.();
      const outcome = await consume(second.stream(request));

      // Assess
      expect(outcome.error).toMatchObject({ reason: 'circuit-open' });
      expect(fake.calls).toBe(2);
    });
  });
});
