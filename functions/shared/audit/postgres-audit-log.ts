import type { Kysely } from 'kysely';
import { asJsonb } from '#shared/db/database';
import type { Database } from '#shared/db/schema';
import type { AuditLog } from './audit-log';

/** The audit trail in `audit_events`; pass a transaction to commit an event with its change. */
export function postgresAuditLog(db: Kysely<Database>): AuditLog {
  return {
    async record(event) {
      await db
        .insertInto('audit_events')
        .values({
          actor_id: event.actorId,
          action: event.action,
          target_type: event.targetType ?? null,
          target_id: event.targetId ?? null,
          request_id: event.requestId ?? null,
          details: asJsonb(event.details ?? {}),
        })
        .execute();
    },
  };
}
