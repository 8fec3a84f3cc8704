import { sql, type Kysely } from 'kysely';

/**
 * Each person's downloads in flight (functions/exports/adapters/postgres-download-slots.ts): one
 * row per slot taken, `slot` from 0 to the bound less one, held by the download whose `token` it
 * carries until that download releases it or `expires_at` passes (a function that died never
 * releases it). They lived in the cache, which let every download through while it was down; the
 * primary key now keeps the bound whatever the cache does. A row goes with its person's users row
 * (the erasure's cascade, through the primary key, whose first column is the owner).
 *
 * A new table: no lock on any table that has rows but a moment's on `users` for the foreign key.
 * The table the app role may write through 0012's default privileges (granted to every table the
 * migrator creates), as message_feedback (0015) was. The previous release runs on this schema
 * unchanged: it never reads the table (its slots are in the cache, and during a canary each
 * release bounds its own instances' downloads).
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('download_slots')
    // users.id is text: a Cognito sub, or a service account's app client id.
    .addColumn('owner_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('slot', 'smallint', (col) => col.notNull().check(sql`slot >= 0`))
    .addColumn('token', 'uuid', (col) => col.notNull())
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('download_slots_pkey', ['owner_id', 'slot'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('download_slots').execute();
}
