import type { Kysely } from 'kysely';

/**
 * A count of the turns and regenerations the person started: each one adds 1 in the statement
 * that stores its reply being written, and a turn of theirs that waited for their row meanwhile
 * compares it with its snapshot's to know it must run again (postgres-messages.ts, `lockedOwner`).
 * It compared the row's version (xmin) before, which every write to the row changes: saving
 * instructions, a sign-in, an admin's change of quota or role made a turn waiting behind it run
 * again, and frequent enough writes answered 409 busy. 0 for every person already stored.
 *
 * A column with a constant default is a catalogue change (PostgreSQL 11 and later): no row is
 * rewritten, an instant's lock.
 *
 * During a canary, the previous release serves on this schema too: it still compares xmin, which
 * every write changes, so it keeps working. Its turns do not add to `turn_seq`, so a turn of the
 * new release that waited behind one of them does not run again and counts the replies in flight
 * in a snapshot without that one: at worst the person's limit of replies in flight is passed by
 * one until the previous release is gone.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('turn_seq', 'bigint', (column) => column.notNull().defaultTo(0))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('turn_seq').execute();
}
