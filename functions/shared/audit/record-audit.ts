import type { Kysely } from 'kysely';
import { asJsonb } from '../db/database';
import type { Database } from '../db/schema';

export interface AuditEvent {
  readonly actorId: string | null;
  /** Dotted verb, e.g. `auth.sign-in`, `conversation.delete`, `user.role-change`. */
  readonly action: string;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly requestId?: string;
  /** Metadata only: never message content, tokens or passwords. */
  readonly details?: Record<string, unknown>;
}

/** Appends one event to the append-only audit log (the table rejects UPDATE and DELETE). */
export async function recordAudit(db: Kysely<Database>, event: AuditEvent): Promise<void> {
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
}
