import { sql, type Kysely } from 'kysely';

// Migrations take Kysely<any> on purpose: they must keep compiling, and keep meaning what they
// meant, after the app's `Database` type has moved on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    // Cognito `sub` (or the app client id of a service account): not generated here.
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('display_name', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) => col.check(sql`role in ('admins', 'members', 'auditors')`))
    .addColumn('status', 'text', (col) =>
      col
        .notNull()
        .defaultTo('active')
        .check(sql`status in ('active', 'disabled')`),
    )
    .addColumn('kind', 'text', (col) =>
      col
        .notNull()
        .defaultTo('user')
        .check(sql`kind in ('user', 'service')`),
    )
    .addColumn('monthly_token_quota', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(200_000)
        .check(sql`monthly_token_quota >= 0`),
    )
    .addColumn('mfa_enabled', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  // E-mail addresses are compared case-insensitively: Cognito treats them so.
  await db.schema
    .createIndex('users_email_lower_key')
    .on('users')
    .unique()
    .expression(sql`lower(email)`)
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('users').execute();
}
