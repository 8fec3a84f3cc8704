import type { Role, UserStatus } from '#shared/domain/roles';
import { first, only, sql, type Queryable, type Sql, type SqlValue } from '#shared/db/sql';
import { sqlStateOf } from '#shared/db/sql-state';
import { EmailOfAnotherUserError } from '../domain/identity-drift';
import type { AuthUsers } from '../ports/auth-users';
import { emailHolder } from './postgres-email-holder';

export interface PostgresAuthUsersOptions {
  /** Quota of a newly provisioned user; the column default when absent. */
  readonly defaultMonthlyTokens?: number;
}

interface AuthUserRow {
  id: string;
  email: string;
  role: Role | null;
  status: UserStatus;
}

const COLUMNS = sql`id, email, role, status`;

interface OptionalColumn {
  readonly name: Sql;
  readonly value: SqlValue | undefined;
}

/** `, name` and `, value` of each column whose value is given: an absent one keeps its default. */
function givenColumns(columns: readonly OptionalColumn[]): { names: Sql; values: Sql } {
  const given = columns.filter((column) => column.value !== undefined);
  return {
    names: sql.join(
      given.map((column) => sql`, ${column.name}`),
      sql.empty,
    ),
    values: sql.join(
      given.map((column) => sql`, ${column.value ?? null}`),
      sql.empty,
    ),
  };
}

export function postgresAuthUsers(db: Queryable, options: PostgresAuthUsersOptions = {}): AuthUsers {
  const findByEmail = async (email: string) =>
    first<AuthUserRow>(db, sql`select ${COLUMNS} from users where lower(email) = ${email.toLowerCase()}`);
  return {
    async find({ id, email }) {
      if (id) {
        const byId = await first<AuthUserRow>(db, sql`select ${COLUMNS} from users where id = ${id}`);
        if (byId) return byId;
      }
      if (!email) return null;
      return (await findByEmail(email)) ?? null;
    },

    async upsert(profile, now) {
      const optional = givenColumns([
        { name: sql`mfa_enabled`, value: profile.mfaEnabled },
        { name: sql`monthly_token_quota`, value: options.defaultMonthlyTokens },
      ]);
      const mfaUpdate =
        profile.mfaEnabled === undefined ? sql.empty : sql`mfa_enabled = ${profile.mfaEnabled},`;
      // No role: a new row has none until a group's is adopted (postgres-group-roles.ts) or an
      // admin gives one, and a known row keeps its own. xmax = 0 only on a freshly inserted row
      // version.
      let upserted: AuthUserRow & { created: boolean };
      try {
        upserted = await only<AuthUserRow & { created: boolean }>(
          db,
          sql`
            insert into users (id, email, display_name${optional.names}, created_at, updated_at)
            values (${profile.id}, ${profile.email}, ${profile.displayName}${optional.values}, ${now}, ${now})
            on conflict (id) do update set
              email = excluded.email,
              ${mfaUpdate}
              updated_at = ${now}
            returning ${COLUMNS}, (xmax = 0) as created`,
        );
      } catch (error) {
        // The id's conflict is handled, so a unique violation is users_email_lower_key: the address
        // is another row's (a user deleted and created again in Cognito has a new sub, or a Cognito
        // address was changed to another user's). Never re-keyed here: an administrator decides.
        if (sqlStateOf(error) !== '23505') throw error;
        throw new EmailOfAnotherUserError(profile.id, (await emailHolder(db, profile.email)) ?? null);
      }
      const { created, ...user } = upserted;
      return { user, created };
    },

    async recordSignIn(id, at) {
      await db.query(sql`update users set last_sign_in_at = ${at} where id = ${id}`);
    },
  };
}
