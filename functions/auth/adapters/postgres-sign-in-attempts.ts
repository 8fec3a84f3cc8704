import { only, sql, type Queryable, type Sql, type SqlDatabase } from '#shared/db/sql';
import { decideAttempt, LOCKOUT_POLICY, type AttemptDecision, type LockoutPolicy } from '../domain/lockout';
import type { SignInAttempts } from '../ports/sign-in-attempts';

interface AttemptRow {
  failed_count: number;
  last_failed_at: Date | null;
  locked_until: Date | null;
}

/**
 * `isLocked` in SQL, for those who read the counters rather than decide an attempt (the admin
 * users list): true when the counter's `locked_until` (a column of sign_in_attempts, written by
 * the code) is still ahead of `now`. Null, as from a left join finding no counter, is no lock.
 */
export const signInLockedAt = (lockedUntil: Sql, now: Date): Sql =>
  sql`coalesce(${lockedUntil} > cast(${now.toISOString()} as timestamptz), false)`;

export function postgresSignInAttempts(
  db: SqlDatabase,
  policy: LockoutPolicy = LOCKOUT_POLICY,
): SignInAttempts {
  return {
    register: (key, now) =>
      // The row lock makes read-decide-write atomic: concurrent attempts are each counted.
      db.transaction(async (tx): Promise<AttemptDecision> => {
        // Insert or lock in one statement (the no-op update takes the row lock): with an insert
        // that does nothing and then a separate `select … for update`, a counter erased in
        // between (an admin's unlock, the retention run) left no row to read, and the attempt
        // failed; now the erasure waits for this transaction, or the insert makes a new row.
        const row = await only<AttemptRow>(
          tx,
          sql`
            insert into sign_in_attempts (username, updated_at) values (${key}, ${now})
            on conflict (username) do update set username = excluded.username
            returning failed_count, last_failed_at, locked_until`,
        );
        const decision = decideAttempt(
          { failedCount: row.failed_count, lastFailedAt: row.last_failed_at, lockedUntil: row.locked_until },
          now,
          policy,
        );
        if (decision.kind === 'allowed') {
          await tx.query(sql`
            update sign_in_attempts
            set failed_count = ${decision.next.failedCount}, last_failed_at = ${decision.next.lastFailedAt},
                locked_until = ${decision.next.lockedUntil}, updated_at = ${now}
            where username = ${key}`);
        }
        return decision;
      }),

    async reset(key, now) {
      await db.query(sql`
        update sign_in_attempts
        set failed_count = 0, last_failed_at = null, locked_until = null, updated_at = ${now}
        where username = ${key}`);
    },
  };
}

/** Lockout counters that no longer count, for the retention run to erase. */
export interface StaleSignInAttempts {
  /**
   * Erases up to `limit` counters that are not locked at `now` and did not change within the
   * lockout window before it; how many.
   */
  erase(now: Date, limit: number): Promise<number>;
}

/**
 * On PostgreSQL (pg or the Data API). A counter is kept for every name ever typed, unknown ones
 * included (the lockout must not tell them apart), so without this the table grew with every
 * name sprayed at the sign-in, and kept what people typed there (at times a password) for ever.
 * A counter neither locked nor changed within the window decides the next attempt as no counter
 * does (`decideAttempt` starts again at zero after the window or an expired lock), so erasing it
 * changes no decision. One short statement a batch, its condition repeated on the DELETE so that
 * a counter an attempt changes while the statement waits for its row is checked again, and kept.
 */
export function postgresStaleSignInAttempts(
  db: Queryable,
  policy: LockoutPolicy = LOCKOUT_POLICY,
): StaleSignInAttempts {
  return {
    async erase(now, limit) {
      const windowStart = new Date(now.getTime() - policy.windowMs);
      const stale = sql`updated_at < cast(${windowStart.toISOString()} as timestamptz)
        and (last_failed_at is null or last_failed_at < cast(${windowStart.toISOString()} as timestamptz))
        and (locked_until is null or locked_until <= cast(${now.toISOString()} as timestamptz))`;
      const result = await db.query(sql`
        delete from sign_in_attempts
        where username in (select username from sign_in_attempts where ${stale} limit ${limit}) and ${stale}`);
      return result.rowCount;
    },
  };
}
