import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, UsersTable } from '#shared/db/schema';
import { displayNameFor } from '#shared/domain/display-name';
import { monthStart } from '../domain/me';
import type { UserDirectory, UserProfile } from '../ports/user-directory';

const toProfile = (row: Selectable<UsersTable>): UserProfile => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  role: row.role,
  status: row.status,
  mfaEnabled: row.mfa_enabled,
  monthlyTokens: row.monthly_token_quota === null ? null : Number(row.monthly_token_quota),
});

export function postgresUserDirectory(db: Kysely<Database>): UserDirectory {
  const find = async (id: string) => {
    const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toProfile(row) : undefined;
  };
  return {
    find,
    async provision(user) {
      await db
        .insertInto('users')
        .values({
          id: user.id,
          email: user.email.toLowerCase(),
          display_name: displayNameFor(user.email),
          role: user.role,
          kind: user.kind,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const profile = await find(user.id);
      if (!profile) throw new Error('user row missing right after insert');
      return profile;
    },
    async tokensUsedSince(id, now) {
      const row = await db
        .selectFrom('usage_daily')
        .select((eb) =>
          eb.fn
            .coalesce(eb.fn.sum<string>(eb('prompt_tokens', '+', eb.ref('completion_tokens'))), eb.lit(0))
            .as('used'),
        )
        .where('user_id', '=', id)
        .where('day', '>=', sql<string>`cast(${monthStart(now)} as date)`)
        // An aggregate without GROUP BY: always one row, 0 (coalesce) when nothing was used.
        .executeTakeFirstOrThrow();
      return Number(row.used);
    },
  };
}
