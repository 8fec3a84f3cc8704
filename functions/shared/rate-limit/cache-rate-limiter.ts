import type { Cache } from '../cache/cache';
import type { RateLimiter } from './rate-limiter';

const WINDOW_SECONDS = 60;

/**
 * A fixed one-minute window per key, counted in the cache (Valkey: shared by every function
 * instance). When the cache fails, each instance counts on its own, so the API keeps working
 * with a looser, per-instance limit.
 */
export function cacheRateLimiter(options: {
  readonly cache: () => Cache;
  readonly limitPerMinute: number;
  readonly now?: () => number;
  readonly onCacheError?: (error: unknown) => void;
}): RateLimiter {
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
    limitPerMinute: options.limitPerMinute,
    async consume(key) {
      const seconds = Math.floor(now() / 1000);
      const window = Math.floor(seconds / WINDOW_SECONDS);
      let count: number;
      try {
        count = await options.cache().increment(`rate:${key}:${window}`, WINDOW_SECONDS);
      } catch (error) {
        options.onCacheError?.(error);
        count = countLocally(key, window);
      }
      const allowed = count <= options.limitPerMinute;
      return { allowed, retryAfterSeconds: allowed ? 0 : (window + 1) * WINDOW_SECONDS - seconds };
    },
  };
}
