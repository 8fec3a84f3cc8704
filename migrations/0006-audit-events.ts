import { sql, type Kysely } from 'kysely';

// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // No foreign key on actor_id: the trail must outlive the users it mentions (and a cascading
  // delete would be refused by the append-only trigger anyway).
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'uuid', (col) => col.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('occurred_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (col) => col.notNull())
    .addColumn('target_type', 'text')
    .addColumn('target_id', 'text')
    .addColumn('request_id', 'text')
    .addColumn('details', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();

  await db.schema
    .createIndex('audit_events_occurred_idx')
    .on('audit_events')
    .columns(['occurred_at desc', 'id desc'])
    .execute();
  await db.schema
    .createIndex('audit_events_actor_occurred_idx')
    .on('audit_events')
    .columns(['actor_id', 'occurred_at desc'])
    .execute();
  await db.schema
    .createIndex('audit_events_action_occurred_idx')
    .on('audit_events')
    .columns(['action', 'occurred_at desc'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_events').execute();
}
