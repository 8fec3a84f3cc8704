import type { Cache } from '../cache/cache';
import { first, sql, type Queryable } from '../db/sql';
import { isRole, type Role } from '../domain/roles';
import type { RevocationList, TokenStanding } from './revocation-list';

/** Every authenticated request reads the standing: the cache keeps it briefly. */
const CACHE_SECONDS = 30;
const key = (userId: string) => `token-standing:${userId}`;

/**
 * The standing of a user's tokens from `users` (status, tokens_valid_after, mfa_enabled, role),
 * read through the cache in one GET (one query when it misses). A change writes the new standing
 * to the cache once it has committed (refreshStanding; an admin's role change does), so every
 * instance sees it on its next request; when the cache is down, the database answers.
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
          role?: unknown;
        };
        return {
          validAfter: parsed.validAfter ? new Date(parsed.validAfter) : null,
          disabled: parsed.disabled,
          ...(parsed.mfaEnabled === undefined ? {} : { mfaEnabled: parsed.mfaEnabled }),
          // An entry written before the role was kept has none: not known, so not checked.
          ...(parsed.role === undefined ? {} : { role: isRole(parsed.role) ? parsed.role : null }),
        };
      }
      const standing = await readStanding(db, userId);
      // Only where nothing is: a change that committed meanwhile wrote its own standing
      // (refreshStanding), which a value read before it must not replace.
      await cache()
        .set(key(userId), cacheValue(standing), CACHE_SECONDS, { onlyIfAbsent: true })
        .catch(() => undefined);
      return standing;
    },

    async revokeTokens(userId) {
      await markTokensRevoked(db, userId);
      await forgetStanding(cache(), userId);
    },
  };
}

/**
 * Refuses the user's tokens issued until now. The statement's own time, not the transaction's
 * start: a token refreshed earlier in the transaction (while Cognito signed the user out) is
 * refused too. Tokens are compared in whole seconds (`tokenVerdict`), so the instant is taken in
 * the next second, 50 ms past it for Cognito's clock against the database's (a wait of 0.05–1.05 s,
 * before any lock): a token minted before the call, even in its own second, is refused, and one
 * minted after it (a sign-in again) is not.
 */
export async function markTokensRevoked(db: Queryable, userId: string): Promise<void> {
  await db.query(sql`select 1 as slept from pg_sleep(1.05 - extract(epoch from clock_timestamp()) % 1)`);
  await db.query(
    sql`update users set tokens_valid_after = clock_timestamp(), updated_at = now() where id = ${userId}`,
  );
}

/** Drops a user's cached standing (inside a change's transaction, before it commits). */
export async function forgetStanding(cache: Cache, userId: string): Promise<void> {
  await cache.delete(key(userId)).catch(() => undefined);
}

/**
 * After a change committed (a disable, a role change, a sign-out everywhere): the user's standing
 * read again and written to the cache over whatever is there. Readers fill the cache only where
 * nothing is, so a standing one of them read before the commit cannot replace this one (after a
 * mere delete it could, for the cache's 30 s).
 */
export async function refreshStanding(db: Queryable, cache: Cache, userId: string): Promise<void> {
  const standing = await readStanding(db, userId);
  await cache.set(key(userId), cacheValue(standing), CACHE_SECONDS).catch(() => undefined);
}

/**
 * The user's standing as the database has it now, past the cache, which it leaves as it is: a
 * reader may only fill the cache where nothing is (a write over an entry could land after, and
 * undo, a change that committed meanwhile). For the rare decision the cache may be too old for:
 * whether TOTP is on, which the Cognito triggers record where, on AWS, they reach no cache.
 */
export function currentStanding(db: Queryable, userId: string): Promise<TokenStanding> {
  return readStanding(db, userId);
}

async function readStanding(db: Queryable, userId: string): Promise<TokenStanding> {
  const row = await first<{
    status: string;
    tokens_valid_after: Date | null;
    mfa_enabled: boolean;
    role: Role | null;
  }>(db, sql`select status, tokens_valid_after, mfa_enabled, role from users where id = ${userId}`);
  return {
    validAfter: row?.tokens_valid_after ? new Date(row.tokens_valid_after) : null,
    disabled: row?.status === 'disabled',
    ...(row ? { mfaEnabled: row.mfa_enabled, role: isRole(row.role) ? row.role : null } : {}),
  };
}

function cacheValue(standing: TokenStanding): string {
  return JSON.stringify({
    validAfter: standing.validAfter?.toISOString() ?? null,
    disabled: standing.disabled,
    mfaEnabled: standing.mfaEnabled,
    role: standing.role,
  });
}
