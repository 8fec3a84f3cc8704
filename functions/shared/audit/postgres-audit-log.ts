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
  /**
   * The row's id (a uuid) when the caller chooses it, e.g. to append an event that may arrive
   * twice once. Cast here: the Data API binds a string as `varchar`, which a uuid column refuses.
   * @default one the table makes
   */
  readonly id?: string | undefined;
}

export interface AuditInsertOptions {
  /**
   * A row already under the event's `id` is left alone and nothing is written
   * (`on conflict (id) do nothing`): the trail is append-only, so a second copy is never written
   * over. With `returning`, no row comes back for it.
   */
  readonly onConflictDoNothing?: boolean;
}

/**
 * The INSERT of an audit event into `audit_events`: the one place that maps an event to the
 * table's columns (and adds where its request came from), so a column is added here alone.
 * Alone it writes one row. As the last part of a statement whose CTE makes the change the event
 * records, `from` names that CTE and one event is written per row it returns (none: nothing is
 * recorded), so the change never commits without its record. An event under an id of its own
 * that may arrive twice is appended once with `onConflictDoNothing`.
 */
export function auditInsert(event: AuditRow, from?: Sql, options: AuditInsertOptions = {}): Sql {
  const origin = requestOriginOf(event.requestId);
  const sourceIp = cleanOriginPart(event.sourceIp !== undefined ? event.sourceIp : origin?.sourceIp);
  const userAgent = cleanOriginPart(event.userAgent !== undefined ? event.userAgent : origin?.userAgent);
  const withId = event.id !== undefined;
  return sql`
    insert into audit_events
      (${withId ? sql`id, ` : sql.empty}actor_id, action, target_type, target_id, request_id, source_ip,
       user_agent, details)
    select ${withId ? sql`cast(${event.id} as uuid), ` : sql.empty}${event.actorId}, ${event.action},
      ${event.targetType ?? null}, ${event.targetId ?? null}, ${event.requestId ?? null}, ${sourceIp},
      ${userAgent}, cast(${JSON.stringify(event.details ?? {})} as jsonb)
    ${from ? sql`from ${from}` : sql.empty}
    ${options.onConflictDoNothing ? sql`on conflict (id) do nothing` : sql.empty}`;
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
