import { sql, type Kysely } from 'kysely';
import type { Database } from '#shared/db/schema';
import { isoText } from '#shared/db/timestamps';
import { encodeCursor } from '#shared/pagination/cursor';
import type { AuditEntry } from '../domain/audit-entry';
import { nextDay } from '../domain/dates';
import type { AuditQuery, AuditTrail } from '../ports/audit-trail';

/** Days are UTC: bounds are written as instants so the session's time zone plays no part. */
const startOf = (date: string) => `${date}T00:00:00Z`;

export function postgresAuditTrail(db: Kysely<Database>): AuditTrail {
  return {
    async list({ limit, cursor, actor, action, target, from, to }: AuditQuery) {
      let query = db
        .selectFrom('audit_events')
        .select([
          sql<string>`cast(id as text)`.as('id'),
          isoText('occurred_at').as('occurred_at_text'),
          'actor_id',
          'action',
          'target_type',
          'target_id',
          'request_id',
          'source_ip',
          'user_agent',
          'details',
        ]);
      if (actor) query = query.where('actor_id', '=', actor);
      if (action) query = query.where('action', '=', action);
      if (target) query = query.where('target_id', '=', target);
      if (from) query = query.where(sql<boolean>`occurred_at >= cast(${startOf(from)} as timestamptz)`);
      if (to) query = query.where(sql<boolean>`occurred_at < cast(${startOf(nextDay(to))} as timestamptz)`);
      if (cursor) {
        // Row-value comparison matches the (occurred_at desc, id desc) index.
        query = query.where(
          sql<boolean>`(occurred_at, id) < (cast(${cursor.at} as timestamptz), cast(${cursor.id} as uuid))`,
        );
      }
      const rows = await query
        .orderBy('occurred_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const items: AuditEntry[] = rows.slice(0, limit).map((row) => ({
        id: row.id,
        occurredAt: row.occurred_at_text,
        actorId: row.actor_id,
        action: row.action,
        targetType: row.target_type,
        targetId: row.target_id,
        requestId: row.request_id,
        sourceIp: row.source_ip,
        userAgent: row.user_agent,
        // Parsed by either driver (kysely-data-api by the Data API's `typeName`, jsonb).
        details: row.details as Record<string, unknown>,
      }));
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.occurredAt, id: last.id }) : null,
      };
    },
  };
}
