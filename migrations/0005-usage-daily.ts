import { sql, type Kysely } from 'kysely';

// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // Token counts stay `integer` (a user's tokens for one model in one day stay far below 2^31,
  // and the app reads them as numbers); cost is `bigint` micro-dollars, summed over months.
  await db.schema
    .createTable('usage_daily')
    .addColumn('user_id', 'text', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('day', 'date', (col) => col.notNull())
    .addColumn('model', 'text', (col) => col.notNull())
    .addColumn('requests', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`requests >= 0`),
    )
    .addColumn('prompt_tokens', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`prompt_tokens >= 0`),
    )
    .addColumn('completion_tokens', 'integer', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`completion_tokens >= 0`),
    )
    .addColumn('cost_micros', 'bigint', (col) =>
      col
        .notNull()
        .defaultTo(0)
        .check(sql`cost_micros >= 0`),
    )
    .addPrimaryKeyConstraint('usage_daily_pkey', ['user_id', 'day', 'model'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('usage_daily').execute();
}
