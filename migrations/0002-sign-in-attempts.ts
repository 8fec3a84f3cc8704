import { sql, type Kysely } from 'kysely';

// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Keyed by the lower-cased user name as typed, not by user id: lockout must also count
  // attempts on names that do not exist (or the lockout would reveal which ones do).
  await db.schema
    .createTable('sign_in_attempts')
    .addColumn('username', 'text', (col) => col.primaryKey())
    .addColumn('failed_count', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`failed_count >= 0`),
    )
    .addColumn('last_failed_at', 'timestamptz')
    .addColumn('locked_until', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sign_in_attempts').execute();
}
