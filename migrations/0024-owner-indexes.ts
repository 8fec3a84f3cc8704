import type { Kysely } from 'kysely';

/**
 * Indexes a query-plan audit at production scale asked for (20,000 users, 3 million messages, a
 * heavy user with 200,000; docs/performance.md):
 *
 * - `messages_owner_created_idx`, a person's messages newest first: search finds its candidates
 *   through it (the newest matches first, instead of ranking every match the person has), and
 *   erasing a person counts and cascades through it. Their count read the whole messages table
 *   (1,049 ms for a heavy user; 338 ms with an owner index).
 * - `conversations_owner_idx` and `message_feedback_owner_idx`: deleting a user cascades to their
 *   conversations and feedback by `owner_id`, which no index served (the keyset index holds live
 *   conversations only), so every erasure read both tables whole (light user 21 ms → 3.9 ms).
 * - `conversations_updated_idx`: the retention run's inactive conversations, by `updated_at` over
 *   every owner, read the whole table each batch (15 ms → 0.1 ms; 150 ms expected at 2 million).
 *   `updated_at` is already in the keyset index, so its updates were not HOT before either.
 *
 * Built in the migration's transaction (a SHARE lock: reads go on, writes to that table wait). On
 * a stage with many messages, build `messages_owner_created_idx` beforehand with
 * `create index concurrently` and the same definition (docs/runbook.md); `if not exists` then
 * skips it here.
 *
 * The previous release runs on this schema unchanged: it only gains indexes.
 */
// lock-safety: index-build: messages is built beforehand on a large stage (runbook); conversations and feedback build in seconds
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('messages_owner_created_idx')
    .ifNotExists()
    .on('messages')
    .columns(['owner_id', 'created_at desc', 'id desc'])
    .execute();
  await db.schema
    .createIndex('conversations_owner_idx')
    .ifNotExists()
    .on('conversations')
    .column('owner_id')
    .execute();
  await db.schema
    .createIndex('message_feedback_owner_idx')
    .ifNotExists()
    .on('message_feedback')
    .column('owner_id')
    .execute();
  await db.schema
    .createIndex('conversations_updated_idx')
    .ifNotExists()
    .on('conversations')
    .column('updated_at')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const name of [
    'conversations_updated_idx',
    'message_feedback_owner_idx',
    'conversations_owner_idx',
    'messages_owner_created_idx',
  ]) {
    await db.schema.dropIndex(name).ifExists().execute();
  }
}
