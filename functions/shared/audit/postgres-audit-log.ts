import type { Kysely } from 'kysely';
import { asJsonb } from '#shared/db/database';
import type { Database } from '#shared/db/schema';
import type { AuditLog } from './audit-log';
import { cleanOriginPart, requestOriginOf } from './request-origin';

/**
 * The audit trail in `audit_events`; pass a transaction to commit an event with its change. The
 * caller's address and user agent come with the event, or from the API request it names.
 */
export function postgresAuditLog(db: Kysely<Database>): AuditLog {
  return {
    async record(event) {
      const origin = requestOriginOf(event.requestId);
      await db
        .insertInto('audit_events')
        .values({
          actor_id: event.actorId,
          action: event.action,
          target_type: event.targetType ?? null,
          target_id: event.targetId ?? null,
          request_id: event.requestId ?? null,
          source_ip: cleanOriginPart(event.sourceIp !== undefined ? event.sourceIp : origin?.sourceIp),
          user_agent: cleanOriginPart(event.userAgent !== undefined ? event.userAgent : origin?.userAgent),
          details: asJsonb(event.details ?? {}),
        })
        .execute();
    },
  };
}
