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
  select m.id, m.status
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

/** The filters of a list, without its cursor (the totals count over them). */
function filtersOf({ rating, reason, model, from, to }: FeedbackQuery): Sql[] {
  const all: Sql[] = [];
  if (rating) all.push(sql`f.rating = ${rating}`);
  if (reason) all.push(sql`f.reason = ${reason}`);
  if (model) all.push(sql`m.model = ${model}`);
  if (from) all.push(sql`f.updated_at >= cast(${startOf(from)} as timestamptz)`);
  if (to) all.push(sql`f.updated_at < cast(${startOf(to)} as timestamptz) + interval '1 day'`);
  return all;
}

const where = (filters: readonly Sql[]) =>
  filters.length === 0 ? sql.empty : sql`where ${sql.join([...filters], sql` and `)}`;

/** Feedback on replies of live conversations: a deleted conversation's drops out at once. */
const feedbackOnLiveReplies = sql`
  from message_feedback f
  inner join messages m on m.id = f.message_id
  inner join conversations c on c.id = m.conversation_id and c.deleted_at is null
  left join users u on u.id = f.owner_id`;

export function postgresFeedback(db: Queryable): FeedbackRepository {
  return {
    async save(ownerId, conversationId, messageId, { rating, reason, comment }) {
      // One statement: find the reply, write when it is finished, and say which it was. The reply
      // is locked and its status read as it is now: one a regeneration is emptying (a lock the
      // feedback's foreign key check does not wait for) is not finished once that commits.
      const { rows } = await db.query<FeedbackRow & { status: string }>(sql`
        with target as (${reply(ownerId, conversationId, messageId)} for share of m),
        saved as (
          insert into message_feedback (message_id, owner_id, rating, reason, comment)
          select id, cast(${ownerId} as text), cast(${rating} as text), cast(${reason ?? null} as text),
            cast(${comment ?? null} as text)
          from target where status = 'complete'
          on conflict (message_id) do update
            set rating = excluded.rating, reason = excluded.reason, comment = excluded.comment,
              updated_at = now()
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
      const filters = filtersOf(query);
      const page = [...filters];
      // Row-value comparison matches the (updated_at desc, message_id desc) index.
      if (cursor)
        page.push(
          sql`(f.updated_at, f.message_id) < (cast(${cursor.at} as timestamptz), cast(${cursor.id} as uuid))`,
        );
      const [items, counts] = await Promise.all([
        db.query<FeedbackRow & { owner_id: string; email: string | null; model: string | null }>(sql`
          select cast(f.message_id as text) as message_id, f.rating, f.reason, f.comment,
            ${isoText('f.created_at')} as created_at_text, ${isoText('f.updated_at')} as updated_at_text,
            f.owner_id, u.email, m.model
          ${feedbackOnLiveReplies}
          ${where(page)}
          order by f.updated_at desc, f.message_id desc
          limit ${limit + 1}`),
        db.query<{ rating: Rating; count: number }>(sql`
          select f.rating, cast(count(*) as integer) as count
          ${feedbackOnLiveReplies}
          ${where(filters)}
          group by f.rating`),
      ]);
      const entries: FeedbackEntry[] = items.rows.slice(0, limit).map((row) => ({
        ...toFeedback(row),
        userId: row.owner_id,
        email: row.email,
        model: row.model,
      }));
      const last = entries.at(-1);
      const totals: Record<Rating, number> = { up: 0, down: 0 };
      for (const { rating, count } of counts.rows) totals[rating] = Number(count);
      return {
        items: entries,
        nextCursor:
          items.rows.length > limit && last ? encodeCursor({ at: last.updatedAt, id: last.messageId }) : null,
        totals,
      };
    },
  };
}
