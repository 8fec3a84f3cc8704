import type { Cache } from '../cache/cache';
import type { RateLimiter } from './rate-limiter';

const WINDOW_SECONDS = 60;

/** Counts requests per key in a minute; refuses beyond the limit the caller gives with each call. */
export interface RateLimits {
  consume(
    key: string,
    limitPerMinute: number,
  ): Promise<{ readonly allowed: boolean; readonly retryAfterSeconds: number }>;
}

export interface CacheRateLimitOptions {
  readonly cache: () => Cache;
  readonly now?: () => number;
  readonly onCacheError?: (error: unknown) => void;
}

/**
 * A fixed one-minute window per key, counted in the cache (Valkey: shared by every function
 * instance). When the cache fails, each instance counts on its own, so the API keeps working
 * with a looser, per-instance limit. The limit only judges the count: a key counts the same
 * whatever limit each call holds it to, so one limiter serves limits that differ (route budgets).
 */
export function cacheRateLimits(options: CacheRateLimitOptions): RateLimits {
  const now = options.now ?? Date.now;
  const local = new Map<string, { window: number; count: number }>();
  const countLocally = (key: string, window: number) => {
    const entry = local.get(key);
    const next = entry && entry.window === window ? entry.count + 1 : 1;
    local.set(key, { window, count: next });
    // Old windows are dropped as they pass: the map holds at most the keys of this minute.
    if (local.size > 10_000) for (const [k, v] of local) if (v.window !== window) local.delete(k);
    return next;
  };
  return {
    async consume(key, limitPerMinute) {
      const seconds = Math.floor(now() / 1000);
      const window = Math.floor(seconds / WINDOW_SECONDS);
      let count: number;
      try {
        count = await options.cache().increment(`rate:${key}:${window}`, WINDOW_SECONDS);
      } catch (error) {
        options.onCacheError?.(error);
        count = countLocally(key, window);
      }
      const allowed = count <= limitPerMinute;
      return { allowed, retryAfterSeconds: allowed ? 0 : (window + 1) * WINDOW_SECONDS - seconds };
    },
  };
}

/** `cacheRateLimits` held to one limit (the chat's messages a minute). */
export function cacheRateLimiter(
  options: CacheRateLimitOptions & { readonly limitPerMinute: number },
): RateLimiter {
  const limits = cacheRateLimits(options);
  return {
    limitPerMinute: options.limitPerMinute,
    consume: (key) => limits.consume(key, options.limitPerMinute),
  };
}
