import type { Cache } from './cache';
import { monthlyUsageKey, monthlyUsageVersionKey } from './keys';

/**
 * The version counter outlives every entry of its month (a month has at most 31 days): were it to
 * expire and start again at 1, an entry written under a higher version would pass for current.
 */
const VERSION_TTL_SECONDS = 40 * 24 * 60 * 60;

/**
 * Marks every cached monthly usage of the user written until now as out of date, and answers the
 * new version: call it after a charge or a quota change committed, then read the database.
 * Throws when the cache fails.
 */
export function bumpMonthlyUsage(cache: Cache, userId: string, now: Date): Promise<number> {
  return cache.increment(monthlyUsageVersionKey(userId, now), VERSION_TTL_SECONDS);
}

/**
 * After a change to a user's quota committed (the admin API): the chat's next check reads the
 * database, also when a reply ending meanwhile writes back what it read before the change.
 */
export async function forgetMonthlyUsage(cache: Cache, userId: string, now: Date): Promise<void> {
  await Promise.all([
    bumpMonthlyUsage(cache, userId, now).catch(() => undefined),
    cache.delete(monthlyUsageKey(userId, now)).catch(() => undefined),
  ]);
}
