import { sql, type Kysely } from 'kysely';

// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('conversations')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('owner_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('title', 'text', (col) => col.notNull().check(sql`char_length(title) <= 200`))
    .addColumn('message_count', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`message_count >= 0`),
    )
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();

  // Keyset pagination of a user's live conversations, newest first:
  // where owner_id = $1 and deleted_at is null and (updated_at, id) < ($2, $3)
  // order by updated_at desc, id desc.
  await db.schema
    .createIndex('conversations_owner_keyset_idx')
    .on('conversations')
    .columns(['owner_id', 'updated_at desc', 'id desc'])
    .where(sql.ref('deleted_at'), 'is', null)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('conversations').execute();
}
