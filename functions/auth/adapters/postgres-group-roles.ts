import { auditInsert } from '#shared/audit/postgres-audit-log';
import type { Role } from '#shared/domain/roles';
import { sql, type Queryable } from '#shared/db/sql';
import type { GroupRoles } from '../ports/group-roles';

/**
 * The role a Cognito group gives, stored in `users` with its audit event in one statement, so the
 * role never changes without its record (written by postgres-audit-log.ts's auditInsert). Only
 * a row whose role is null is changed: `users.role` stays the source of truth, and an admin's
 * change holds the row's lock, after which `role is null` no longer holds.
 */
export function postgresGroupRoles(db: Queryable): GroupRoles {
  return {
    async adopt(userId, role: Role) {
      const details = { before: { role: null }, after: { role }, source: 'cognito-group' };
      const result = await db.query<{ target_id: string }>(sql`
        with adopted as (
          update users set role = ${role}, updated_at = now()
          where id = ${userId} and role is null
          returning id
        )
        ${auditInsert(
          // No actor and no request: Cognito's token generation, not a person, stores it.
          { actorId: null, action: 'user.role-change', targetType: 'user', targetId: sql`id`, details },
          sql`adopted`,
        )}
        returning target_id`);
      return result.rows.length > 0;
    },
  };
}
