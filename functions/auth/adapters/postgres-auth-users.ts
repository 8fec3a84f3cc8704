import { sql, type Kysely } from 'kysely';

import type { Database } from '#shared/db/schema';
import type { AuthUser, AuthUsers } from '../ports/auth-users';

export interface PostgresAuthUsersOptions {
  /** Quota of a newly provisioned user; the column default when absent. */
  readonly defaultMonthlyTokens?: number;
}

export function postgresAuthUsers(db: Kysely<Database>, options: PostgresAuthUsersOptions = {}): AuthUsers {
  const columns = ['id', 'email', 'role', 'status'] as const;
  return {
    async find({ id, email }) {
      if (id) {
        const byId = await db.selectFrom('users').select(columns).where('id', '=', id).executeTakeFirst();
        if (byId) return byId;
      }
      if (!email) return null;
      const byEmail = await db
        .selectFrom('users')
        .select(columns)
        .where(sql<string>`lower(email)`, '=', email.toLowerCase())
        .executeTakeFirst();
      return byEmail ?? null;
    },

    async upsert(profile, now) {
      const row = await db
        .insertInto('users')
        .values({
          id: profile.id,
          email: profile.email,
          display_name: profile.displayName,
          role: profile.role,
          ...(profile.mfaEnabled === undefined ? {} : { mfa_enabled: profile.mfaEnabled }),
          ...(options.defaultMonthlyTokens === undefined
            ? {}
            : { monthly_token_quota: options.defaultMonthlyTokens }),
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({
            email: (eb) => eb.ref('excluded.email'),
            // users.role is the source of truth: a group only fills a role that is missing.
            role: sql<AuthUser['role']>`coalesce(users.role, excluded.role)`,
            ...(profile.mfaEnabled === undefined ? {} : { mfa_enabled: profile.mfaEnabled }),
            updated_at: now,
          }),
        )
        // xmax = 0 only on a freshly inserted row version.
        .returning([...columns, sql<boolean>`(xmax = 0)`.as('created')])
        .executeTakeFirstOrThrow();
      const { created, ...user } = row;
      return { user, created };
    },
  };
}
