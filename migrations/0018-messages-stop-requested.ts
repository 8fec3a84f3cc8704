import type { Kysely } from 'kysely';

/**
 * When the owner asked to stop a reply being written (Stop in the web app): the function writing
 * it reads this with every save of the text so far, stops the model and keeps what it has. Null:
 * not asked, which is every reply already written; a regeneration clears it.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('stop_requested_at', 'timestamptz').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('stop_requested_at').execute();
}
