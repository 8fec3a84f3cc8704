import type { Cache } from '../cache/cache';
import { first, sql, type Queryable } from '../db/sql';
import type { RevocationList, TokenStanding } from './revocation-list';

/** Every authenticated request reads the standing: the cache keeps it briefly. */
const CACHE_SECONDS = 30;
const key = (userId: string) => `token-standing:${userId}`;

/**
 * The standing of a user's tokens from `users` (status, tokens_valid_after), read through the
 * cache. A change deletes the cached entry, so every instance sees it on its next request; when
 * the cache is down, the database answers.
 */
export function postgresRevocationList(db: Queryable, cache: () => Cache): RevocationList {
  return {
    async standingOf(userId) {
      const cached = await cache()
        .get(key(userId))
        .catch(() => null);
      if (cached) {
        const parsed = JSON.parse(cached) as {
          validAfter: string | null;
          disabled: boolean;
          mfaEnabled?: boolean;
        };
        return {
          validAfter: parsed.validAfter ? new Date(parsed.validAfter) : null,
          disabled: parsed.disabled,
          ...(parsed.mfaEnabled === undefined ? {} : { mfaEnabled: parsed.mfaEnabled }),
        };
      }
      const row = await first<{ status: string; tokens_valid_after: Date | null; mfa_enabled: boolean }>(
        db,
        sql`select status, tokens_valid_after, mfa_enabled from users where id = ${userId}`,
      );
      const standing: TokenStanding = {
        validAfter: row?.tokens_valid_after ? new Date(row.tokens_valid_after) : null,
        disabled: row?.status === 'disabled',
        ...(row ? { mfaEnabled: row.mfa_enabled } : {}),
      };
      const value = JSON.stringify({
        validAfter: standing.validAfter?.toISOString() ?? null,
        disabled: standing.disabled,
        mfaEnabled: standing.mfaEnabled,
      });
      await cache()
        .set(key(userId), value, CACHE_SECONDS)
        .catch(() => undefined);
      return standing;
    },

    async revokeTokens(userId) {
      await db.query(
        // The statement's own time, not the transaction's start: a token refreshed earlier in the
        // transaction (while Cognito signed the user out) is refused too.
        sql`update users set tokens_valid_after = clock_timestamp(), updated_at = now() where id = ${userId}`,
      );
      await forgetStanding(cache(), userId);
    },
  };
}

/** Drops a user's cached standing (after a status change made elsewhere, e.g. a disable). */
export async function forgetStanding(cache: Cache, userId: string): Promise<void> {
  await cache.delete(key(userId)).catch(() => undefined);
}
