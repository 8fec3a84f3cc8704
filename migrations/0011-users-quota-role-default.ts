import { sql, type Kysely } from 'kysely';

/** The column default of `monthly_token_quota` until now (0001-users). */
const OLD_DEFAULT = 200_000;

/**
 * `users.monthly_token_quota` becomes an override: null means the role's default, which comes from
 * configuration (CHAT_QUOTA_<ROLE>) and so can change without touching every row. Rows holding the
 * old column default were never set by anyone and now follow their role's default; a quota an
 * admin set to exactly that value cannot be told apart from it and follows the default too.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .alterColumn('monthly_token_quota', (col) => col.dropNotNull())
    .execute();
  await db.schema
    .alterTable('users')
    .alterColumn('monthly_token_quota', (col) => col.dropDefault())
    .execute();
  await sql`update users set monthly_token_quota = null where monthly_token_quota = ${sql.lit(OLD_DEFAULT)}`.execute(
    db,
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`update users set monthly_token_quota = ${sql.lit(OLD_DEFAULT)} where monthly_token_quota is null`.execute(
    db,
  );
  await db.schema
    .alterTable('users')
    .alterColumn('monthly_token_quota', (col) => col.setDefault(OLD_DEFAULT))
    .execute();
  await db.schema
    .alterTable('users')
    .alterColumn('monthly_token_quota', (col) => col.setNotNull())
    .execute();
}
