import { isoText, only, sql, type Queryable, type Sql } from '#shared/db/sql';
import { encodeCursor } from '#shared/pagination/cursor';
import type { Feedback, FeedbackEntry, Rating, Reason } from '../domain/feedback';
import type { FeedbackQuery, FeedbackRepository } from '../ports/feedback-repository';

/*
 * Ids are compared as `cast(… as uuid)` and parameters inserted through a select are cast to text:
 * the Data API sends strings as varchar. Timestamps are read as text with microseconds (cursors
 * stay exact).
 */

/** The owner's reply: an assistant message of theirs in their live conversation. */
const reply = (ownerId: string, conversationId: string, messageId: string) => sql`
  select m.id, m.status, m.conversation_id, m.model
  from messages m
  inner join conversations c on c.id = m.conversation_id
  where m.id = cast(${messageId} as uuid) and m.conversation_id = cast(${conversationId} as uuid)
    and m.owner_id = ${ownerId} and m.role = 'assistant' and c.deleted_at is null`;

interface FeedbackRow {
  message_id: string;
  rating: Rating;
  reason: Reason | null;
  comment: string | null;
  created_at_text: string;
  updated_at_text: string;
}

const toFeedback = (row: FeedbackRow): Feedback => ({
  messageId: row.message_id,
  rating: row.rating,
  reason: row.reason,
  comment: row.comment,
  createdAt: row.created_at_text,
  updatedAt: row.updated_at_text,
});

/** Days are UTC: bounds are written as instants so the session's time zone plays no part. */
const startOf = (date: string) => `${date}T00:00:00Z`;

/** How a list's `model` filter is written: on the feedback's own column, or its reply's. */
type ModelIs = (model: string) => Sql;

/** The filters of a list, without its cursor (the totals count over them). */
function filtersOf({ rating, reason, model, from, to }: FeedbackQuery, modelIs: ModelIs): Sql[] {
  const all: Sql[] = [];
  if (rating) all.push(sql`f.rating = ${rating}`);
  if (reason) all.push(sql`f.reason = ${reason}`);
  if (model) all.push(modelIs(model));
  if (from) all.push(sql`f.updated_at >= cast(${startOf(from)} as timestamptz)`);
  if (to) all.push(sql`f.updated_at < cast(${startOf(to)} as timestamptz) + interval '1 day'`);
  return all;
}

const where = (filters: readonly Sql[]) => sql`where ${sql.join([...filters], sql` and `)}`;

/*
 * Feedback keeps its reply's conversation and model (migration 0025), both written in the same
 * statement, so the list reads message_feedback alone: its cost follows the feedback, where joining
 * every message and live conversation read the whole messages table on every page. A row the
 * previous release wrote (during a canary, or after a rollback) has neither, and reads its reply's:
 * such rows are few, and found through the model index (`model is null`).
 */

/** The reply's model: the feedback's own, or, on a row without it, the reply's. */
const modelOf = sql`coalesce(f.model, (select m.model from messages m where m.id = f.message_id))`;

/** `modelOf = model`, written so the model index serves both arms (`= model`, `is null`). */
const pageModelIs: ModelIs = (model) =>
  sql`(f.model = ${model} or (f.model is null and (select m.model from messages m where m.id = f.message_id) = ${model}))`;

/**
 * Not feedback on a deleted conversation, which drops out at once: an anti-join against the
 * deleted conversations (a small partial index). coalesce reads the reply only on a row without
 * its conversation.
 */
const onLiveConversation = sql`not exists (
    select 1 from conversations c
    where c.id = coalesce(f.conversation_id, (select m.conversation_id from messages m where m.id = f.message_id))
      and c.deleted_at is not null)`;

/**
 * The totals of each rating, counted in two parts: rows that keep their model (and conversation)
 * on their own, and the previous release's rows through their reply as before. One count with the
 * page's coalesce would be as right, but the planner prices its subquery on every row, and at
 * production scale that estimate alone switches JIT compilation on (a few hundred ms a request).
 */
function totalsOf(query: FeedbackQuery): Sql {
  return sql`
    select f.rating, cast(count(*) as integer) as count
    from message_feedback f
    ${where([
      sql`f.model is not null`,
      ...filtersOf(query, (model) => sql`f.model = ${model}`),
      sql`not exists (
        select 1 from conversations c where c.id = f.conversation_id and c.deleted_at is not null)`,
    ])}
    group by f.rating
    union all
    select f.rating, cast(count(*) as integer) as count
    from message_feedback f
    inner join messages m on m.id = f.message_id
    inner join conversations c on c.id = m.conversation_id and c.deleted_at is null
    ${where([sql`f.model is null`, ...filtersOf(query, (model) => sql`m.model = ${model}`)])}
    group by f.rating`;
}

export function postgresFeedback(db: Queryable): FeedbackRepository {
  return {
    async save(ownerId, conversationId, messageId, { rating, reason, comment }) {
      // One statement: find the reply, write when it is finished, and say which it was. The reply
      // is locked and its status read as it is now: one a regeneration is emptying (a lock the
      // feedback's foreign key check does not wait for) is not finished once that commits.
      // Dated by the clock once the reply's lock is held (clock_timestamp(), not the statement's
      // start, now()): a save that waited for a reply finishing would otherwise commit a time from
      // before the wait, below the point a list paged meanwhile had already passed, and never be
      // listed by it.
      const { rows } = await db.query<FeedbackRow & { status: string }>(sql`
        with target as (${reply(ownerId, conversationId, messageId)} for share of m),
        saved as (
          insert into message_feedback
            (message_id, owner_id, conversation_id, model, rating, reason, comment, created_at, updated_at)
          select id, cast(${ownerId} as text), conversation_id, model, cast(${rating} as text),
            cast(${reason ?? null} as text), cast(${comment ?? null} as text), w.at, w.at
          from target cross join lateral (select clock_timestamp() as at) as w
          where status = 'complete'
          on conflict (message_id) do update
            set rating = excluded.rating, reason = excluded.reason, comment = excluded.comment,
              conversation_id = excluded.conversation_id, model = excluded.model,
              updated_at = clock_timestamp()
          returning message_id, rating, reason, comment, created_at, updated_at
        )
        select t.status, cast(s.message_id as text) as message_id, s.rating, s.reason, s.comment,
          ${isoText('s.created_at')} as created_at_text, ${isoText('s.updated_at')} as updated_at_text
        from target t left join saved s on true`);
      const row = rows[0];
      if (!row) return { kind: 'not-found' };
      if (row.message_id === null) return { kind: 'not-finished' };
      return { kind: 'saved', feedback: toFeedback(row) };
    },

    async remove(ownerId, conversationId, messageId) {
      const row = await only<{ found: boolean }>(
        db,
        sql`
        with target as (${reply(ownerId, conversationId, messageId)}),
        gone as (delete from message_feedback where message_id = (select id from target))
        select exists (select 1 from target) as found`,
      );
      return row.found;
    },

    async list(query) {
      const { limit, cursor } = query;
      const page = [...filtersOf(query, pageModelIs), onLiveConversation];
      // Row-value comparison matches the (updated_at desc, message_id desc) index.
      if (cursor)
        page.push(
          sql`(f.updated_at, f.message_id) < (cast(${cursor.at} as timestamptz), cast(${cursor.id} as uuid))`,
        );
      const [items, counts] = await Promise.all([
        db.query<FeedbackRow & { owner_id: string; email: string | null; model: string | null }>(sql`
          select cast(f.message_id as text) as message_id, f.rating, f.reason, f.comment,
            ${isoText('f.created_at')} as created_at_text, ${isoText('f.updated_at')} as updated_at_text,
            f.owner_id, u.email, ${modelOf} as model
          from message_feedback f
          left join users u on u.id = f.owner_id
          ${where(page)}
          order by f.updated_at desc, f.message_id desc
          limit ${limit + 1}`),
        db.query<{ rating: Rating; count: number }>(totalsOf(query)),
      ]);
      const entries: FeedbackEntry[] = items.rows.slice(0, limit).map((row) => ({
        ...toFeedback(row),
        userId: row.owner_id,
        email: row.email,
        model: row.model,
      }));
      const last = entries.at(-1);
      const totals: Record<Rating, number> = { up: 0, down: 0 };
      for (const { rating, count } of counts.rows) totals[rating] += Number(count);
      return {
        items: entries,
        nextCursor:
          items.rows.length > limit && last ? encodeCursor({ at: last.updatedAt, id: last.messageId }) : null,
        totals,
      };
    },
  };
}
