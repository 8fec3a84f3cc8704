import { sql, type Kysely } from 'kysely';

/**
 * A person's own instructions for the model (how to answer them: tone, language, what they do),
 * sent with every message they write, after the organisation's system prompt. Null: none. Bounded
 * in the table as in the API. Nullable, so the rows already written stand.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('instructions', 'text', (col) => col.check(sql`char_length(instructions) between 1 and 1500`))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('instructions').execute();
}
