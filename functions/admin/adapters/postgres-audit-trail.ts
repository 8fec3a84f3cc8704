import type { AuditEventRow } from '#shared/db/schema';
import { isoText, sql, type Queryable, type Sql } from '#shared/db/sql';
import { encodeCursor } from '#shared/pagination/cursor';
import type { AuditEntry } from '../domain/audit-entry';
import type { AuditQuery, AuditTrail } from '../ports/audit-trail';

/** Days are UTC: bounds are written as instants so the session's time zone plays no part. */
const startOf = (date: string) => `${date}T00:00:00Z`;

/**
 * The select list: the uuid as text, the instant as PostgreSQL's exact text, and the addresses of
 * the actor and of a target user as they are now (null: no such row, e.g. erased).
 */
type Row = Pick<
  AuditEventRow,
  'actor_id' | 'action' | 'target_type' | 'target_id' | 'request_id' | 'source_ip' | 'user_agent' | 'details'
> & { id: string; occurred_at_text: string; actor_email: string | null; target_email: string | null };

/** The filters of a query, in the order they were applied (`e` is audit_events). */
function conditions({ cursor, actor, action, target, from, to }: AuditQuery): Sql[] {
  const all: Sql[] = [];
  // An id, or a user's e-mail (exact, any case: the users_email_lower_key index finds it). One
  // value either way (a scalar subquery, evaluated once), so the (actor_id, occurred_at) index
  // still reads the actor's events in order. Someone erased has no e-mail left to find.
  if (actor)
    all.push(
      sql`e.actor_id = coalesce((select u.id from users u where lower(u.email) = lower(${actor})), ${actor})`,
    );
  if (action) all.push(sql`e.action = ${action}`);
  if (target) all.push(sql`e.target_id = ${target}`);
  if (from) all.push(sql`e.occurred_at >= cast(${startOf(from)} as timestamptz)`);
  // The day after in SQL: the day after 9999-12-31 has no YYYY-MM-DD text.
  if (to) all.push(sql`e.occurred_at < cast(${startOf(to)} as timestamptz) + interval '1 day'`);
  // Row-value comparison matches the (occurred_at desc, id desc) index; ids are uuids (cast:
  // the Data API sends strings as varchar).
  if (cursor)
    all.push(sql`(e.occurred_at, e.id) < (cast(${cursor.at} as timestamptz), cast(${cursor.id} as uuid))`);
  return all;
}

const toEntry = (row: Row): AuditEntry => ({
  id: row.id,
  occurredAt: row.occurred_at_text,
  actorId: row.actor_id,
  actorEmail: row.actor_email,
  action: row.action,
  targetType: row.target_type,
  targetId: row.target_id,
  targetEmail: row.target_email,
  requestId: row.request_id,
  sourceIp: row.source_ip,
  userAgent: row.user_agent,
  // jsonb: parsed by either driver (the Data API's by the column's `typeName`).
  details: row.details,
});

/**
 * How far back an audit write of a session whose start this role may not see (another role's:
 * the master user's, say) is assumed to have begun: longer than any API function's transaction
 * (the admin function's timeout is 15 s, API Gateway's 29 s).
 */
const UNSEEN_WRITE_SECONDS = 30;

/**
 * The instant before which every audit event is settled: committed, or never to be. An event's
 * time is its insert's clock (migration 0021), which comes after its transaction took its lock on
 * audit_events; so no transaction holding that lock now can add an event older than its start,
 * and one that has not taken it yet adds only events newer than this statement. Usually this is
 * the statement's own time; while an admin change waits for Cognito after writing its event, it
 * is that change's start. Read in a statement of its own, before the listing's snapshot: a write
 * committed in between is then seen by the listing.
 */
async function settledBefore(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ horizon: string }>(sql`
    select to_char(
        least(statement_timestamp(), min(coalesce(a.xact_start, statement_timestamp() - make_interval(secs => ${UNSEEN_WRITE_SECONDS}))))
          at time zone 'UTC',
        'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as horizon
    from pg_locks l
    left join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'relation' and l.relation = cast('audit_events' as regclass)
      and l.database = (select oid from pg_database where datname = current_database())
      and l.mode = 'RowExclusiveLock' and l.granted and l.pid <> pg_backend_pid()`);
  const horizon = rows[0]?.horizon;
  if (!horizon) throw new Error('the settled horizon of the audit trail was not read');
  return horizon;
}

export function postgresAuditTrail(db: Queryable): AuditTrail {
  return {
    async list(query: AuditQuery) {
      const { limit } = query;
      // Only settled events: an event committed later must never land above a page already read
      // (below it, it is read with the next page), or a paging reader would skip it for good.
      const horizon = await settledBefore(db);
      const filters = [...conditions(query), sql`e.occurred_at < cast(${horizon} as timestamptz)`];
      // Left joins on users' key, one row each: the trail's order and index stay as they are.
      const { rows } = await db.query<Row>(sql`
        select cast(e.id as text) as id, ${isoText('e.occurred_at')} as occurred_at_text, e.actor_id,
          actor.email as actor_email, e.action, e.target_type, e.target_id, target.email as target_email,
          e.request_id, e.source_ip, e.user_agent, e.details
        from audit_events e
        left join users actor on actor.id = e.actor_id
        left join users target on e.target_type = 'user' and target.id = e.target_id
        where ${sql.join(filters, sql` and `)}
        order by e.occurred_at desc, e.id desc
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
