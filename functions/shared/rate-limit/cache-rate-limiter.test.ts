import { describe, expect, it } from 'vitest';
import { memoryCache } from '../cache/memory-cache';
import type { Cache } from '../cache/cache';
import { cacheRateLimiter, cacheRateLimits } from './cache-rate-limiter';

/** A cache that is down: every call fails, as Valkey does when unreachable. */
const downCache: Cache = new Proxy({} as Cache, {
  get: (_t, prop) => (prop === 'kind' ? 'valkey' : async () => Promise.reject(new Error('ECONNREFUSED'))),
});

describe('cacheRateLimiter', () => {
  it('allows the limit per minute, then refuses until the next minute with the seconds left', async () => {
    let clock = Date.UTC(2026, 11, 1, 8, 0, 45);
    const shared = memoryCache(() => clock);
    const limited = cacheRateLimiter({ cache: () => shared, limitPerMinute: 2, now: () => clock });
    expect(limited.limitPerMinute).toBe(2);
    expect(await limited.consume('u1')).toEqual({ allowed: true, retryAfterSeconds: 0 });
    expect(await limited.consume('u1')).toEqual({ allowed: true, retryAfterSeconds: 0 });
    expect(await limited.consume('u1')).toEqual({ allowed: false, retryAfterSeconds: 15 });
    expect(await limited.consume('u2')).toEqual({ allowed: true, retryAfterSeconds: 0 });
    clock += 15_000;
    expect(await limited.consume('u1')).toEqual({ allowed: true, retryAfterSeconds: 0 });
  });

  it('counts in each instance when the cache is down, reports the error, and still limits', async () => {
    let clock = Date.UTC(2026, 11, 1, 8, 0, 0);
    const errors: unknown[] = [];
    const limiter = cacheRateLimiter({
      cache: () => downCache,
      limitPerMinute: 1,
      now: () => clock,
      onCacheError: (e) => errors.push(e),
    });
    expect((await limiter.consume('u1')).allowed).toBe(true);
    expect(await limiter.consume('u1')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect((await limiter.consume('u2')).allowed).toBe(true);
    expect(errors).toHaveLength(3);
    expect(String(errors[0])).toContain('ECONNREFUSED');
    clock += 60_000;
    expect((await limiter.consume('u1')).allowed).toBe(true);
  });

  it('starts afresh each minute while counting many keys on its own', async () => {
    let clock = Date.UTC(2026, 11, 1, 8, 0, 0);
    const limiter = cacheRateLimiter({ cache: () => downCache, limitPerMinute: 1, now: () => clock });
    for (let i = 0; i <= 10_000; i++) await limiter.consume(`old-${i}`);
    clock += 60_000;
    // A new minute: past minutes' counters are dropped once over 10,000 keys; counts restart.
    expect((await limiter.consume('old-1')).allowed).toBe(true);
    expect((await limiter.consume('old-1')).allowed).toBe(false);
  });

  it("keeps this minute's counts when it drops old ones, however many keys it counts", async () => {
    // Prepare: the cache is down and 'a' has used up its minute
    const clock = Date.UTC(2026, 11, 1, 8, 0, 0);
    const limiter = cacheRateLimiter({ cache: () => downCache, limitPerMinute: 2, now: () => clock });
    await limiter.consume('a');
    await limiter.consume('a');
    expect((await limiter.consume('a')).allowed).toBe(false);

    // Act: 10,001 other keys in the same minute, past the bound of 10,000 counters
    for (let i = 0; i <= 10_000; i++) await limiter.consume(`other-${i}`);

    // Assess: 'a' is still refused, and the keys just counted keep their counts too
    expect(await limiter.consume('a')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect((await limiter.consume('other-0')).allowed).toBe(true);
    expect((await limiter.consume('other-0')).allowed).toBe(false);
  });
});

describe('cacheRateLimits', () => {
  it.each([
    ['in the cache', memoryCache],
    ['in the instance while the cache is down', () => downCache],
  ])(
    'holds each call to the limit it brings, counting a key the same whatever the limit, %s',
    async (_where, cacheOf) => {
      // Prepare
      const clock = Date.UTC(2026, 11, 1, 8, 0, 45);
      const cache = cacheOf(() => clock);
      const limits = cacheRateLimits({ cache: () => cache, now: () => clock });

      // Act: the second request of 'k' against a limit of 1, the third and fourth against 3
      const verdicts = [
        await limits.consume('k', 1),
        await limits.consume('k', 1),
        await limits.consume('k', 3),
        await limits.consume('k', 3),
        await limits.consume('other', 1),
      ];

      // Assess
      expect(verdicts).toEqual([
        { allowed: true, retryAfterSeconds: 0 },
        { allowed: false, retryAfterSeconds: 15 },
        { allowed: true, retryAfterSeconds: 0 },
        { allowed: false, retryAfterSeconds: 15 },
        { allowed: true, retryAfterSeconds: 0 },
      ]);
    },
  );
});
