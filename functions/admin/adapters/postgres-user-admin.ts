import { sql, type Kysely } from 'kysely';
import { sqlStateOf } from '#shared/db/database';
import type { Database } from '#shared/db/schema';
import { isoText } from '#shared/db/timestamps';
import { effectiveQuota, type RoleQuota } from '#shared/domain/quota';
import { encodeCursor } from '#shared/pagination/cursor';
import { EmailTakenError, monthStart, type AdminUser } from '../domain/admin-user';
import type { UserAdminRepository, UserListOptions } from '../ports/user-admin';

/*
 * Users as admins see them. Lockout state lives in sign_in_attempts, keyed by the lower-cased
 * e-mail (the user name typed at sign-in); usage in usage_daily. Dates are cast explicitly: the
 * Data API sends every string as varchar.
 */

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
  };
};

/** LIKE wildcards in user text are matched literally (backslash is PostgreSQL's LIKE escape). */
const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * @param roleQuota the monthly tokens of a role, shown for users without a quota of their own.
 * @param onChange told the id of each user a write changes (quota, role, status, tokens), so the
 *   caller can drop what the cache holds of them once the transaction commits.
 */
export function postgresUserAdmin(
  db: Kysely<Database>,
  roleQuota: RoleQuota,
  onChange: (id: string) => void = () => undefined,
): UserAdminRepository {
  const toUser = (row: Row) => toAdminUser(row, roleQuota);
  const view = (now: Date) => {
    const at = now.toISOString();
    return db
      .selectFrom('users as u')
      .leftJoin('sign_in_attempts as s', (join) => join.on(sql<boolean>`s.username = lower(u.email)`))
      .select([
        'u.id',
        'u.email',
        'u.display_name',
        'u.kind',
        'u.role',
        'u.status',
        'u.mfa_enabled',
        'u.monthly_token_quota',
        isoText('u.created_at').as('created_at_text'),
        sql<string | null>`case when s.locked_until > cast(${at} as timestamptz)
          then to_char(s.locked_until at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') end`.as(
          'locked_until_text',
        ),
        // The (user_id, day, model) primary key serves this sum.
        sql<string>`(select coalesce(sum(d.prompt_tokens + d.completion_tokens), 0) from usage_daily d
          where d.user_id = u.id and d.day >= cast(${monthStart(now)} as date))`.as('used_tokens'),
      ]);
  };

  return {
    async list({ limit, cursor, q, role, status }: UserListOptions, now) {
      let query = view(now);
      if (q) {
        const pattern = `%${likeEscape(q)}%`;
        query = query.where((eb) =>
          eb.or([eb('u.email', 'ilike', pattern), eb('u.display_name', 'ilike', pattern)]),
        );
      }
      if (role) query = query.where('u.role', '=', role);
      if (status) query = query.where('u.status', '=', status);
      if (cursor) {
        // Row-value comparison matches the (created_at desc, id desc) index.
        query = query.where(
          sql<boolean>`(u.created_at, u.id) < (cast(${cursor.at} as timestamptz), cast(${cursor.id} as text))`,
        );
      }
      const rows = await query
        .orderBy('u.created_at', 'desc')
        .orderBy('u.id', 'desc')
        .limit(limit + 1)
        .execute();
      const items = rows.slice(0, limit).map(toUser);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null,
      };
    },

    async get(id, now) {
      // OF u: the row stays locked until commit; the sign-in attempts row is not ours to lock.
      const row = await view(now).where('u.id', '=', id).forUpdate(['u']).executeTakeFirst();
      return row ? toUser(row) : undefined;
    },

    async emailTaken(email) {
      const row = await db
        .selectFrom('users')
        .select('id')
        .where(sql<string>`lower(email)`, '=', email.toLowerCase())
        .executeTakeFirst();
      return row !== undefined;
    },

    async insert(user) {
      try {
        await db
          .insertInto('users')
          .values({
            id: user.id,
            email: user.email,
            display_name: user.displayName,
            role: user.role,
          })
          .execute();
      } catch (error) {
        if (sqlStateOf(error) === '23505') throw new EmailTakenError();
        throw error;
      }
    },

    async update(id, changes) {
      await db
        .updateTable('users')
        .set({
          ...(changes.role === undefined ? {} : { role: changes.role }),
          ...(changes.status === undefined ? {} : { status: changes.status }),
          ...(changes.monthlyTokens === undefined ? {} : { monthly_token_quota: changes.monthlyTokens }),
          ...(changes.mfaEnabled === undefined ? {} : { mfa_enabled: changes.mfaEnabled }),
          // A new role or status holds from the next request: tokens issued before are refused.
          ...(changes.role === undefined && changes.status === undefined
            ? {}
            : { tokens_valid_after: sql<Date>`now()` as never }),
          updated_at: sql<Date>`now()` as never,
        })
        .where('id', '=', id)
        .execute();
      onChange(id);
    },

    async revokeTokens(id) {
      await db
        .updateTable('users')
        .set({ tokens_valid_after: sql<Date>`now()` as never, updated_at: sql<Date>`now()` as never })
        .where('id', '=', id)
        .execute();
      onChange(id);
    },

    async lockActiveAdmins() {
      const rows = await db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'admins')
        .where('status', '=', 'active')
        .orderBy('id')
        .forUpdate()
        .execute();
      return rows.map((r) => r.id);
    },

    async clearSignInAttempts(email) {
      await db.deleteFrom('sign_in_attempts').where('username', '=', email.toLowerCase()).execute();
    },
  };
}
