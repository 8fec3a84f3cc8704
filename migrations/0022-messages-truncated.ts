import type { Kysely } from 'kysely';

/**
 * A reply the model ended because it had written as much as it may in one reply (OpenAI's
 * `finish_reason` `length`): stored complete, as it came, and marked, so that no reader takes it
 * for a whole answer. False for every reply already written, and for a user's message.
 *
 * A column with a constant default is a catalogue change (PostgreSQL 11 and later): no row is
 * rewritten, an instant's lock.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('messages')
    .addColumn('truncated', 'boolean', (column) => column.notNull().defaultTo(false))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('truncated').execute();
}
