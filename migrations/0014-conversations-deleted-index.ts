import { sql, type Kysely } from 'kysely';

/**
 * The retention run (functions/conversations/retention) looks for conversations deleted before a
 * cut-off, daily, a batch at a time. A partial index holds only deleted conversations, so it costs
 * nothing on the live ones (their writes never touch it) and each batch reads it instead of the
 * whole table.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('conversations_deleted_at_idx')
    // An operator may build it beforehand with `create index concurrently` on a large table.
    .ifNotExists()
    .on('conversations')
    .column('deleted_at')
    .where(sql.ref('deleted_at'), 'is not', null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('conversations_deleted_at_idx').ifExists().execute();
}
