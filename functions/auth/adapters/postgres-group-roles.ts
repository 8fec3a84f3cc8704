import type { Role } from '#shared/domain/roles';
import { sql, type Queryable } from '#shared/db/sql';
import type { GroupRoles } from '../ports/group-roles';

/**
 * The role a Cognito group gives, stored in `users` with its audit event in one statement, so the
 * role never changes without its record (the audit table's columns: postgres-audit-log.ts). Only
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
        insert into audit_events
          (actor_id, action, target_type, target_id, request_id, source_ip, user_agent, details)
        select null, 'user.role-change', 'user', id, null, null, null, cast(${JSON.stringify(details)} as jsonb)
        from adopted
        returning target_id`);
      return result.rows.length > 0;
    },
  };
}
