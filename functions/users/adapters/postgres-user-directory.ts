import type { Selectable } from 'kysely';
import type { UsersTable } from '#shared/db/schema';
import { first, only, sql, type Queryable } from '#shared/db/sql';
import { displayNameFor } from '#shared/domain/display-name';
import { monthStart } from '../domain/me';
import type { UserDirectory, UserProfile } from '../ports/user-directory';

type UserRow = Pick<
  Selectable<UsersTable>,
  'id' | 'email' | 'display_name' | 'role' | 'status' | 'mfa_enabled' | 'monthly_token_quota'
>;

const toProfile = (row: UserRow): UserProfile => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  role: row.role,
  status: row.status,
  mfaEnabled: row.mfa_enabled,
  monthlyTokens: row.monthly_token_quota === null ? null : Number(row.monthly_token_quota),
});

export function postgresUserDirectory(db: Queryable): UserDirectory {
  const find = async (id: string) => {
    const row = await first<UserRow>(
      db,
      sql`select id, email, display_name, role, status, mfa_enabled, monthly_token_quota
          from users where id = ${id}`,
    );
    return row ? toProfile(row) : undefined;
  };
  return {
    find,
    async provision(user) {
      await db.query(sql`
        insert into users (id, email, display_name, role, kind)
        values (${user.id}, ${user.email.toLowerCase()}, ${displayNameFor(user.email)}, ${user.role}, ${user.kind})
        on conflict (id) do nothing`);
      const profile = await find(user.id);
      if (!profile) throw new Error('user row missing right after insert');
      return profile;
    },
    async tokensUsedSince(id, now) {
      // An aggregate without GROUP BY: always one row, 0 (coalesce) when nothing was used.
      const row = await only<{ used: string | number }>(
        db,
        sql`select coalesce(sum(prompt_tokens + completion_tokens), 0) as used
            from usage_daily
            where user_id = ${id} and day >= cast(${monthStart(now)} as date)`,
      );
      return Number(row.used);
    },
  };
}
