import type { Cache } from '#shared/cache/cache';
import { monthlyUsageKey } from '#shared/cache/keys';
import type { ChatMetrics } from '../ports/chat-metrics';
import type { TurnRepository } from '../ports/message-repository';

/** Short enough that a quota change by other means (SQL) shows within a minute. */
const TTL_SECONDS = 60;

/**
 * The month's usage and quota, read before every message, kept in the cache: one GET instead of
 * a join over `usage_daily`. The entry is refreshed when a reply is charged (here) and dropped when
 * an admin changes the quota (admin wiring), so the check never lets a spent quota through for
 * long. A cache that fails is skipped: the database answers.
 */
export function withCachedMonthlyUsage<R extends TurnRepository>(
  repository: R,
  cache: () => Cache,
  metrics: Pick<ChatMetrics, 'cacheLookup'>,
  now: () => Date = () => new Date(),
): R {
  return {
    ...repository,
    async monthlyUsage(ownerId, at) {
      const key = monthlyUsageKey(ownerId, at);
      const cached = await cache()
        .get(key)
        .catch(() => null);
      metrics.cacheLookup('monthly-usage', cached !== null);
      if (cached !== null) return JSON.parse(cached) as { used: number; quota: number | undefined };
      const usage = await repository.monthlyUsage(ownerId, at);
      await cache()
        .set(key, JSON.stringify(usage), TTL_SECONDS)
        .catch(() => undefined);
      return usage;
    },
    async finishTurn(input) {
      const message = await repository.finishTurn(input);
      // Refreshed now, after the reply, rather than only dropped: the user's next message then
      // finds it in the cache instead of querying before its first byte. (A refresh racing an
      // admin's change can put back the old quota; the TTL bounds that to a minute.)
      const at = now();
      const key = monthlyUsageKey(input.ownerId, at);
      try {
        const usage = await repository.monthlyUsage(input.ownerId, at);
        await cache().set(key, JSON.stringify(usage), TTL_SECONDS);
      } catch {
        await cache()
          .delete(key)
          .catch(() => undefined);
      }
      return message;
    },
  };
}
