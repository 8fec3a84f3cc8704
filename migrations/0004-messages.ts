import { sql, type Kysely } from 'kysely';

// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('messages')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('conversation_id', 'uuid', (col) =>
      col.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('owner_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ('user', 'assistant', 'system')`))
    .addColumn('content', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('complete')
        .check(sql`status in ('complete', 'streaming', 'failed')`),
    )
    .addColumn('model', 'text')
    .addColumn('prompt_tokens', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`prompt_tokens >= 0`),
    )
    .addColumn('completion_tokens', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`completion_tokens >= 0`),
    )
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // 'simple' configuration: no stemming or stop words, so search works the same for every
    // language users write in.
    .addColumn('content_tsv', sql`tsvector`, (col) =>
      col
        .notNull()
        .generatedAlwaysAs(sql`to_tsvector('simple', content)`)
        .stored(),
    )
    .execute();

  await db.schema
    .createIndex('messages_content_tsv_idx')
    .on('messages')
    .using('gin')
    .column('content_tsv')
    .execute();

  // An idempotency key is unique per user; retries of the same request find the first message.
  await db.schema
    .createIndex('messages_owner_idempotency_key')
    .on('messages')
    .unique()
    .columns(['owner_id', 'idempotency_key'])
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();

  // A conversation's messages in order (and keyset pagination over them).
  await db.schema
    .createIndex('messages_conversation_created_idx')
    .on('messages')
    .columns(['conversation_id', 'created_at', 'id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('messages').execute();
}
