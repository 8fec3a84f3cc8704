import { sql, type Kysely } from 'kysely';

/**
 * A person's rating of one reply (thumbs up or down, with an optional reason and comment), one per
 * reply: giving it again replaces it. It belongs to the reply: erasing the conversation (the
 * retention run, or the user's own erasure) erases it too. `reason` only explains a thumbs down.
 * The comment is what the person chose to tell the organisation, bounded in the table as in the
 * API.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('message_feedback')
    .addColumn('message_id', 'uuid', (col) => col.primaryKey().references('messages.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('rating', 'text', (col) => col.notNull().check(sql`rating in ('up', 'down')`))
    .addColumn('reason', 'text', (col) =>
      col.check(sql`reason in ('inaccurate', 'unhelpful', 'incomplete', 'harmful', 'other')`),
    )
    .addColumn('comment', 'text', (col) => col.check(sql`char_length(comment) between 1 and 1000`))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('message_feedback_reason_explains_down', sql`reason is null or rating = 'down'`)
    .execute();

  // The oversight list, newest first, and keyset pagination over it.
  await db.schema
    .createIndex('message_feedback_updated_idx')
    .on('message_feedback')
    .columns(['updated_at desc', 'message_id desc'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('message_feedback').execute();
}
