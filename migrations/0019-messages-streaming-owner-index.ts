import { sql, type Kysely } from 'kysely';

/**
 * A turn counts the replies its owner has being written (at most CHAT_MAX_REPLIES_IN_FLIGHT), in
 * every conversation: a partial index holds only the replies still `streaming`, a handful at any
 * time, so the count reads it instead of the owner's whole history, and the other messages'
 * writes never touch it.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('messages_streaming_owner_idx')
    // An operator may build it beforehand with `create index concurrently` on a large table.
    .ifNotExists()
    .on('messages')
    .columns(['owner_id', 'updated_at'])
    .where(sql.ref('status'), '=', 'streaming')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_streaming_owner_idx').ifExists().execute();
}
