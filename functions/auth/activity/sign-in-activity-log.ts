import type { Kysely } from 'kysely';

import type { AuditEvent } from '#shared/audit/audit-log';
import { cleanOriginPart } from '#shared/audit/request-origin';
import { asJsonb } from '#shared/db/database';
import type { Database } from '#shared/db/schema';

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
export function postgresSignInActivityLog(db: Kysely<Database>): SignInActivityLog {
  return {
    async recordOnce(id, event) {
      const rows = await db
        .insertInto('audit_events')
        .values({
          id,
          actor_id: event.actorId,
          action: event.action,
          target_type: event.targetType ?? null,
          target_id: event.targetId ?? null,
          request_id: event.requestId ?? null,
          source_ip: cleanOriginPart(event.sourceIp),
          user_agent: cleanOriginPart(event.userAgent),
          details: asJsonb(event.details ?? {}),
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      return rows.length > 0;
    },
  };
}
