import { sql, type Queryable, type Sql } from '#shared/db/sql';
import type { AuditEvent, AuditLog } from './audit-log';
import { cleanOriginPart, requestOriginOf } from './request-origin';

/**
 * An audit event as one statement writes it: its actor and target may be a column of what the
 * statement changed (`sql\`id\``, of the CTE named by `from`) instead of a value.
 */
export interface AuditRow extends Omit<AuditEvent, 'actorId' | 'targetId'> {
  readonly actorId: string | null | Sql;
  readonly targetId?: string | Sql | undefined;
}

/**
 * The INSERT of an audit event into `audit_events`: the one place that maps an event to the
 * table's columns (and adds where its request came from), so a column is added here alone.
 * Alone it writes one row. As the last part of a statement whose CTE makes the change the event
 * records, `from` names that CTE and one event is written per row it returns (none: nothing is
 * recorded), so the change never commits without its record.
 */
export function auditInsert(event: AuditRow, from?: Sql): Sql {
  const origin = requestOriginOf(event.requestId);
  const sourceIp = cleanOriginPart(event.sourceIp !== undefined ? event.sourceIp : origin?.sourceIp);
  const userAgent = cleanOriginPart(event.userAgent !== undefined ? event.userAgent : origin?.userAgent);
  return sql`
    insert into audit_events
      (actor_id, action, target_type, target_id, request_id, source_ip, user_agent, details)
    select ${event.actorId}, ${event.action}, ${event.targetType ?? null}, ${event.targetId ?? null},
      ${event.requestId ?? null}, ${sourceIp}, ${userAgent},
      cast(${JSON.stringify(event.details ?? {})} as jsonb)
    ${from ? sql`from ${from}` : sql.empty}`;
}

/**
 * The audit trail in `audit_events`; pass a transaction to commit an event with its change. The
 * caller's address and user agent come with the event, or from the API request it names.
 */
export function postgresAuditLog(db: Queryable): AuditLog {
  return {
    async record(event) {
      await db.query(auditInsert(event));
    },
  };
}
