import { sql, type Kysely } from 'kysely';

/**
 * Search reads the caller's own matches: one GIN index on (owner_id, content_tsv) finds them
 * directly (btree_gin lets the owner column into a GIN index). Measured at 1M messages
 * (docs/performance.md): a rare word from 102 ms to 2 ms. btree_gin is a trusted contrib
 * extension, shipped with PostgreSQL, embedded PostgreSQL and Aurora PostgreSQL alike.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists btree_gin`.execute(db);
  await db.schema
    .createIndex('messages_owner_content_tsv_idx')
    // An operator may build it beforehand with `create index concurrently` on a large table.
    .ifNotExists()
    .on('messages')
    .using('gin')
    .columns(['owner_id', 'content_tsv'])
    .execute();
  // Every search is one owner's: the content-only index would only cost writes.
  await db.schema.dropIndex('messages_content_tsv_idx').ifExists().execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('messages_content_tsv_idx')
    .on('messages')
    .using('gin')
    .column('content_tsv')
    .execute();
  await db.schema.dropIndex('messages_owner_content_tsv_idx').execute();
}
