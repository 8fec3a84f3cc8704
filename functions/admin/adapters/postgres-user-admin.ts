import { emailHolder } from '#auth/adapters/postgres-email-holder';
import { signInLockedAt } from '#auth/adapters/postgres-sign-in-attempts';
import { chargeAbandonedOf } from '#chat/adapters/postgres-abandoned-replies';
import type { PromptSettings } from '#chat/domain/system-prompt';
import { first, isoText, only, sql, type Queryable, type Sql } from '#shared/db/sql';
import { sqlStateOf } from '#shared/db/sql-state';
import { effectiveQuota, type RoleQuota } from '#shared/domain/quota';
import type { Role, UserStatus } from '#shared/domain/roles';
import { encodeCursor } from '#shared/pagination/cursor';
import { markTokensRevoked } from '#shared/revocation/postgres-revocation-list';
import { EmailTakenError, monthStart, type AdminUser } from '../domain/admin-user';
import { microsToDollars } from '../domain/usage';
import type { StoredChanges, UserAdminRepository, UserListOptions } from '../ports/user-admin';

/*
 * Users as admins see them. Lockout state lives in sign_in_attempts, keyed by the lower-cased
 * e-mail (the user name typed at sign-in); usage in usage_daily. Dates are cast explicitly: the
 * Data API sends every string as varchar. User ids are text (Cognito sub or app client id), so
 * they need no uuid cast.
 */

/** Sums come back as int8 / numeric: a string on pg, a number or a string on the Data API. */
interface ErasedCounts {
  conversations: number;
  messages: number;
  requests: number | string;
  prompt_tokens: number | string;
  completion_tokens: number | string;
  cost_micros: number | string;
}

interface Row {
  id: string;
  email: string;
  display_name: string;
  kind: 'user' | 'service';
  role: AdminUser['role'];
  status: AdminUser['status'];
  mfa_enabled: boolean;
  monthly_token_quota: number | string | null;
  created_at_text: string;
  locked_until_text: string | null;
  used_tokens: number | string;
  disabled_at_text: string | null;
  last_sign_in_at_text: string | null;
}

const toAdminUser = (row: Row, roleQuota: RoleQuota): AdminUser => {
  const quota = effectiveQuota(
    row.monthly_token_quota === null ? null : Number(row.monthly_token_quota),
    row.role,
    roleQuota,
  );
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    kind: row.kind,
    role: row.role,
    status: row.status,
    mfaEnabled: Boolean(row.mfa_enabled),
    locked: row.locked_until_text !== null,
    lockedUntil: row.locked_until_text,
    monthlyTokens: quota.monthlyTokens,
    quotaIsDefault: quota.isDefault,
    usedTokens: Number(row.used_tokens),
    createdAt: row.created_at_text,
    disabledAt: row.disabled_at_text,
    lastSignInAt: row.last_sign_in_at_text,
  };
};

const DISABLED: UserStatus = 'disabled';

/** LIKE wildcards in user text are matched literally (backslash is PostgreSQL's LIKE escape). */
const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** `where a and b …`, or nothing when there is no condition. */
const whereAll = (conditions: readonly Sql[]): Sql =>
  conditions.length === 0 ? sql.empty : sql`where ${sql.join(conditions, sql` and `)}`;

/** Whether the user's sign-in counter (`s`, left-joined) locks them at `now`, as sign-in decides. */
const lockedNow = (now: Date): Sql => signInLockedAt(sql`s.locked_until`, now);

/**
 * Every user statement's select list, joins and conditions, then `tail` (order, limit, lock), over
 * `source`: the table, or the rows an UPDATE … RETURNING just wrote. The usage sum is served by
 * the (user_id, day, model) primary key.
 */
const view = (now: Date, conditions: readonly Sql[], tail: Sql, source: Sql = sql`users`): Sql => sql`
  select u.id, u.email, u.display_name, u.kind, u.role, u.status, u.mfa_enabled, u.monthly_token_quota,
    ${isoText('u.created_at')} as created_at_text,
    case when ${lockedNow(now)} then ${isoText('s.locked_until')} end as locked_until_text,
    (select coalesce(sum(d.prompt_tokens + d.completion_tokens), 0) from usage_daily d
      where d.user_id = u.id and d.day >= cast(${monthStart(now)} as date)) as used_tokens,
    case when u.status = ${DISABLED} then ${isoText('r.refused_from')} end as disabled_at_text,
    ${isoText('u.last_sign_in_at')} as last_sign_in_at_text
  from ${source} u
  cross join lateral (select coalesce(u.tokens_valid_after, u.updated_at) as refused_from) as r
  left join sign_in_attempts s on s.username = lower(u.email)
  ${whereAll(conditions)}
  ${tail}`;

/** The filters of the users list, in the order the list applies them. */
function listConditions(
  { cursor, q, role, status, inactiveDays, mfaEnabled, lockedNow: locked }: UserListOptions,
  now: Date,
): Sql[] {
  const conditions: Sql[] = [];
  if (q) {
    const pattern = `%${likeEscape(q)}%`;
    conditions.push(sql`(u.email ilike ${pattern} or u.display_name ilike ${pattern})`);
  }
  if (role) conditions.push(sql`u.role = ${role}`);
  if (status) conditions.push(sql`u.status = ${status}`);
  if (inactiveDays !== undefined) {
    const since = new Date(now.getTime() - inactiveDays * 86_400_000).toISOString();
    conditions.push(sql`coalesce(u.last_sign_in_at, u.created_at) < cast(${since} as timestamptz)`);
  }
  if (mfaEnabled !== undefined) conditions.push(sql`u.mfa_enabled = ${mfaEnabled}`);
  if (locked) conditions.push(lockedNow(now));
  // Row-value comparison matches the (created_at desc, id desc) index.
  if (cursor)
    conditions.push(
      sql`(u.created_at, u.id) < (cast(${cursor.at} as timestamptz), cast(${cursor.id} as text))`,
    );
  return conditions;
}

/** The SET list of an update: only the columns the changes name, and `updated_at`. */
function assignments(changes: StoredChanges): Sql {
  const set: Sql[] = [];
  if (changes.role !== undefined) set.push(sql`role = ${changes.role}`);
  if (changes.status !== undefined) set.push(sql`status = ${changes.status}`);
  if (changes.monthlyTokens !== undefined) set.push(sql`monthly_token_quota = ${changes.monthlyTokens}`);
  if (changes.mfaEnabled !== undefined) set.push(sql`mfa_enabled = ${changes.mfaEnabled}`);
  // A new role or status holds from the next request: tokens issued before are refused. The
  // statement's own time, not the transaction's start: the admin change runs this statement after
  // Cognito's calls, so a token refreshed while they ran (its claims read from the role still
  // committed) is refused too.
  if (changes.role !== undefined || changes.status !== undefined)
    set.push(sql`tokens_valid_after = clock_timestamp()`);
  set.push(sql`updated_at = now()`);
  return sql.join(set);
}

/**
 * @param roleQuota the monthly tokens of a role, shown for users without a quota of their own.
 * @param onChange told the id of each user a write changes (quota, role, status, tokens), so the
 *   caller can drop what the cache holds of them once the transaction commits.
 * @param prompt the chat's prompt settings (`promptSettingsOf(config)`), which `erase` estimates
 *   the person's abandoned replies by, as the chat and the retention sweep do. Only `erase` needs
 *   them: it refuses to run without.
 */
export function postgresUserAdmin(
  db: Queryable,
  roleQuota: RoleQuota,
  onChange: (id: string) => void = () => undefined,
  prompt?: PromptSettings,
): UserAdminRepository {
  const toUser = (row: Row) => toAdminUser(row, roleQuota);

  return {
    async list(options: UserListOptions, now) {
      const { limit } = options;
      const { rows } = await db.query<Row>(
        view(
          now,
          listConditions(options, now),
          sql`order by u.created_at desc, u.id desc limit ${limit + 1}`,
        ),
      );
      const items = rows.slice(0, limit).map(toUser);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
      };
    },

    async get(id, now) {
      // OF u: the row stays locked until commit; the sign-in attempts row is not ours to lock.
      const row = await first<Row>(db, view(now, [sql`u.id = ${id}`], sql`for update of u`));
      return row ? toUser(row) : undefined;
    },

    async holdEmail(email) {
      const address = email.toLowerCase();
      // A statement of its own: under READ COMMITTED the check below then takes its snapshot
      // after the wait, and sees a row that the invitation it waited for committed.
      await db.query(
        sql`select 1 from (select pg_advisory_xact_lock(hashtextextended(${`parley.user-email:${address}`}, 0))) as held`,
      );
      return { taken: (await emailHolder(db, address)) !== undefined };
    },

    async insert(user) {
      try {
        await db.query(sql`
          insert into users (id, email, display_name, role)
          values (${user.id}, ${user.email}, ${user.displayName}, ${user.role})`);
      } catch (error) {
        if (sqlStateOf(error) === '23505') throw new EmailTakenError();
        throw error;
      }
    },

    async update(id, changes, now) {
      // One statement writes the row and answers it as the admin view shows it: the row written,
      // not read again.
      const row = await first<Row>(
        db,
        sql`with changed as (update users set ${assignments(changes)} where id = ${id} returning *)
            ${view(now, [], sql.empty, sql`changed`)}`,
      );
      onChange(id);
      return row ? toUser(row) : undefined;
    },

    async revokeTokens(id) {
      // The statement's time, not the transaction's start (see sign-out-user and update-user).
      await markTokensRevoked(db, id);
      onChange(id);
    },

    async lockActiveAdmins() {
      const role: Role = 'admins';
      const status: UserStatus = 'active';
      const person = 'user';
      const { rows } = await db.query<{ id: string }>(sql`
        select id from users where role = ${role} and status = ${status} and kind = ${person}
        order by id for update`);
      return rows.map((r) => r.id);
    },

    async clearSignInAttempts(email) {
      await db.query(sql`delete from sign_in_attempts where username = ${email.toLowerCase()}`);
    },

    async erase(id, email) {
      if (!prompt) throw new Error('erase needs the chat’s prompt settings (postgresUserAdmin’s prompt)');
      // Their replies abandoned by a function that died, not yet charged by a turn or the retention
      // sweep, are charged first: the delete would take their tokens with them, and the usage kept
      // is to match the provider's invoice. A reply still being written (saved within the
      // abandonment age) is deleted uncharged with the rest: its function's end then finds no row,
      // fails (reported on the reply's stream) and charges no one. The use case erases only a
      // person disabled for longer than an access token lives, far beyond a chat function's life,
      // so no such reply is left by then.
      await chargeAbandonedOf(db, id, prompt);
      // Counted before the delete; the foreign keys' cascades then remove conversations and
      // messages (and their feedback) with the row, and set its usage rows' user to null
      // (migration 0020): the reports keep them as an erased user's.
      const counts = await only<ErasedCounts>(
        db,
        sql`select
          (select cast(count(*) as integer) from conversations where owner_id = ${id}) as conversations,
          (select cast(count(*) as integer) from messages where owner_id = ${id}) as messages,
          coalesce(sum(requests), 0) as requests, coalesce(sum(prompt_tokens), 0) as prompt_tokens,
          coalesce(sum(completion_tokens), 0) as completion_tokens,
          coalesce(sum(cost_micros), 0) as cost_micros
          from usage_daily where user_id = ${id}`,
      );
      await db.query(sql`delete from users where id = ${id}`);
      await db.query(sql`delete from sign_in_attempts where username = ${email.toLowerCase()}`);
      onChange(id);
      return {
        conversations: Number(counts.conversations),
        messages: Number(counts.messages),
        usageKept: {
          requests: Number(counts.requests),
          promptTokens: Number(counts.prompt_tokens),
          completionTokens: Number(counts.completion_tokens),
          costUsd: microsToDollars(Number(counts.cost_micros)),
        },
      };
    },
  };
}
