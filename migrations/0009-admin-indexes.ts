import type { Kysely } from 'kysely';

// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // The admin users list, newest first: where (created_at, id) < ($1, $2)
  // order by created_at desc, id desc.
  await db.schema
    .createIndex('users_created_keyset_idx')
    .on('users')
    .columns(['created_at desc', 'id desc'])
    .execute();

  // Usage reports over a range of days across all users (the primary key leads with user_id).
  await db.schema.createIndex('usage_daily_day_idx').on('usage_daily').column('day').execute();

  // The audit trail filtered by its target (actor and action have their own indexes).
  await db.schema
    .createIndex('audit_events_target_occurred_idx')
    .on('audit_events')
    .columns(['target_id', 'occurred_at desc'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('audit_events_target_occurred_idx').execute();
  await db.schema.dropIndex('usage_daily_day_idx').execute();
  await db.schema.dropIndex('users_created_keyset_idx').execute();
}
