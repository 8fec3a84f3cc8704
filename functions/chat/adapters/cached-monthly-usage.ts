import type { Cache } from '#shared/cache/cache';
import { monthlyUsageKey, monthlyUsageVersionKey } from '#shared/cache/keys';
import { bumpMonthlyUsage } from '#shared/cache/monthly-usage';
import type { ChatMetrics } from '../ports/chat-metrics';
import type { TurnRepository } from '../ports/message-repository';

/**
 * Short enough that a change no version counts shows within a minute: a quota changed by SQL, and
 * the retention run's charges of abandoned replies (its function has no connection to the cache).
 * The chat's own charges (a reply's end, an abandoned reply charged by the next turn or its
 * regeneration) bump the version.
 */
export const CACHED_USAGE_TTL_SECONDS = 60;

type MonthlyUsage = Awaited<ReturnType<TurnRepository['monthlyUsage']>>;

/** An entry as cached: the usage, and the version (`monthlyUsageVersionKey`) it was read at. */
interface Entry {
  readonly used: number;
  readonly quota?: number;
  readonly version: number;
}

const entryOf = (text: string | null): Entry | undefined => {
  if (text === null) return undefined;
  const entry = JSON.parse(text) as Partial<Entry>;
  // An entry without a version (written before versions were kept) is never current.
  return typeof entry.version === 'number' && typeof entry.used === 'number' ? (entry as Entry) : undefined;
};

const usageOf = (entry: Entry): MonthlyUsage => ({ used: entry.used, quota: entry.quota });

/**
 * The month's usage and quota, read before every message, kept in the cache: two GETs at once
 * instead of a join over `usage_daily`.
 *
 * Requests of one person run at once (tabs, clients, replies ending while a message is checked),
 * so an entry read from the database before a charge or a quota change can reach the cache after
 * the one written since: written over it, it let the person past their quota until it expired.
 * So each entry carries the version of the user's month it was read at (a counter bumped after
 * every charge here, a reply's or an abandoned one's, and every quota change by the admin API, before the database is read again),
 * and is taken only while the counter still stands there. An older entry written last is
 * then a miss, answered by the database, never a figure that is too low. A cache that fails is
 * skipped: the database answers.
 */
export function withCachedMonthlyUsage<R extends TurnRepository>(
  repository: R,
  cache: () => Cache,
  metrics: Pick<ChatMetrics, 'cacheLookup'>,
  now: () => Date = () => new Date(),
): R {
  const store = (key: string, usage: MonthlyUsage, version: number) =>
    cache().set(key, JSON.stringify({ ...usage, version } satisfies Entry), CACHED_USAGE_TTL_SECONDS);
  /**
   * After a charge committed: every entry read before it is out of date (the version bumped), and
   * with `refresh` the database is read again into the cache. When the cache fails, the entry is
   * dropped instead (a miss).
   */
  const charged = async (ownerId: string, refresh: boolean) => {
    const at = now();
    const key = monthlyUsageKey(ownerId, at);
    try {
      const version = await bumpMonthlyUsage(cache(), ownerId, at);
      if (refresh) await store(key, await repository.monthlyUsage(ownerId, at), version);
    } catch {
      await cache()
        .delete(key)
        .catch(() => undefined);
    }
  };
  return {
    ...repository,
    async monthlyUsage(ownerId, at) {
      const key = monthlyUsageKey(ownerId, at);
      const [text, versionText] = await Promise.all([
        cache()
          .get(key)
          .catch(() => null),
        cache()
          .get(monthlyUsageVersionKey(ownerId, at))
          .catch(() => undefined),
      ]);
      // Unreadable: nothing cached can be trusted, nor anything read now stored.
      const version = versionText === undefined ? undefined : Number(versionText ?? 0);
      const entry = entryOf(text);
      // Equal, not merely at least: the counter only grows, so an entry ahead of it was written
      // before the counter was lost (evicted, or the cache restarted) and may be out of date.
      const current = entry !== undefined && version !== undefined && entry.version === version;
      metrics.cacheLookup('monthly-usage', current);
      if (current) return usageOf(entry);
      // Read after the version: a change counted in it committed before this read, so the
      // entry stored under it holds that change.
      const usage = await repository.monthlyUsage(ownerId, at);
      if (version !== undefined) await store(key, usage, version).catch(() => undefined);
      return usage;
    },
    // A turn or a regeneration that charged a reply abandoned by a function that died: only the
    // version is bumped (the reply now being written refreshes the entry when it ends). Nothing is
    // written to the cache when nothing was charged, which is nearly always.
    async startTurn(input) {
      const turn = await repository.startTurn(input);
      if (turn.kind === 'started' && turn.chargedAbandoned) await charged(input.ownerId, false);
      return turn;
    },
    async startRegeneration(input) {
      const regeneration = await repository.startRegeneration(input);
      if (regeneration.chargedAbandoned) await charged(input.ownerId, false);
      return regeneration;
    },
    async finishTurn(input) {
      const message = await repository.finishTurn(input);
      // Refreshed now, after the reply, rather than only dropped: the user's next message then
      // finds it in the cache instead of querying before its first byte. The version is bumped
      // first, so that whatever was read before this charge is out of date, and the database
      // read after it.
      await charged(input.ownerId, true);
      return message;
    },
  };
}
