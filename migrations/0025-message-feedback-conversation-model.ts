import { sql, type Kysely } from 'kysely';

/**
 * The admin feedback list (postgres-feedback.ts, `list`) joined every message in the database to
 * learn each rating's conversation (to drop feedback on a deleted one) and model (to filter by
 * it): its totals read the whole messages table on every page, 2.4–3.4 s at 3 million messages,
 * and a filter on a model with little feedback scanned every message (docs/performance.md).
 * Feedback now keeps both, copied from its reply when it is given: a reply never changes
 * conversation, and a regeneration deletes the reply's feedback before it writes another model's
 * answer, so the copy stays true. The list then reads message_feedback alone, through the two
 * indexes below (a rating's or a model's feedback, newest first).
 *
 * Both columns are nullable without a default: a catalogue change, no rewrite. Rows already stored
 * are filled here. During a canary the previous release still inserts feedback without them, so
 * null means "read it from the reply" and the list does so (a handful of rows); rating the reply
 * again with the new release fills them.
 *
 * The previous release runs on this schema unchanged: it neither reads nor writes the columns.
 */
// lock-safety: bulk-write: message_feedback holds one row per rated reply, about 200,000 in production; each is found by the messages primary key, seconds
// lock-safety: index-build: message_feedback holds one row per rated reply, about 200,000 in production: each index builds in about a second
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('message_feedback')
    .addColumn('conversation_id', 'uuid')
    .addColumn('model', 'text')
    .execute();

  // A subquery per row rather than a join: each row looks its reply up by primary key, so the
  // cost follows the feedback, where a hash join could read the whole messages table.
  await sql`
    update message_feedback f
    set (conversation_id, model) = (
      select m.conversation_id, m.model from messages m where m.id = f.message_id)
    where f.conversation_id is null`.execute(db);

  // A rating's feedback newest first (the list and its totals filtered by rating), and a model's.
  await db.schema
    .createIndex('message_feedback_rating_updated_idx')
    // An operator may build it beforehand with `create index concurrently` on a large table.
    .ifNotExists()
    .on('message_feedback')
    .columns(['rating', 'updated_at desc', 'message_id desc'])
    .execute();
  await db.schema
    .createIndex('message_feedback_model_updated_idx')
    .ifNotExists()
    .on('message_feedback')
    .columns(['model', 'updated_at desc', 'message_id desc'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('message_feedback_model_updated_idx').ifExists().execute();
  await db.schema.dropIndex('message_feedback_rating_updated_idx').ifExists().execute();
  await db.schema.alterTable('message_feedback').dropColumn('model').dropColumn('conversation_id').execute();
}
