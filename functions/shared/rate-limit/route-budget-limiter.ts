import type { Cache } from '../cache/cache';
import { cacheRateLimiter } from './cache-rate-limiter';
import type { RateLimiter } from './rate-limiter';

/** Counts one caller's requests of one route in a minute; refuses beyond the route's budget. */
export interface RouteBudgetLimiter {
  consume(
    routeId: string,
    callerId: string,
    perMinute: number,
  ): Promise<{ readonly allowed: boolean; readonly retryAfterSeconds: number }>;
}

/**
 * One fixed one-minute window per caller and route (`cacheRateLimiter`: in the cache, shared by
 * every instance; per instance while the cache fails), keyed `route:<route id>:<caller id>`. The
 * route id is the declaration's, the caller id the verified token's subject (or machine client
 * id): nothing a request names reaches the key.
 */
export function cacheRouteBudgets(options: {
  readonly cache: () => Cache;
  readonly now?: () => number;
  readonly onCacheError?: (error: unknown) => void;
}): RouteBudgetLimiter {
  const limiters = new Map<string, RateLimiter>();
  return {
    consume(routeId, callerId, perMinute) {
      const name = `${routeId}/${perMinute}`;
      let limiter = limiters.get(name);
      if (!limiter) {
        limiter = cacheRateLimiter({ ...options, limitPerMinute: perMinute });
        limiters.set(name, limiter);
      }
      return limiter.consume(`route:${routeId}:${callerId}`);
    },
  };
}
