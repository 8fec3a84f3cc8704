import type { Kysely } from 'kysely';

/**
 * Access tokens issued before this instant are refused (disable, role change, sign-out
 * everywhere): Cognito access tokens stay valid until they expire, so revocation is ours.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('tokens_valid_after', 'timestamptz').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('tokens_valid_after').execute();
}
