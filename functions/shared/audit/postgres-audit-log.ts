import { sql, type Queryable } from '#shared/db/sql';
import type { AuditLog } from './audit-log';
import { cleanOriginPart, requestOriginOf } from './request-origin';

/**
 * The audit trail in `audit_events`; pass a transaction to commit an event with its change. The
 * caller's address and user agent come with the event, or from the API request it names.
 */
export function postgresAuditLog(db: Queryable): AuditLog {
  return {
    async record(event) {
      const origin = requestOriginOf(event.requestId);
      const sourceIp = cleanOriginPart(event.sourceIp !== undefined ? event.sourceIp : origin?.sourceIp);
      const userAgent = cleanOriginPart(event.userAgent !== undefined ? event.userAgent : origin?.userAgent);
      await db.query(sql`
        insert into audit_events
          (actor_id, action, target_type, target_id, request_id, source_ip, user_agent, details)
        values
          (${event.actorId}, ${event.action}, ${event.targetType ?? null}, ${event.targetId ?? null},
           ${event.requestId ?? null}, ${sourceIp}, ${userAgent},
           cast(${JSON.stringify(event.details ?? {})} as jsonb))`);
    },
  };
}
