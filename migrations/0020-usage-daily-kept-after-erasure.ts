import { sql, type Kysely } from 'kysely';

/**
 * Usage outlives the person it was charged to: erasing a user used to delete their `usage_daily`
 * rows with them (on delete cascade), so past months' totals and costs dropped and no longer
 * matched the model provider's invoice. Their rows now stay, pseudonymised: `user_id` becomes
 * null (on delete set null) and the reports show them as erased users.
 *
 * A nullable column cannot be in the primary key, so the key (user_id, day, model) moves to a
 * unique index of the same columns: the chat's upsert (`on conflict (user_id, day, model)`) infers
 * it as it did the key, and nulls are distinct there, so the rows of several erased people for one
 * day and model stay apart, never merged and never colliding. Nothing writes or updates a row
 * without a user (the chat charges a living user), so no surrogate id is added: one would be a
 * volatile default, a rewrite of the whole table under an exclusive lock.
 *
 * Safe on a live database: the index is built (a write lock on usage_daily for as long as that
 * takes: a row per person, day and model, small; an operator may build it beforehand with
 * `create unique index concurrently usage_daily_user_day_model_key on usage_daily (user_id, day, model)`),
 * then dropping the key, the not-null and the old foreign key are catalogue changes. The new
 * foreign key is added `not valid`: the one it replaces checked every row up to this statement,
 * in this transaction, so a validating scan (under the exclusive lock the migration's transaction
 * holds) would prove nothing new. It is enforced for every new row and its `on delete set null`
 * fires all the same; `alter table usage_daily validate constraint usage_daily_user_id_fkey` may
 * be run at any time (it locks no writes).
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create unique index if not exists usage_daily_user_day_model_key on usage_daily (user_id, day, model)
  `.execute(db);
  await sql`alter table usage_daily drop constraint usage_daily_pkey`.execute(db);
  await sql`alter table usage_daily alter column user_id drop not null`.execute(db);
  await sql`alter table usage_daily drop constraint usage_daily_user_id_fkey`.execute(db);
  await sql`
    alter table usage_daily add constraint usage_daily_user_id_fkey
      foreign key (user_id) references users (id) on delete set null not valid
  `.execute(db);
}

/**
 * Back to the cascade and the key; the rows of erased people (no user) cannot be in that key, and
 * are deleted, as erasure did before.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table usage_daily drop constraint usage_daily_user_id_fkey`.execute(db);
  await sql`delete from usage_daily where user_id is null`.execute(db);
  await sql`
    alter table usage_daily add constraint usage_daily_user_id_fkey
      foreign key (user_id) references users (id) on delete cascade
  `.execute(db);
  await sql`alter table usage_daily alter column user_id set not null`.execute(db);
  await sql`
    alter table usage_daily add constraint usage_daily_pkey primary key (user_id, day, model)
  `.execute(db);
  await sql`drop index usage_daily_user_day_model_key`.execute(db);
}
