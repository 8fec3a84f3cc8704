import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Cache } from '../../shared/cache/cache';
import { memoryCache } from '../../shared/cache/memory-cache';
import {
  CircuitOpenError,
  PREFETCH_FRESH_MS,
  sharedCircuitBreaker,
  type SharedCircuitBreakerOptions,
} from './circuit-breaker';

class ProviderDown extends Error {}
class BadRequest extends Error {}

const KEY = 'circuit:openai:open-until';
const T0 = Date.parse('2025-06-01T12:00:00Z');

function breaker(overrides: Partial<SharedCircuitBreakerOptions> = {}) {
  return sharedCircuitBreaker({
    name: 'openai',
    failureThreshold: 3,
    openMs: 10_000,
    isFailure: (error) => error instanceof ProviderDown,
    ...overrides,
  });
}

const failing = () => Promise.reject(new ProviderDown('down'));

async function failTimes(target: ReturnType<typeof breaker>, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await expect(target.execute(failing)).rejects.toBeInstanceOf(ProviderDown);
}

/** A cache whose every call fails, like Valkey during an outage. */
function brokenCache(): Cache {
  const fail = () => Promise.reject(new Error('ECONNREFUSED'));
  return {
    kind: 'valkey',
    get: fail,
    set: fail,
    increment: fail,
    delete: fail,
    ping: fail,
    close: async () => {},
  };
}

describe('sharedCircuitBreaker', () => {
  // The breaker reads Date.now(): only Date is faked, timers stay real.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes results and errors through while closed', async () => {
    const target = breaker();

    await expect(target.execute(async () => 'reply')).resolves.toBe('reply');
    await expect(target.execute(failing)).rejects.toBeInstanceOf(ProviderDown);
    expect(target.state()).toBe('closed');
  });

  it('opens after the threshold of consecutive failures and then refuses without calling', async () => {
    // Prepare
    const target = breaker();
    await failTimes(target, 3);
    const fn = vi.fn(async () => 'reply');

    // Act
    const refusal = await target.execute(fn).catch((error: unknown) => error);

    // Assess
    expect(refusal).toBeInstanceOf(CircuitOpenError);
    expect((refusal as CircuitOpenError).retryAfterMs).toBe(10_000);
    expect((refusal as CircuitOpenError).scope).toBe('local');
    expect(fn).not.toHaveBeenCalled();
    expect(target.state()).toBe('open');
  });

  it('does not count errors that are not failures of the provider, nor let them reset the count', async () => {
    // Prepare
    const target = breaker();
    await failTimes(target, 2);

    // Act
    await expect(target.execute(() => Promise.reject(new BadRequest('too long')))).rejects.toBeInstanceOf(
      BadRequest,
    );
    await failTimes(target, 1);

    // Assess
    expect(target.state()).toBe('open');
  });

  it('resets the count on a success', async () => {
    const target = breaker();
    await failTimes(target, 2);

    await target.execute(async () => 'ok');
    await failTimes(target, 2);

    expect(target.state()).toBe('closed');
  });

  it('lets one probe through after openMs, and closes when it succeeds', async () => {
    // Prepare
    const target = breaker();
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 4_000);
    await expect(target.execute(async () => 'early')).rejects.toMatchObject({ retryAfterMs: 6_000 });

    // Act
    vi.setSystemTime(T0 + 10_001);
    const stateBeforeProbe = target.state();
    const probe = await target.execute(async () => 'probe');

    // Assess
    expect(stateBeforeProbe).toBe('half-open');
    expect(probe).toBe('probe');
    expect(target.state()).toBe('closed');
  });

  it('reports half-open while its one probe is in flight; a call meanwhile waits for its outcome', async () => {
    // Prepare
    const target = breaker();
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 10_001);
    let release!: () => void;
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    const order: string[] = [];

    // Act
    const probe = target.execute(
      () =>
        new Promise<string>((resolve) => {
          order.push('probe runs');
          release = () => resolve('probe');
          entered();
        }),
    );
    await inFlight;
    order.push(`state ${target.state()}`);
    const other = target.execute(async () => {
      order.push('other runs');
      return 'other';
    });
    order.push('probe succeeds');
    release();

    // Assess
    await expect(probe).resolves.toBe('probe');
    await expect(other).resolves.toBe('other');
    expect(order).toEqual(['probe runs', 'state half-open', 'probe succeeds', 'other runs']);
    expect(target.state()).toBe('closed');
  });

  it('lets a call waiting for the probe give up at once when its signal aborts, leaving the probe be', async () => {
    // Prepare
    const target = breaker();
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 10_001);
    let release!: () => void;
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => (entered = resolve));
    const probe = target.execute(
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('probe');
          entered();
        }),
    );
    await inFlight;
    const stop = new AbortController();
    const fn = vi.fn(async () => 'other');
    const other = target.execute(fn, stop.signal);

    // Act
    const stopped = new Error('stopped');
    stop.abort(stopped);

    // Assess: the waiting call ends with the signal's reason, without running; the probe goes on
    await expect(other).rejects.toBe(stopped);
    expect(fn).not.toHaveBeenCalled();
    expect(target.state()).toBe('half-open');
    release();
    await expect(probe).resolves.toBe('probe');
    expect(target.state()).toBe('closed');
  });

  it('refuses at once a call whose signal aborted before it waits for the probe', async () => {
    const target = breaker();
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 10_001);
    const probe = target.execute(() => new Promise<string>(() => {}));
    const stop = new AbortController();
    const stopped = new Error('stopped');
    stop.abort(stopped);

    await expect(target.execute(async () => 'other', stop.signal)).rejects.toBe(stopped);
    void probe.catch(() => undefined);
  });

  it('re-opens when the probe fails', async () => {
    const target = breaker();
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 10_001);

    await failTimes(target, 1);

    expect(target.state()).toBe('open');
    await expect(target.execute(async () => 'x')).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('stays open when its probe ends in an error that is not a failure (a Stop), and probes again next', async () => {
    // Prepare
    const cache = memoryCache(() => T0);
    const target = breaker({ cache });
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 10_001);

    // Act: the probe's caller gave up (its own abort), which says nothing of the provider.
    await expect(target.execute(() => Promise.reject(new BadRequest('stopped')))).rejects.toBeInstanceOf(
      BadRequest,
    );
    const afterInconclusive = target.state();
    const keyAfterInconclusive = await cache.get(KEY);
    const fn = vi.fn(async () => 'probe');
    const next = await target.execute(fn);

    // Assess
    expect(afterInconclusive).toBe('half-open');
    expect(keyAfterInconclusive).toBe(String(T0 + 10_000));
    expect(fn).toHaveBeenCalledTimes(1);
    expect(next).toBe('probe');
    expect(target.state()).toBe('closed');
    expect(await cache.get(KEY)).toBeNull();
  });

  it('re-opens for openMs when the probe after an inconclusive one fails', async () => {
    const target = breaker();
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 10_001);
    await expect(target.execute(() => Promise.reject(new BadRequest('stopped')))).rejects.toBeInstanceOf(
      BadRequest,
    );

    await failTimes(target, 1);

    await expect(target.execute(async () => 'x')).rejects.toMatchObject({ retryAfterMs: 10_000 });
    expect(target.state()).toBe('open');
  });

  describe('shared through the cache', () => {
    it('writes open-until with a TTL when it opens', async () => {
      // Prepare
      const cache = memoryCache();
      const set = vi.spyOn(cache, 'set');
      const target = breaker({ cache });

      // Act
      await failTimes(target, 3);

      // Assess
      expect(set).toHaveBeenCalledWith(KEY, String(T0 + 10_000), 10);
      expect(await cache.get(KEY)).toBe(String(T0 + 10_000));
    });

    it('refuses calls on another instance that shares the cache, with the time remaining', async () => {
      // Prepare
      const cache = memoryCache();
      await failTimes(breaker({ cache }), 3);
      const other = breaker({ cache });
      const fn = vi.fn(async () => 'reply');
      vi.setSystemTime(T0 + 2_500);

      // Act
      const refusal = await other.execute(fn).catch((error: unknown) => error);

      // Assess
      expect(refusal).toBeInstanceOf(CircuitOpenError);
      expect(refusal).toMatchObject({ retryAfterMs: 7_500, scope: 'shared' });
      expect(fn).not.toHaveBeenCalled();
      expect(other.state()).toBe('open');
    });

    it('lets the other instance call again once the shared time has passed', async () => {
      const cache = memoryCache();
      await failTimes(breaker({ cache }), 3);
      const other = breaker({ cache });
      vi.setSystemTime(T0 + 10_001);

      await expect(other.execute(async () => 'reply')).resolves.toBe('reply');
      expect(other.state()).toBe('closed');
    });

    it('deletes the shared key when a probe closes the circuit', async () => {
      // Prepare
      const cache = memoryCache(() => T0);
      const target = breaker({ cache });
      await failTimes(target, 3);
      vi.setSystemTime(T0 + 10_001);

      // Act
      await target.execute(async () => 'probe');

      // Assess
      expect(await cache.get(KEY)).toBeNull();
    });

    it('ignores a shared value that is not a time', async () => {
      const cache = memoryCache();
      await cache.set(KEY, 'garbage', 60);

      await expect(breaker({ cache }).execute(async () => 'reply')).resolves.toBe('reply');
    });

    it('keeps working on its local breaker when the cache fails, and logs why', async () => {
      // Prepare
      const logger = { warn: vi.fn(), info: vi.fn() };
      const target = breaker({ cache: brokenCache(), logger });

      // Act
      await expect(target.execute(async () => 'reply')).resolves.toBe('reply');
      await failTimes(target, 3);
      const refusal = await target.execute(async () => 'x').catch((error: unknown) => error);

      // Assess
      expect(refusal).toMatchObject({ scope: 'local' });
      expect(logger.warn).toHaveBeenCalledWith(
        'circuit breaker: cache unavailable, using the local breaker only',
        expect.objectContaining({ operation: 'get', error: 'ECONNREFUSED' }),
      );
      expect(logger.warn).toHaveBeenCalledWith(
        'circuit breaker: cache unavailable, using the local breaker only',
        expect.objectContaining({ operation: 'set' }),
      );
    });

    it('logs a cache failure that is not an Error by its text', async () => {
      // Prepare
      const logger = { warn: vi.fn(), info: vi.fn() };
      // A cache client that rejects with a bare string.
      const refusing: Cache = { ...memoryCache(), get: () => Promise.reject('READONLY replica') };
      const target = breaker({ cache: refusing, logger });

      // Act
      const reply = await target.execute(async () => 'reply');

      // Assess
      expect(reply).toBe('reply');
      expect(logger.warn).toHaveBeenCalledWith(
        'circuit breaker: cache unavailable, using the local breaker only',
        {
          circuit: 'openai',
          operation: 'get',
          error: 'READONLY replica',
        },
      );
    });

    it('does not wait for a cache that never answers longer than its budget', async () => {
      // Prepare
      const hanging: Cache = { ...memoryCache(), get: () => new Promise<string | null>(() => {}) };
      const target = breaker({ cache: hanging, cacheTimeoutMs: 20 });
      const started = performance.now();

      // Act
      const result = await target.execute(async () => 'reply');

      // Assess
      expect(result).toBe('reply');
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });
});

describe('sharedCircuitBreaker.prefetch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A memory cache that counts its reads. */
  function countingCache() {
    const cache = memoryCache();
    let gets = 0;
    return {
      cache: {
        ...cache,
        get: (key: string) => {
          gets += 1;
          return cache.get(key);
        },
      } satisfies Cache,
      gets: () => gets,
    };
  }

  it('lets the next call use the shared state read ahead: one cache read, and an open circuit still refuses', async () => {
    // Prepare: another instance opened the circuit.
    const { cache, gets } = countingCache();
    await cache.set(KEY, String(T0 + 5_000), 5);
    const target = breaker({ cache });

    // Act
    target.prefetch();
    const error = await target.execute(async () => 'reply').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(gets()).toBe(1);
  });

  it('reads again when the read ahead is older than PREFETCH_FRESH_MS, and uses each read once', async () => {
    const { cache, gets } = countingCache();
    const target = breaker({ cache });
    target.prefetch();
    await cache.set(KEY, String(T0 + 60_000), 60);

    vi.setSystemTime(T0 + PREFETCH_FRESH_MS + 1);

    await expect(target.execute(async () => 'reply')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(target.execute(async () => 'reply')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(gets()).toBe(3);
  });

  it('reads nothing ahead without a cache, and never throws when the cache fails', async () => {
    const local = breaker();
    local.prefetch();
    await expect(local.execute(async () => 'reply')).resolves.toBe('reply');

    const broken = breaker({ cache: brokenCache() });
    expect(() => broken.prefetch()).not.toThrow();
    await expect(broken.execute(async () => 'reply')).resolves.toBe('reply');
  });
});

describe('sharedCircuitBreaker.openForMs', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is 0 while closed, and the time left once open, as a refusal would say', async () => {
    const target = breaker();
    expect(await target.openForMs()).toBe(0);

    await failTimes(target, 3);
    vi.setSystemTime(T0 + 2_500);

    expect(await target.openForMs()).toBe(7_500);
    const refusal = await target.execute(async () => 'reply').catch((error: unknown) => error);
    expect(refusal).toMatchObject({ retryAfterMs: 7_500 });
  });

  it('is 0 once a probe may go through, and while it is in flight', async () => {
    const target = breaker();
    await failTimes(target, 3);
    vi.setSystemTime(T0 + 10_000);
    expect(await target.openForMs()).toBe(0);

    let answer!: (value: string) => void;
    const probe = target.execute(() => new Promise<string>((resolve) => (answer = resolve)));
    await vi.waitFor(() => expect(target.state()).toBe('half-open'));
    expect(await target.openForMs()).toBe(0);
    answer('reply');
    await probe;
  });

  it("reads another instance's open circuit from the cache", async () => {
    const cache = memoryCache();
    await failTimes(breaker({ cache }), 3);
    const other = breaker({ cache });
    vi.setSystemTime(T0 + 4_000);

    expect(await other.openForMs()).toBe(6_000);
    vi.setSystemTime(T0 + 10_001);
    expect(await other.openForMs()).toBe(0);
  });

  it('is 0 by its own breaker when the cache fails', async () => {
    const target = breaker({ cache: brokenCache() });

    expect(await target.openForMs()).toBe(0);
  });
});
