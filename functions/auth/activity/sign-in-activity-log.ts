import type { AuditEvent } from '#shared/audit/audit-log';
import { auditInsert } from '#shared/audit/postgres-audit-log';
import { sql, type Queryable } from '#shared/db/sql';

/**
 * The audit trail for events that arrive from outside and may arrive twice: each is appended
 * under an id of its own, once. Append-only as the trail is: a second copy is refused by the
 * primary key (`on conflict do nothing`), never written over.
 */
export interface SignInActivityLog {
  /** Appends `event` as row `id` unless that row exists; true when it was appended now. */
  recordOnce(id: string, event: AuditEvent): Promise<boolean>;
}

/**
 * `audit_events`, written by postgres-audit-log.ts's auditInsert, with the row id chosen by the
 * caller. The address and user agent are the event's alone (null when it has none): no API
 * request noted them.
 */
export function postgresSignInActivityLog(db: Queryable): SignInActivityLog {
  return {
    async recordOnce(id, event) {
      const row = { ...event, id, sourceIp: event.sourceIp ?? null, userAgent: event.userAgent ?? null };
      const { rows } = await db.query<{ id: string }>(
        sql`${auditInsert(row, undefined, { onConflictDoNothing: true })} returning id`,
      );
      return rows.length > 0;
    },
  };
}
