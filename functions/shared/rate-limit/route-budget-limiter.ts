import { cacheRateLimits, type CacheRateLimitOptions } from './cache-rate-limiter';

/** Counts one caller's requests of one route in a minute; refuses beyond the route's budget. */
export interface RouteBudgetLimiter {
  consume(
    routeId: string,
    callerId: string,
    perMinute: number,
  ): Promise<{ readonly allowed: boolean; readonly retryAfterSeconds: number }>;
}

/**
 * One fixed one-minute window per caller and route (`cacheRateLimits`: in the cache, shared by
 * every instance; per instance while the cache fails), keyed `route:<route id>:<caller id>`. The
 * route id is the declaration's, the caller id the verified token's subject (or machine client
 * id): nothing a request names reaches the key. Each call brings its route's budget.
 */
export function cacheRouteBudgets(options: CacheRateLimitOptions): RouteBudgetLimiter {
  const limits = cacheRateLimits(options);
  return {
    consume: (routeId, callerId, perMinute) => limits.consume(`route:${routeId}:${callerId}`, perMinute),
  };
}
