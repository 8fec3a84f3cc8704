import type { Cache } from '#shared/cache/cache';
import { profileKey } from '#shared/cache/keys';
import type { UserDirectory, UserProfile } from '../ports/user-directory';

/**
 * Short: a change made outside the admin API (the sign-in triggers updating the e-mail or MFA,
 * which reach no cache; SQL by hand) shows within half a minute, as the token standing the API
 * enforces does; the admin API drops the entry itself, so its changes show on the next request.
 */
export const PROFILE_TTL_SECONDS = 30;

export interface CacheLookupMetrics {
  cacheLookup(what: 'profile', hit: boolean): void;
}

/**
 * The profile every `/api/me` reads, kept in the cache: one GET instead of a query. A cache that
 * fails is skipped (the database answers); a user without a row is not cached, so the row that
 * provisioning writes is read on the next request.
 */
export function withCachedProfiles(
  directory: UserDirectory,
  cache: () => Cache,
  metrics: CacheLookupMetrics,
): UserDirectory {
  return {
    ...directory,
    async find(id) {
      const key = profileKey(id);
      const cached = await cache()
        .get(key)
        .catch(() => null);
      metrics.cacheLookup('profile', cached !== null);
      if (cached !== null) return JSON.parse(cached) as UserProfile;
      const profile = await directory.find(id);
      if (profile)
        await cache()
          .set(key, JSON.stringify(profile), PROFILE_TTL_SECONDS)
          .catch(() => undefined);
      return profile;
    },
  };
}
