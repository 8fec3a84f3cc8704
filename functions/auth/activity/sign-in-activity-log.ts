import type { AuditEvent } from '#shared/audit/audit-log';
import { cleanOriginPart } from '#shared/audit/request-origin';
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

/** `audit_events`, as postgres-audit-log.ts writes it, with the row id chosen by the caller. */
export function postgresSignInActivityLog(db: Queryable): SignInActivityLog {
  return {
    async recordOnce(id, event) {
      const { rows } = await db.query<{ id: string }>(sql`
        insert into audit_events
          (id, actor_id, action, target_type, target_id, request_id, source_ip, user_agent, details)
        values
          (cast(${id} as uuid), ${event.actorId}, ${event.action}, ${event.targetType ?? null},
           ${event.targetId ?? null}, ${event.requestId ?? null}, ${cleanOriginPart(event.sourceIp)},
           ${cleanOriginPart(event.userAgent)}, cast(${JSON.stringify(event.details ?? {})} as jsonb))
        on conflict (id) do nothing
        returning id`);
      return rows.length > 0;
    },
  };
}
