import type { Selectable } from 'kysely';
import { emailHolder } from '#auth/adapters/postgres-email-holder';
import { auditInsert } from '#shared/audit/postgres-audit-log';
import type { UsersTable } from '#shared/db/schema';
import { first, only, sql, type Queryable } from '#shared/db/sql';
import { sqlStateOf } from '#shared/db/sql-state';
import { displayNameFor } from '#shared/domain/display-name';
import { ConflictError } from '#shared/errors';
import { logger, metrics, MetricUnit } from '#shared/powertools';
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

/**
 * 409 for a caller whose e-mail is another `users` row's: a Cognito user deleted and created
 * again (a new `sub`) outside the admin API. The row is never handed to the new identity (its
 * conversations are the old account's); an administrator decides whose it is.
 */
export class EmailOfAnotherUserError extends ConflictError {
  constructor() {
    super(
      'Your e-mail address belongs to another Parley account. An administrator must resolve this before you can use Parley.',
    );
  }
}

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
    async provision(user, requestId) {
      // The row and its `user.provisioned` event in one statement: the role it takes (the token's,
      // which Cognito's groups gave it) is never stored without a record. The caller is the actor,
      // as at post-confirmation, and the event names the request, as every event of a request
      // does. A row already there (a concurrent request, a trigger) is left alone and nothing is
      // recorded.
      const details = {
        after: { kind: user.kind, role: user.role, status: 'active' },
        source: 'access-token',
      };
      try {
        await db.query(sql`
          with provisioned as (
            insert into users (id, email, display_name, role, kind)
            values (${user.id}, ${user.email.toLowerCase()}, ${displayNameFor(user.email)}, ${user.role}, ${user.kind})
            on conflict (id) do nothing
            returning id
          )
          ${auditInsert(
            {
              actorId: sql`id`,
              action: 'user.provisioned',
              targetType: 'user',
              targetId: sql`id`,
              requestId,
              details,
            },
            sql`provisioned`,
          )}`);
      } catch (error) {
        // The id's conflict is handled, so a unique violation is users_email_lower_key.
        if (sqlStateOf(error) !== '23505') throw error;
        const holder = await emailHolder(db, user.email);
        // The caller's own row, inserted by a concurrent first request: `on conflict (id)` is
        // checked before the insert, so two inserts of the same new row can both pass it and the
        // second then meets the first's e-mail. Provisioned, by the other request (which recorded it).
        if (holder === user.id) {
          const own = await find(user.id);
          if (own) return own;
        }
        // Ids only, never the address; the same alarm as the sign-in that refuses this person.
        logger.error("Cognito and the database disagree: the caller's e-mail belongs to another users row", {
          drift: 'EmailOfAnotherUserError',
          userId: user.id,
          existingUserId: holder ?? null,
        });
        metrics.addMetric('IdentityDrift', MetricUnit.Count, 1);
        throw new EmailOfAnotherUserError();
      }
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
