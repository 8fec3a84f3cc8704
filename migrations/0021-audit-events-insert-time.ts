import { sql, type Kysely } from 'kysely';

/**
 * An audit event's time is when it was written, not when its transaction began. With `now()` an
 * admin change's event carried the start of a transaction that then waited for Cognito, and so
 * became visible after newer events had already been listed: a reader paging past its time never
 * saw it (a CSV download was silently incomplete). With `clock_timestamp()` an event is never
 * older than its transaction's lock on the table, which the listing uses to read only settled
 * events (functions/admin/adapters/postgres-audit-trail.ts).
 *
 * A new default changes no row: a catalogue change, an instant's lock.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events alter column occurred_at set default clock_timestamp()`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_events alter column occurred_at set default now()`.execute(db);
}
