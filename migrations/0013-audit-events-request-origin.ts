import type { Kysely } from 'kysely';

/**
 * Where each audited request came from: the caller's address and user agent, as the API received
 * them (null for what has no request, or a Cognito trigger that is not told). Text, not inet: an
 * audit event must never fail to be written because an address is unusual. Added columns are
 * nullable, so the append-only rule and the rows already written stand.
 */
// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('audit_events')
    .addColumn('source_ip', 'text')
    .addColumn('user_agent', 'text')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('audit_events').dropColumn('source_ip').dropColumn('user_agent').execute();
}
