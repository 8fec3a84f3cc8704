import { only, sql, type SqlDatabase } from '#shared/db/sql';
import { decideAttempt, LOCKOUT_POLICY, type AttemptDecision, type LockoutPolicy } from '../domain/lockout';
import type { SignInAttempts } from '../ports/sign-in-attempts';

interface AttemptRow {
  failed_count: number;
  last_failed_at: Date | null;
  locked_until: Date | null;
}

export function postgresSignInAttempts(
  db: SqlDatabase,
  policy: LockoutPolicy = LOCKOUT_POLICY,
): SignInAttempts {
  return {
    register: (key, now) =>
      // The row lock makes read-decide-write atomic: concurrent attempts are each counted.
      db.transaction(async (tx): Promise<AttemptDecision> => {
        await tx.query(sql`
          insert into sign_in_attempts (username, updated_at) values (${key}, ${now})
          on conflict (username) do nothing`);
        const row = await only<AttemptRow>(
          tx,
          sql`
            select failed_count, last_failed_at, locked_until from sign_in_attempts
            where username = ${key} for update`,
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
