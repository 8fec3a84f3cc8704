import type { AuditEventRow } from '#shared/db/schema';
import { isoText, sql, type Queryable, type Sql } from '#shared/db/sql';
import { encodeCursor } from '#shared/pagination/cursor';
import type { AuditEntry } from '../domain/audit-entry';
import type { AuditQuery, AuditTrail } from '../ports/audit-trail';

/** Days are UTC: bounds are written as instants so the session's time zone plays no part. */
const startOf = (date: string) => `${date}T00:00:00Z`;

/** The select list: the uuid as text, the instant as PostgreSQL's exact text. */
type Row = Pick<
  AuditEventRow,
  'actor_id' | 'action' | 'target_type' | 'target_id' | 'request_id' | 'source_ip' | 'user_agent' | 'details'
> & { id: string; occurred_at_text: string };

/** The filters of a query, in the order they were applied. */
function conditions({ cursor, actor, action, target, from, to }: AuditQuery): Sql[] {
  const all: Sql[] = [];
  if (actor) all.push(sql`actor_id = ${actor}`);
  if (action) all.push(sql`action = ${action}`);
  if (target) all.push(sql`target_id = ${target}`);
  if (from) all.push(sql`occurred_at >= cast(${startOf(from)} as timestamptz)`);
  // The day after in SQL: the day after 9999-12-31 has no YYYY-MM-DD text.
  if (to) all.push(sql`occurred_at < cast(${startOf(to)} as timestamptz) + interval '1 day'`);
  // Row-value comparison matches the (occurred_at desc, id desc) index; ids are uuids (cast:
  // the Data API sends strings as varchar).
  if (cursor)
    all.push(sql`(occurred_at, id) < (cast(${cursor.at} as timestamptz), cast(${cursor.id} as uuid))`);
  return all;
}

const toEntry = (row: Row): AuditEntry => ({
  id: row.id,
  occurredAt: row.occurred_at_text,
  actorId: row.actor_id,
  action: row.action,
  targetType: row.target_type,
  targetId: row.target_id,
  requestId: row.request_id,
  sourceIp: row.source_ip,
  userAgent: row.user_agent,
  // jsonb: parsed by either driver (the Data API's by the column's `typeName`).
  details: row.details,
});

export function postgresAuditTrail(db: Queryable): AuditTrail {
  return {
    async list(query: AuditQuery) {
      const { limit } = query;
      const filters = conditions(query);
      const { rows } = await db.query<Row>(sql`
        select cast(id as text) as id, ${isoText('occurred_at')} as occurred_at_text, actor_id, action,
          target_type, target_id, request_id, source_ip, user_agent, details
        from audit_events
        ${filters.length === 0 ? sql.empty : sql`where ${sql.join(filters, sql` and `)}`}
        order by occurred_at desc, id desc
        limit ${limit + 1}`);
      const items = rows.slice(0, limit).map(toEntry);
      const last = items.at(-1);
      return {
        items,
        nextCursor: rows.length > limit && last ? encodeCursor({ at: last.occurredAt, id: last.id }) : null,
      };
    },
  };
}
