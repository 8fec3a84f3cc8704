import { sql, type Kysely } from 'kysely';

// Kysely<any>: migrations must not depend on the app's current types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  // One statement per call: the Data API runs exactly one statement per ExecuteStatement.
  await sql`
    create function audit_events_reject_change() returns trigger
    language plpgsql as $$
    begin
      raise exception 'audit_events is append-only: % is not allowed', tg_op
        using errcode = 'insufficient_privilege';
    end;
    $$
  `.execute(db);

  await sql`
    create trigger audit_events_no_update_delete
    before update or delete on audit_events
    for each row execute function audit_events_reject_change()
  `.execute(db);

  // Row triggers do not fire on TRUNCATE; a statement trigger does.
  await sql`
    create trigger audit_events_no_truncate
    before truncate on audit_events
    for each statement execute function audit_events_reject_change()
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger audit_events_no_truncate on audit_events`.execute(db);
  await sql`drop trigger audit_events_no_update_delete on audit_events`.execute(db);
  await sql`drop function audit_events_reject_change()`.execute(db);
}
