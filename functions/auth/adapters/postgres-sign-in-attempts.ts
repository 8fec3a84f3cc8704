import type { Kysely } from 'kysely';

import type { Database } from '#shared/db/schema';
import { decideAttempt, LOCKOUT_POLICY, type AttemptDecision, type LockoutPolicy } from '../domain/lockout';
import type { SignInAttempts } from '../ports/sign-in-attempts';

export function postgresSignInAttempts(
  db: Kysely<Database>,
  policy: LockoutPolicy = LOCKOUT_POLICY,
): SignInAttempts {
  return {
    register: (key, now) =>
      // The row lock makes read-decide-write atomic: concurrent attempts are each counted.
      db.transaction().execute(async (trx): Promise<AttemptDecision> => {
        await trx
          .insertInto('sign_in_attempts')
          .values({ username: key, updated_at: now })
          .onConflict((oc) => oc.column('username').doNothing())
          .execute();
        const row = await trx
          .selectFrom('sign_in_attempts')
          .select(['failed_count', 'last_failed_at', 'locked_until'])
          .where('username', '=', key)
          .forUpdate()
          .executeTakeFirstOrThrow();
        const decision = decideAttempt(
          { failedCount: row.failed_count, lastFailedAt: row.last_failed_at, lockedUntil: row.locked_until },
          now,
          policy,
        );
        if (decision.kind === 'allowed') {
          await trx
            .updateTable('sign_in_attempts')
            .set({
              failed_count: decision.next.failedCount,
              last_failed_at: decision.next.lastFailedAt,
              locked_until: decision.next.lockedUntil,
              updated_at: now,
            })
            .where('username', '=', key)
            .execute();
        }
        return decision;
      }),

    async reset(key, now) {
      await db
        .updateTable('sign_in_attempts')
        .set({ failed_count: 0, last_failed_at: null, locked_until: null, updated_at: now })
        .where('username', '=', key)
        .execute();
    },
  };
}
